"""The filter AST: immutable nodes for the SCIM 2.0 filter grammar (RFC 7644 §3.4.2.2).

The same tree comes from the parser (:func:`idconnect.core.filter.parse`) and from the Python
builder (:func:`attr`). Nodes combine with ``&`` (and), ``|`` (or) and ``~`` (not).

A tree fresh from the parser or the builder holds paths as written. A tree *bound* to a store's
attribute catalogue (:func:`idconnect.core.filter.bind`) holds canonical paths (``emails.value``,
extension attributes by their short name) and typed values (``datetime`` for dateTime attributes);
that is the tree backends translate. Inside a :class:`ValuePath` a bound tree's paths are absolute
(``emails.type``), not relative to the value path.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

from attrs import frozen

__all__ = [
    "And",
    "AttrPath",
    "AttrRef",
    "CompareOp",
    "Comparison",
    "Filter",
    "Not",
    "Or",
    "Present",
    "Value",
    "ValuePath",
    "attr",
]

Value: TypeAlias = str | bool | int | float | Decimal | datetime | None
"""A comparison value: a SCIM compValue (string, number, true, false, null) or, once bound, an
instant for dateTime attributes and a ``Decimal`` for decimal ones."""


class CompareOp(enum.StrEnum):
    """The SCIM attribute operators that take a value."""

    EQ = "eq"
    NE = "ne"
    CO = "co"
    SW = "sw"
    EW = "ew"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"


@frozen
class AttrPath:
    """An attribute path: optional schema URN, attribute name, optional sub-attribute."""

    name: str
    """The attribute name, e.g. ``emails`` or ``userName``."""
    sub: str | None = None
    """The sub-attribute name, e.g. ``value`` in ``emails.value``."""
    schema: str | None = None
    """The schema URN prefix when the path was written with one."""

    @property
    def dotted(self) -> str:
        """The path without its schema, e.g. ``emails.value``."""
        return f"{self.name}.{self.sub}" if self.sub else self.name

    def __str__(self) -> str:
        return f"{self.schema}:{self.dotted}" if self.schema else self.dotted

    @classmethod
    def of(cls, text: str) -> AttrPath:
        """Split ``[urn:...:]name[.sub]`` into a path without checking it against a catalogue.

        :param text: the path as written.
        :returns: the path.
        :raises ValueError: when the text is not an attribute path.
        """
        schema: str | None = None
        rest = text
        if text.lower().startswith("urn:"):
            schema, _, rest = text.rpartition(":")
            if not schema or not rest:
                raise ValueError(f"not an attribute path: {text!r}")
        name, _, sub = rest.partition(".")
        if not name or (sub == "" and rest.endswith(".")) or "." in sub:
            raise ValueError(f"not an attribute path: {text!r}")
        return cls(name=name, sub=sub or None, schema=schema)


class _Combinable:
    """Gives nodes the builder operators ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def __and__(self, other: Filter) -> And:
        return And(self, other)  # type: ignore[arg-type]

    def __or__(self, other: Filter) -> Or:
        return Or(self, other)  # type: ignore[arg-type]

    def __invert__(self) -> Not:
        return Not(self)  # type: ignore[arg-type]


@frozen
class Comparison(_Combinable):
    """``path op value``, e.g. ``userName eq "bjensen"``."""

    path: AttrPath
    """The attribute compared."""
    op: CompareOp
    """The operator."""
    value: Value
    """The value compared with."""


@frozen
class Present(_Combinable):
    """``path pr``: the attribute has a non-empty value."""

    path: AttrPath
    """The attribute tested."""


@frozen
class And(_Combinable):
    """``left and right``."""

    left: Filter
    """The left operand."""
    right: Filter
    """The right operand."""


@frozen
class Or(_Combinable):
    """``left or right``."""

    left: Filter
    """The left operand."""
    right: Filter
    """The right operand."""


@frozen
class Not(_Combinable):
    """``not (operand)``."""

    operand: Filter
    """The negated filter."""


@frozen
class ValuePath(_Combinable):
    """``path[filter]``: one value of a multi-valued complex attribute matches ``filter``."""

    path: AttrPath
    """The multi-valued complex attribute, e.g. ``emails``."""
    filter: Filter
    """The condition one value must meet as a whole."""


Filter: TypeAlias = Comparison | Present | And | Or | Not | ValuePath
"""Any filter node."""


class AttrRef:
    """Builder for filters on one attribute: ``attr("emails.value").ew("@example.org")``."""

    __slots__ = ("path",)

    def __init__(self, path: str | AttrPath) -> None:
        self.path = path if isinstance(path, AttrPath) else AttrPath.of(path)

    def _cmp(self, op: CompareOp, value: Value) -> Comparison:
        return Comparison(self.path, op, value)

    def eq(self, value: Value) -> Comparison:
        """Equal to ``value``."""
        return self._cmp(CompareOp.EQ, value)

    def ne(self, value: Value) -> Comparison:
        """Not equal to ``value`` (a missing attribute matches)."""
        return self._cmp(CompareOp.NE, value)

    def co(self, value: str) -> Comparison:
        """Contains ``value``."""
        return self._cmp(CompareOp.CO, value)

    def sw(self, value: str) -> Comparison:
        """Starts with ``value``."""
        return self._cmp(CompareOp.SW, value)

    def ew(self, value: str) -> Comparison:
        """Ends with ``value``."""
        return self._cmp(CompareOp.EW, value)

    def gt(self, value: Value) -> Comparison:
        """Greater than ``value``."""
        return self._cmp(CompareOp.GT, value)

    def ge(self, value: Value) -> Comparison:
        """Greater than or equal to ``value``."""
        return self._cmp(CompareOp.GE, value)

    def lt(self, value: Value) -> Comparison:
        """Less than ``value``."""
        return self._cmp(CompareOp.LT, value)

    def le(self, value: Value) -> Comparison:
        """Less than or equal to ``value``."""
        return self._cmp(CompareOp.LE, value)

    def present(self) -> Present:
        """Has a non-empty value."""
        return Present(self.path)

    def where(self, condition: Filter) -> ValuePath:
        """One value of this multi-valued attribute meets ``condition`` as a whole."""
        return ValuePath(self.path, condition)


def attr(path: str) -> AttrRef:
    """Start a filter on an attribute: ``attr("userName").eq("bjensen")``.

    :param path: an attribute path as in filter text, e.g. ``name.givenName``.
    :returns: a builder whose methods return filter nodes.
    :raises ValueError: when ``path`` is not an attribute path.
    """
    return AttrRef(path)
