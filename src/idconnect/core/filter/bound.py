"""Filter text bound to a catalogue by shape: what a store's search does with its filter.

A search binds the filter it parses (:func:`~idconnect.core.filter.bind.bind`); filters that
differ only in their string values (``emails.value eq "..."`` for each lookup) bind alike when
every string value is compared with a string attribute, since binding only checks such a value
to be a string. :func:`bind_text` binds such a shape once per catalogue and then only puts the
values in place; any other filter (a date-time compared with a string, whose binding depends on
the value; an error) is parsed and bound in full, so the tree and the errors are the same.
"""

from __future__ import annotations

from idconnect.core.errors import FilterError
from idconnect.core.filter.ast import Filter
from idconnect.core.filter.bind import bind
from idconnect.core.filter.parse import (
    MAX_LENGTH,
    fill,
    parse,
    shape_template,
    split_literals,
    strings,
)
from idconnect.core.schema import Catalogue

__all__ = ["BOUND_CACHED", "bind_text"]

BOUND_CACHED = 512
"""How many (catalogue, shape) pairs :func:`bind_text` keeps bound."""

_bound: dict[tuple[int, str], tuple[Catalogue, tuple[Filter, int] | None]] = {}
"""By catalogue id and shape: the catalogue (kept alive, so its id is not reused while cached)
and the shape's bound tree with its count of string values, or ``None`` when its filters must
be bound in full."""


def bind_text(text: str, catalogue: Catalogue) -> Filter:
    """Parse filter text and bind it to a catalogue: ``bind(parse(text), catalogue)``.

    :param text: the filter text.
    :param catalogue: the store's attributes.
    :returns: the bound tree, equal to ``bind(parse(text), catalogue)``.
    :raises FilterError: as :func:`~idconnect.core.filter.parse` and
        :func:`~idconnect.core.filter.bind` do, with the same message and details.
    """
    if isinstance(text, str) and len(text) <= MAX_LENGTH:
        split = split_literals(text)
        if split is not None:
            shape, values = split
            key = (id(catalogue), shape)
            known = _bound.get(key)
            if known is None:
                known = (catalogue, _bound_shape(shape, catalogue))
                if len(_bound) >= BOUND_CACHED:
                    _bound.clear()
                _bound[key] = known
            template = known[1]
            if template is not None and template[1] == len(values):
                return fill(template[0], values) if values else template[0]
    return bind(parse(text), catalogue)


def _bound_shape(shape: str, catalogue: Catalogue) -> tuple[Filter, int] | None:
    """A shape's bound tree and string values, if its every filter binds alike; else ``None``."""
    parsed = shape_template(shape)
    if parsed is None:
        return None
    tree, count = parsed
    try:
        bound = bind(tree, catalogue)
    except FilterError:
        return None
    # each string value is still a string after binding: compared with a string attribute
    return (bound, count) if strings(bound) == count else None
