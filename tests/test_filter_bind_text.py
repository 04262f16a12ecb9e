"""Binding filter text by shape (``bind_text``): the same trees and errors as parse then bind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given

from idconnect.core.errors import FilterError
from idconnect.core.filter import Comparison, bind, parse
from idconnect.core.filter.bound import _bound, bind_text
from idconnect.core.schema import GROUP_CATALOGUE, USER_CATALOGUE, Catalogue
from idconnect.testing.strategies import filter_texts


def outcome(text: object, catalogue: Catalogue, *, by_shape: bool) -> object:
    """The bound tree, or the error's message and details."""
    try:
        if by_shape:
            return bind_text(text, catalogue)  # type: ignore[arg-type]
        return bind(parse(text), catalogue)  # type: ignore[arg-type]
    except FilterError as exc:
        return ("error", str(exc), exc.details)


@given(filter_texts())
def test_a_bound_shape_gives_the_tree_of_a_full_bind(text: str) -> None:
    full = outcome(text, USER_CATALOGUE, by_shape=False)
    assert outcome(text, USER_CATALOGUE, by_shape=True) == full  # the shape bound and cached
    assert outcome(text, USER_CATALOGUE, by_shape=True) == full  # the shape found bound


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('emails.value eq "a@example.org"', 'EMAILS.VALUE eq "b\\"@example.org"'),
        ('emails[type eq "work" and value co "@x"]', 'emails[type eq "home" and value co ""]'),
        ('meta.created gt "2024-01-01T00:00:00Z"', 'meta.created gt "2025-06-30T12:00:00+02:00"'),
        ('meta.created gt "2024-01-01T00:00:00Z"', 'meta.created gt "not a date"'),
        ('userName eq "x" and active eq true', 'userName eq "y" and active eq true'),
        ('userName eq "x"', "userName eq 12"),
        ('active eq "true"', 'active eq "false"'),
        ('nosuch eq "x"', 'nosuch eq "y"'),
        ('emails eq "x"', 'emails eq "y"'),
        ('userName eq "x"', 'userName eq "bad \\q escape"'),
        ('userName eq "x"', 'userName eq "unterminated'),
        ('userName eq "x" or title sw "a"', 'userName eq "a\tb" or title sw "b"'),
        (
            'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"',
            'urn:ietf:params:scim:schemas:core:2.0:Group:userName eq "y"',
        ),
    ],
)
def test_a_filter_of_a_bound_shape_gets_the_full_tree_or_error(first: str, second: str) -> None:
    _bound.clear()
    for text in (first, second, first, second):
        full = outcome(text, USER_CATALOGUE, by_shape=False)
        assert outcome(text, USER_CATALOGUE, by_shape=True) == full, text


def test_a_date_time_compared_with_text_is_bound_with_its_own_value() -> None:
    first = bind_text('meta.created gt "2024-01-01T00:00:00Z"', USER_CATALOGUE)
    second = bind_text('meta.created gt "2025-01-01T00:00:00Z"', USER_CATALOGUE)
    assert isinstance(first, Comparison) and isinstance(second, Comparison)
    assert first.value == datetime(2024, 1, 1, tzinfo=UTC)
    assert second.value == datetime(2025, 1, 1, tzinfo=UTC)


def test_one_shape_binds_per_catalogue() -> None:
    _bound.clear()
    assert outcome('displayName eq "x"', GROUP_CATALOGUE, by_shape=True) == outcome(
        'displayName eq "x"', GROUP_CATALOGUE, by_shape=False
    )
    user = outcome('userName eq "x"', USER_CATALOGUE, by_shape=True)
    assert user == outcome('userName eq "x"', USER_CATALOGUE, by_shape=False)
    group = outcome('userName eq "x"', GROUP_CATALOGUE, by_shape=True)
    assert group == outcome('userName eq "x"', GROUP_CATALOGUE, by_shape=False)
    assert isinstance(user, Comparison) and group[0] == "error"  # type: ignore[index]
    assert len(_bound) == 3


@pytest.mark.parametrize("text", [None, 12, "userName eq " + '"x' * 6000 + '"'])
def test_what_is_not_filter_text_gets_the_parse_error(text: object) -> None:
    assert outcome(text, USER_CATALOGUE, by_shape=True) == outcome(
        text, USER_CATALOGUE, by_shape=False
    )
    assert outcome(text, USER_CATALOGUE, by_shape=True)[0] == "error"  # type: ignore[index]
