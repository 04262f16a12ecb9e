"""The parser's cache of filter shapes: the same trees and the same errors as a full parse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idconnect.core.errors import FilterError
from idconnect.core.filter import Comparison, ValuePath, parse
from idconnect.core.filter.parse import _LITERAL_RE, _parse, _Scanner, _shapes, split_literals
from idconnect.testing.strategies import filter_texts


def outcome(parser: object, text: str) -> object:
    """A parse's tree, or its error's message and details."""
    try:
        return parser(text)  # type: ignore[operator]
    except FilterError as exc:
        return ("error", str(exc), exc.details)


@given(filter_texts())
def test_a_cached_shape_parses_like_a_full_parse(text: str) -> None:
    full = outcome(_parse, text)
    assert outcome(parse, text) == full  # the shape parsed and cached
    assert outcome(parse, text) == full  # the shape found in the cache


def test_filters_of_one_shape_share_a_template_and_keep_their_own_values() -> None:
    _shapes.clear()
    first = parse('emails.value eq "a@example.org" and emails[type eq "work"]')
    second = parse('emails.value eq "b\\"@example.org" and emails[type eq "home\\u0041"]')
    assert len(_shapes) == 1
    assert isinstance(first.left, Comparison) and first.left.value == "a@example.org"  # type: ignore[attr-defined]
    assert second.left.value == 'b"@example.org'  # type: ignore[attr-defined]
    inner = second.right  # type: ignore[attr-defined]
    assert isinstance(inner, ValuePath) and isinstance(inner.filter, Comparison)
    assert inner.filter.value == "homeA"


@pytest.mark.parametrize(
    ("cached", "text"),
    [
        ('userName eq "x"', 'userName eq "bad \\q escape"'),
        ('userName eq "x"', 'userName eq "a\tb"'),
        ('userName eq "x"', 'userName eq "unterminated'),
        ('userName eq "x" and title pr', 'userName eq "x" and title pr "value"'),
        ('userName eq ""', 'userName eq "\\ud800\\udc00"'),
    ],
)
def test_a_filter_of_a_cached_shape_gets_the_full_parse_error_or_tree(
    cached: str, text: str
) -> None:
    parse(cached)
    assert outcome(parse, text) == outcome(_parse, text)


@given(st.text(max_size=30))
def test_any_string_value_in_a_cached_shape_reads_back(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    text = f'userName eq "{escaped}"'
    assert outcome(parse, text) == outcome(_parse, text)


def _split_by_regex(text: str) -> tuple[str, list[str]] | None:
    """The reference: every literal the literal regex finds, decoded by the scanner."""
    literals = _LITERAL_RE.findall(text)
    values = []
    for literal in literals:
        try:
            values.append(_Scanner(literal).take().value)
        except FilterError:
            return None
    return _LITERAL_RE.sub('""', text), values


@given(st.text(alphabet=st.sampled_from(list('ab "\\\n\t\x01\x7fé\u2028.[]')), max_size=30))
def test_literals_split_without_escapes_as_the_literal_regex_splits_them(text: str) -> None:
    assert split_literals(text) == _split_by_regex(text)
