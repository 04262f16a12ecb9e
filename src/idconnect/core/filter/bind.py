"""Bind a filter to a store's attribute catalogue: check it, and make paths and values canonical.

Resolution rules:

- attribute names match ignoring case and come out in their canonical spelling;
- a schema URN prefix must be the core User schema or the idconnect extension schema (any case)
  and must be the schema the attribute belongs to; it is dropped from the bound path;
- a complex attribute named without a sub-attribute (``emails``) means its ``value``
  sub-attribute when the catalogue has one, and is an error otherwise (``name``);
- in a value path (``emails[type eq "work"]``) the attribute must be multi-valued and complex,
  the inner paths are its sub-attributes and come out absolute (``emails.type``), and value
  paths do not nest.

Type rules (by :class:`~idconnect.core.schema.AttrType`): ``null`` is never a comparison value
(use ``pr`` or ``not (... pr)``); ``co``, ``sw`` and ``ew`` need a string attribute; booleans
take ``eq``/``ne`` with ``true``/``false``; strings take a string; integers take ``eq``, ``ne``,
``gt``, ``ge``, ``lt``, ``le`` with a whole number; dateTimes take the same operators with an
ISO 8601 string (or an aware ``datetime``) and come out as an aware UTC ``datetime``.

Range rules, the same for every backend and applied before any I/O:

- an integer attribute holds whole numbers from :data:`INTEGER_MIN` to :data:`INTEGER_MAX` (SQL
  ``INTEGER``, what PostgreSQL and MariaDB columns hold; the catalogue's integers are counters).
  A comparison with a whole number past either end cannot depend on the stored value, so it is
  *folded* into a test that does not name the value, exactly equivalent for every value in
  range: ``eq`` is *false*; ``ne`` is *true* (a missing attribute matches ``ne``); ``gt``/``ge``
  a number above the range and ``lt``/``le`` one below it are *false*; ``lt``/``le`` a number
  above the range and ``gt``/``ge`` one below it are ``path pr`` (every value is on that side,
  and a missing attribute matches no ordering). *false* is ``path pr and not (path pr)`` and
  *true* its negation, on the same path, so every backend translates them like any other node
  and the reference evaluator gives the folded tree the answer it gives the comparison.
- a dateTime holds instants from year 1 to year 9999 in UTC (RFC 3339's four-digit years, and
  what Python and every store hold). A date-time outside them (``10000-01-01``,
  ``9999-12-31T23:00:00-02:00``, ``0001-01-01T00:00:00+01:00``) is refused, naming the value.

Errors are :class:`~idconnect.core.errors.FilterError` with the attribute in ``details`` and no
column; the caller adds the store.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import reduce
from typing import Literal

from idconnect.core.errors import FilterError
from idconnect.core.filter.ast import (
    And,
    AttrPath,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Present,
    Value,
    ValuePath,
)
from idconnect.core.filter.text import left_operands, render_value
from idconnect.core.instants import parse_instant
from idconnect.core.schema import (
    CORE_USER_SCHEMA,
    CUSTOM_SCHEMA,
    EXTENSION_SCHEMA,
    AttributeDef,
    AttrType,
    Catalogue,
)

__all__ = ["INTEGER_MAX", "INTEGER_MIN", "bind", "canonical_path", "resolve_path"]

INTEGER_MIN = -(2**31)
"""The smallest value an integer attribute holds."""
INTEGER_MAX = 2**31 - 1
"""The largest value an integer attribute holds."""

_KNOWN_SCHEMAS = {CORE_USER_SCHEMA.lower(), EXTENSION_SCHEMA.lower(), CUSTOM_SCHEMA.lower()}
_CUSTOM_INTEGER = 2**63
"""Custom integer attributes hold 64 bits (the catalogue's own integers are counters)."""
_DECIMAL_LIMIT = Decimal(10) ** 15
"""Custom decimals hold magnitudes below 10^15 (``NUMERIC(21, 6)``)."""
_STRING_OPS = frozenset({CompareOp.CO, CompareOp.SW, CompareOp.EW})
_EQUALITY_OPS = frozenset({CompareOp.EQ, CompareOp.NE})
_UPWARD_OPS = frozenset({CompareOp.GT, CompareOp.GE})
_DOWNWARD_OPS = frozenset({CompareOp.LT, CompareOp.LE})
_SIGNED_YEAR = re.compile(r"^([+-]?\d{4,})-\d\d-\d\d")
_PAST_INSTANTS = (
    "is not an ISO 8601 date-time a store can hold: instants run from year 1 to year 9999 (UTC)"
)

_Side = Literal["above", "below"]


class _OutOfRange(Exception):
    """A bound integer lies past one end of the integer range."""

    def __init__(self, side: _Side) -> None:
        super().__init__(side)
        self.side: _Side = side


def _fold(path: AttrPath, op: CompareOp, side: _Side) -> Filter:
    """The exact replacement of ``path op value`` for a value past ``side`` of the range."""
    never = And(Present(path), Not(Present(path)))
    if op is CompareOp.NE:
        return Not(never)
    if (side == "above" and op in _DOWNWARD_OPS) or (side == "below" and op in _UPWARD_OPS):
        return Present(path)
    return never


def _check_schema(path: AttrPath, definition: AttributeDef) -> AttributeDef:
    if path.schema is not None and path.schema.lower() != definition.schema.lower():
        raise FilterError(
            f"attribute {definition.path!r} is not in schema {path.schema!r} "
            f"(it is in {definition.schema!r})",
            attribute=str(path),
        )
    return definition


def resolve_path(
    path: AttrPath, catalogue: Catalogue, *, parent: str | None = None
) -> AttributeDef:
    """Find the catalogue attribute a filter path names.

    :param path: the path as written, e.g. ``AttrPath("EMAILS")`` or a path with a schema URN.
    :param catalogue: the store's attributes.
    :param parent: inside a value path, the canonical name of its attribute (``emails``): then
        ``path`` is a sub-attribute name (``type``) or the absolute path (``emails.type``).
    :returns: the attribute definition; a complex attribute without sub-attribute resolves to
        its ``value`` sub-attribute.
    :raises FilterError: for an unknown schema, an attribute not in the catalogue, an attribute
        under a schema it does not belong to, or a complex attribute without ``value``
        (details ``attribute``).
    """
    if path.schema is not None and path.schema.lower() not in _KNOWN_SCHEMAS:
        raise FilterError(
            f"unknown schema {path.schema!r} in attribute {str(path)!r}", attribute=str(path)
        )
    if parent is not None:
        if path.sub is not None and path.name.lower() != parent.lower():
            raise FilterError(
                f"attribute {path.dotted!r} is not a sub-attribute of {parent!r} "
                f"inside {parent!r}[...]",
                attribute=str(path),
            )
        dotted = f"{parent}.{path.sub or path.name}"
        found = catalogue.get(dotted)
        if found is None:
            raise FilterError(f"unknown attribute {dotted!r}", attribute=dotted)
        return _check_schema(path, found)
    found = catalogue.get(path.dotted)
    if found is None and path.sub is None:
        found = catalogue.get(f"{path.name}.value")
        if found is None and catalogue.is_complex(path.name):
            raise FilterError(
                f"attribute {path.name!r} is complex: name one of its sub-attributes, "
                f"e.g. {path.name}.<sub-attribute>",
                attribute=str(path),
            )
    if found is None:
        raise FilterError(f"unknown attribute {path.dotted!r}", attribute=str(path))
    return _check_schema(path, found)


def canonical_path(definition: AttributeDef) -> AttrPath:
    """Return the bound-tree path of an attribute.

    :param definition: a catalogue attribute, e.g. the one for ``emails.value``.
    :returns: ``AttrPath("emails", "value")``, without schema.
    """
    name, _, sub = definition.path.partition(".")
    return AttrPath(name, sub or None)


def _type_error(definition: AttributeDef, reason: str) -> FilterError:
    return FilterError(
        f"attribute {definition.path!r} ({definition.type.value}): {reason}",
        attribute=definition.path,
    )


def _bind_value(definition: AttributeDef, op: CompareOp, value: Value) -> Value:
    """Check ``op`` and ``value`` against the attribute's type; return the typed value."""
    kind = definition.type
    if value is None:
        hint = f"not ({definition.path} pr)" if op is CompareOp.EQ else f"{definition.path} pr"
        raise _type_error(definition, f"cannot compare with null; to test for a value use {hint!r}")
    if op in _STRING_OPS and kind not in (AttrType.STRING, AttrType.REFERENCE):
        raise _type_error(definition, f"{op.value!r} needs a string attribute")
    if kind in (AttrType.STRING, AttrType.REFERENCE):
        if not isinstance(value, str):
            raise _type_error(definition, f"compare it with a quoted string, not {_shown(value)}")
        return value
    if kind is AttrType.BOOLEAN:
        if op not in _EQUALITY_OPS:
            raise _type_error(
                definition, f"only 'eq', 'ne' and 'pr' apply to a boolean, not {op.value!r}"
            )
        if not isinstance(value, bool):
            raise _type_error(definition, f"compare it with true or false, not {_shown(value)}")
        return value
    if kind is AttrType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(definition, f"compare it with a whole number, not {_shown(value)}")
        low, high = (
            (-_CUSTOM_INTEGER, _CUSTOM_INTEGER - 1)
            if definition.custom
            else (INTEGER_MIN, INTEGER_MAX)
        )
        if value > high:
            raise _OutOfRange("above")
        if value < low:
            raise _OutOfRange("below")
        return value
    if kind is AttrType.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise _type_error(definition, f"compare it with a number, not {_shown(value)}")
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if not number.is_finite():
            raise _type_error(definition, f"compare it with a finite number, not {_shown(value)}")
        if number >= _DECIMAL_LIMIT:
            raise _OutOfRange("above")
        if number <= -_DECIMAL_LIMIT:
            raise _OutOfRange("below")
        return number
    return _bind_instant(definition, value)


def _shown(value: Value) -> str:
    try:
        return render_value(value)
    except FilterError:
        return repr(value)


def _bind_instant(definition: AttributeDef, value: Value) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _type_error(definition, f"the datetime {value!r} has no timezone")
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise _type_error(definition, f"{value!r} {_PAST_INSTANTS}") from None
    if not isinstance(value, str):
        raise _type_error(
            definition, f"compare it with a quoted ISO 8601 date-time, not {_shown(value)}"
        )
    try:
        return parse_instant(value)
    except OverflowError:
        raise _type_error(definition, f"{value!r} {_PAST_INSTANTS}") from None
    except ValueError:
        year = _SIGNED_YEAR.match(value)
        if year is not None and not 1 <= int(year.group(1)) <= 9999:
            raise _type_error(definition, f"{value!r} {_PAST_INSTANTS}") from None
        raise _type_error(definition, f"{value!r} is not an ISO 8601 date-time") from None


def _multi_valued_parent(path: AttrPath, catalogue: Catalogue) -> str:
    """The canonical name of a value path's attribute, checked to be multi-valued complex."""
    name = None if path.sub is not None else catalogue.canonical_name(path.name)
    if name is None:
        raise FilterError(f"unknown attribute {path.dotted!r}", attribute=str(path))
    members = [a for a in catalogue if a.parent == name]
    if not all(a.multi_valued and "." in a.path for a in members):
        raise FilterError(
            f"attribute {name!r} is not a multi-valued complex attribute: "
            f"'{name}[...]' does not apply",
            attribute=name,
        )
    _check_schema(path, members[0])
    return name


def _searchable(definition: AttributeDef) -> AttributeDef:
    if not definition.searchable:
        raise FilterError(
            f"attribute {definition.path!r} is not searchable in this store",
            attribute=definition.path,
        )
    return definition


def _bind(node: Filter, catalogue: Catalogue, parent: str | None) -> Filter:
    if isinstance(node, Comparison):
        definition = _searchable(resolve_path(node.path, catalogue, parent=parent))
        path = canonical_path(definition)
        try:
            value = _bind_value(definition, node.op, node.value)
        except _OutOfRange as past:
            return _fold(path, node.op, past.side)
        return Comparison(path, node.op, value)
    if isinstance(node, Present):
        definition = _searchable(resolve_path(node.path, catalogue, parent=parent))
        return Present(canonical_path(definition))
    if isinstance(node, Not):
        return Not(_bind(node.operand, catalogue, parent))
    if isinstance(node, ValuePath):
        if parent is not None:
            raise FilterError(
                f"value paths cannot be nested: {str(node.path)!r}[...] inside {parent!r}[...]",
                attribute=str(node.path),
            )
        name = _multi_valued_parent(node.path, catalogue)
        return ValuePath(AttrPath(name), _bind(node.filter, catalogue, name))
    kind = type(node)
    operands = [_bind(operand, catalogue, parent) for operand in left_operands(node)]
    return reduce(kind, operands)


def bind(f: Filter, catalogue: Catalogue) -> Filter:
    """Check a filter against a store's catalogue and return its bound form.

    The bound tree has canonical paths without schema (absolute inside value paths) and typed
    values (an aware UTC ``datetime`` for dateTime attributes); a comparison with a value past
    its attribute's range is folded (see this module's doc). Binding a bound tree returns an
    equal tree.

    :param f: a tree from :func:`~idconnect.core.filter.parse` or the :func:`attr` builder.
    :param catalogue: the attributes the store has.
    :returns: the bound tree.
    :raises FilterError: for an unknown attribute or schema, a value path on an attribute that
        is not multi-valued complex or nested in another, an operator the attribute's type does
        not take, or a value of the wrong type (details ``attribute``).
    """
    return _bind(f, catalogue, None)
