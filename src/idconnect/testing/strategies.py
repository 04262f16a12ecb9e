"""Hypothesis strategies for filters: bound, valid filter trees over an attribute catalogue.

Backends test themselves against the reference evaluator with these::

    values = {d.path: [v for a in accounts for v in values_at(a, d.path)] for d in catalogue}

    @given(f=filters(catalogue, values))
    def test_search_agrees(f): ...  # the store finds exactly the accounts evaluate() accepts

Comparison values come preferably from ``values`` (canonical path to values seen in the data,
so that filters match something): the values themselves, their upper-cased form, substrings
for ``co``/``sw``/``ew``, instants a millisecond, second or day either side, integers one
either side. Otherwise they come from a small hostile alphabet: quotes, ``%``, ``_``, ``*``,
parentheses, backslash, ``;--``, non-ASCII letters whose ``lower()`` keeps their length, and
strings of about 300 characters. NUL characters appear only with ``allow_nul=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from idconnect.core.filter.ast import (
    And,
    AttrPath,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    Value,
    ValuePath,
)
from idconnect.core.filter.bind import canonical_path
from idconnect.core.filter.text import to_text
from idconnect.core.schema import USER_CATALOGUE, AttributeDef, AttrType, Catalogue

__all__ = [
    "HOSTILE_PIECES",
    "NORMALISING_PIECES",
    "filter_texts",
    "filters",
    "normalising_texts",
]

HOSTILE_PIECES = ('"', "'", "%", "_", "*", "(", ")", "\\", ";--", "é", "ß", "Ω", " ", "a*b%c_d")
"""Fragments that break naive escaping in SQL ``LIKE``, LDAP filters and query strings."""
NORMALISING_PIECES = (
    "\ufb01",  # LATIN SMALL LIGATURE FI: compatibility-folds to "fi"
    "\u212a",  # KELVIN SIGN: lower() gives "k"
    "\u2168",  # ROMAN NUMERAL NINE: compatibility-folds to "IX"
    "\uff46",  # FULLWIDTH F
    "\u0301",  # COMBINING ACUTE ACCENT: composes with the letter before it
    "\u0308",  # COMBINING DIAERESIS
    "e\u0301",  # a decomposed "é"
    "\u00e9",  # a precomposed "é"
    "\u00df",  # ß
    "\u1e9e",  # ẞ: lower() gives "ß"
    "\\",
    "\\5c",
    "\\2a",
    "{#",
    "~",
    "KZ",
    "fi",
)
"""Text that directories normalise (compatibility folding, composition, their own case folding,
escape-like sequences) where the reference evaluator compares code points of ``lower()``."""
_ALPHABET = "aZ09.@-+ " + "".join(p for p in HOSTILE_PIECES if len(p) == 1) + "ÉÀ"
_LONG = 300
_ORDERING_OPS = (CompareOp.EQ, CompareOp.NE, CompareOp.GT, CompareOp.GE, CompareOp.LT, CompareOp.LE)
_OPS: dict[AttrType, tuple[CompareOp, ...]] = {
    AttrType.STRING: tuple(CompareOp),
    AttrType.BOOLEAN: (CompareOp.EQ, CompareOp.NE),
    AttrType.INTEGER: _ORDERING_OPS,
    AttrType.DATETIME: _ORDERING_OPS,
}
_SUBSTRING_OPS = frozenset({CompareOp.CO, CompareOp.SW, CompareOp.EW})
_NEAR = (timedelta(0), timedelta(milliseconds=1), timedelta(seconds=1), timedelta(days=1))


def _hostile_strings(allow_nul: bool) -> st.SearchStrategy[str]:
    pieces = (*HOSTILE_PIECES, "\x00") if allow_nul else HOSTILE_PIECES
    alphabet = _ALPHABET + "\x00" if allow_nul else _ALPHABET
    return st.one_of(
        st.sampled_from(pieces),
        st.text(alphabet, min_size=1, max_size=12),
        st.sampled_from(pieces).map(lambda piece: (piece * _LONG)[:_LONG]),
    )


def normalising_texts(max_pieces: int = 4) -> st.SearchStrategy[str]:
    """Generate text mixing :data:`NORMALISING_PIECES` with ASCII letters.

    :param max_pieces: the most pieces joined.
    :returns: non-empty strings without spaces or control characters, which every store can hold
        (no combining mark first, so no value starts with a lone mark).
    """
    piece = st.one_of(st.sampled_from(NORMALISING_PIECES), st.sampled_from("aAfFiIkKmz"))
    return (
        st.lists(piece, min_size=1, max_size=max_pieces)
        .map("".join)
        .filter(lambda t: t[0] not in "\u0301\u0308")
    )


@st.composite
def _substring(draw: st.DrawFn, text: str) -> str:
    start = draw(st.integers(0, len(text) - 1))
    return text[start : draw(st.integers(start + 1, len(text)))]


def _strings(
    samples: Sequence[object], op: CompareOp, hostile: st.SearchStrategy[str]
) -> st.SearchStrategy[Value]:
    texts = [s for s in samples if isinstance(s, str) and s]
    hostile = st.one_of(hostile, normalising_texts())
    if not texts:
        return hostile
    seen = st.sampled_from(texts)
    if op in _SUBSTRING_OPS:
        return st.one_of(seen, seen.flatmap(_substring), seen.map(str.upper), hostile)
    return st.one_of(seen, seen.map(str.upper), hostile)


def _integers(samples: Sequence[object]) -> st.SearchStrategy[Value]:
    numbers = [s for s in samples if isinstance(s, int) and not isinstance(s, bool)]
    general = st.one_of(st.integers(-1, 5), st.integers(-(2**31), 2**31 - 1))
    if not numbers:
        return general
    near = st.tuples(st.sampled_from(numbers), st.sampled_from((-1, 0, 1)))
    return st.one_of(near.map(sum), general)


def _instants(samples: Sequence[object]) -> st.SearchStrategy[Value]:
    general = st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
    instants = [s.astimezone(UTC) for s in samples if isinstance(s, datetime) and s.tzinfo]
    if not instants:
        return general
    near = st.tuples(st.sampled_from(instants), st.sampled_from(_NEAR), st.sampled_from((-1, 1)))
    return st.one_of(near.map(lambda t: t[0] + t[1] * t[2]), general)


def _values(
    definition: AttributeDef, op: CompareOp, samples: Sequence[object], allow_nul: bool
) -> st.SearchStrategy[Value]:
    if definition.type is AttrType.STRING:
        return _strings(samples, op, _hostile_strings(allow_nul))
    if definition.type is AttrType.BOOLEAN:
        return st.booleans()
    if definition.type is AttrType.INTEGER:
        return _integers(samples)
    return _instants(samples)


def _leaves(
    definitions: Sequence[AttributeDef],
    values: Mapping[str, Sequence[object]],
    allow_nul: bool,
) -> st.SearchStrategy[Filter]:
    options: list[st.SearchStrategy[Filter]] = []
    for definition in definitions:
        path = canonical_path(definition)
        samples = values.get(definition.path.lower(), ())
        options.append(st.just(Present(path)))
        for op in _OPS[definition.type]:
            values_for_op = _values(definition, op, samples, allow_nul)
            options.append(st.builds(Comparison, st.just(path), st.just(op), values_for_op))
    return st.one_of(options)


def _trees(
    leaves: st.SearchStrategy[Filter],
    depth: int,
    value_paths: Mapping[str, list[st.SearchStrategy[Filter]]] | None = None,
) -> list[st.SearchStrategy[Filter]]:
    """Strategies for trees of each depth from 0 to ``depth``, index = depth."""
    trees = [leaves]
    for level in range(1, depth + 1):
        below = trees[-1]
        options: list[st.SearchStrategy[Filter]] = [
            leaves,
            st.builds(And, below, below),
            st.builds(Or, below, below),
            st.builds(Not, below),
        ]
        for parent, inner in (value_paths or {}).items():
            options.append(st.builds(ValuePath, st.just(AttrPath(parent)), inner[level - 1]))
        trees.append(st.one_of(options))
    return trees


def filters(
    catalogue: Catalogue = USER_CATALOGUE,
    values: Mapping[str, Sequence[object]] | None = None,
    *,
    max_depth: int = 3,
    allow_nul: bool = False,
) -> st.SearchStrategy[Filter]:
    """Generate bound, valid filter trees over a catalogue.

    :param catalogue: the attributes filters may use; value paths cover its multi-valued
        complex attributes.
    :param values: canonical path (any case) to sample values seen in the data (strings,
        integers, aware datetimes), used to make filters that match something.
    :param max_depth: the most levels of ``and``/``or``/``not``/value path above a leaf.
    :param allow_nul: whether generated strings may contain NUL characters.
    :returns: a strategy whose trees :func:`~idconnect.core.filter.bind` leaves unchanged.
    :raises ValueError: when the catalogue is empty or ``max_depth`` is negative.
    """
    if not catalogue.attributes:
        raise ValueError("cannot generate filters over an empty catalogue")
    if max_depth < 0:
        raise ValueError(f"max_depth must not be negative, got {max_depth}")
    samples = {path.lower(): list(seen) for path, seen in (values or {}).items()}
    by_parent: dict[str, list[AttributeDef]] = {}
    for definition in catalogue:
        by_parent.setdefault(definition.parent, []).append(definition)
    value_paths = {
        parent: _trees(_leaves(members, samples, allow_nul), max(max_depth - 1, 0))
        for parent, members in by_parent.items()
        if all(m.multi_valued and "." in m.path for m in members)
    }
    leaves = _leaves(list(catalogue), samples, allow_nul)
    return _trees(leaves, max_depth, value_paths)[-1]


def filter_texts(
    catalogue: Catalogue = USER_CATALOGUE,
    values: Mapping[str, Sequence[object]] | None = None,
    *,
    max_depth: int = 3,
    allow_nul: bool = False,
) -> st.SearchStrategy[str]:
    """Generate canonical filter text for bound, valid filters: ``filters(...).map(to_text)``.

    :param catalogue: as for :func:`filters`.
    :param values: as for :func:`filters`.
    :param max_depth: as for :func:`filters`.
    :param allow_nul: as for :func:`filters`.
    :returns: a strategy of filter strings that parse and bind over ``catalogue``.
    :raises ValueError: as for :func:`filters`.
    """
    return filters(catalogue, values, max_depth=max_depth, allow_nul=allow_nul).map(to_text)
