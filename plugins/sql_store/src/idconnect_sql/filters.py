"""Compile bound SCIM filters to SQL conditions with bound parameters only.

The translation follows :func:`idconnect.backend.evaluate` exactly:

- every compiled condition is ``TRUE`` or ``FALSE``, never ``NULL``: a comparison on a column is
  ``col IS NOT NULL AND col <op> :value``, a multi-valued one an ``EXISTS``; so ``ne`` and
  ``not`` are plain ``NOT`` and include rows where the attribute is missing;
- case-insensitive strings compare the *folded* expression (a lowered shadow column in the
  managed schema, ``lower(col)`` in a mapped one) with the Python-lowered value; case-exact
  ones compare the stored value; ordering is by code point (binary collations, see
  :mod:`idconnect_sql.types`);
- ``co``/``sw``/``ew`` are ``LIKE`` with ``%``, ``_`` and the escape character escaped
  (``autoescape``); ``ew`` becomes a prefix search on a reversed column when the layout has one;
- multi-valued attributes are semi-joins (``id IN (SELECT account_id ...)``, equivalent to
  ``EXISTS``) over their element rows; a value path is one such subquery with the whole inner
  condition on the same element row;
- SQLite's ``LIKE`` stops at a NUL in the pattern, so such values use ``instr``/``hex`` there;
- PostgreSQL cannot hold NUL in text, so a value containing NUL never equals, contains, starts
  or ends a stored value (constant false) and orders as its prefix before the NUL.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from idconnect.backend import (
    And,
    AttributeDef,
    AttrPath,
    AttrType,
    Catalogue,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    UnsupportedFilter,
    ValuePath,
    left_operands,
)
from idconnect_sql.types import naive_utc

__all__ = ["FilterCompiler", "Layout", "Multi", "Scalar"]


@frozen(kw_only=True)
class Scalar:
    """How to read one single value in SQL (of the account row or of one element row)."""

    expr: ColumnElement[Any]
    """The value as stored; ``NULL`` (or, for mapped text, ``''``) when missing."""
    folded: ColumnElement[Any] | None = None
    """For case-insensitive strings: the value lowered like ``str.lower``."""
    reversed: ColumnElement[Any] | None = None
    """Optionally: the folded value reversed, so ``ew`` is an indexed prefix search."""
    predicate: bool = False
    """Whether ``expr`` is a never-NULL SQL condition (``EXISTS ...``) rather than a column."""


@frozen(kw_only=True)
class Multi:
    """A multi-valued complex attribute: its element rows and their sub-attributes."""

    source: FromClause | None
    """The element rows (a table or join); ``None``: the one element is on the account row."""
    link: ColumnElement[bool]
    """Inline: says that the element exists. With a source: ties an element to the account row."""
    subs: Mapping[str, Scalar]
    """Sub-attribute name (lower case) to how to read it on the element row."""
    owner: ColumnElement[Any] | None = None
    """With a source: the element's column holding the account key (``emails.account_id``)."""
    key: ColumnElement[Any] | None = None
    """With a source: the account key ``owner`` refers to (``accounts.id``)."""


@frozen(kw_only=True)
class Layout:
    """Where each catalogue attribute lives in one store's tables."""

    scalars: Mapping[str, Scalar]
    """Canonical single-valued path (lower case) to its expression on the account row."""
    multis: Mapping[str, Multi]
    """Multi-valued attribute name (lower case) to its element rows."""

    def exists(self, multi: Multi, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """Return "some element of ``multi`` meets ``condition``".

        :param multi: the multi-valued attribute.
        :param condition: a condition on one element row.
        :returns: ``key IN (SELECT owner ... WHERE condition)`` (a semi-join every planner
            drives from the element's index; same truth as a correlated ``EXISTS`` since
            ``owner`` is never NULL), or, for an inline element, a conjunction.
        """
        if multi.source is None:
            return sa.and_(multi.link, condition)
        if multi.owner is not None and multi.key is not None:
            inner = sa.select(multi.owner).select_from(multi.source).where(condition)
            return multi.key.in_(inner)
        return sa.exists(
            sa.select(sa.literal(1)).select_from(multi.source).where(multi.link, condition)
        )


_ORDER: dict[CompareOp, Callable[[Any, Any], Any]] = {
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
}


_SUBSTRING = frozenset({CompareOp.CO, CompareOp.SW, CompareOp.EW})


def _sqlite_substring(op: CompareOp, expr: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """SQLite's LIKE stops at a NUL in the pattern; ``instr`` and ``hex`` see every character."""
    if op is CompareOp.CO:
        return sa.func.instr(expr, value) > 0
    if op is CompareOp.SW:
        return sa.func.instr(expr, value) == 1
    # A suffix of the hex text ending at its end is aligned to whole bytes, so it is exact.
    return sa.func.hex(expr).endswith(value.encode().hex().upper())


def _prefix(expr: ColumnElement[Any], prefix: str) -> list[ColumnElement[bool]]:
    """``expr`` starts with ``prefix``: LIKE, plus a code-point range an index can seek.

    SQLite does not use an index for ``LIKE ... ESCAPE``; ``prefix <= expr < successor`` (the
    prefix with its last character incremented) holds for exactly the same strings under a
    binary collation, so it narrows the scan and the LIKE keeps the answer exact.
    """
    conditions = [expr.startswith(prefix, autoescape=True)]
    if prefix:
        last = ord(prefix[-1]) + 1
        if 0xD800 <= last <= 0xDFFF:
            last = 0xE000
        conditions.append(expr >= prefix)
        if last <= 0x10FFFF:
            conditions.append(expr < prefix[:-1] + chr(last))
    return conditions


class FilterCompiler:
    """Compiles bound filters over one layout to SQLAlchemy conditions.

    :param layout: where attributes live.
    :param catalogue: the catalogue filters are bound to (types and case rules).
    :param dialect: the SQLAlchemy dialect name (``sqlite``, ``postgresql``, ``mysql``...).
    :param store: the store name, for error messages.
    """

    def __init__(self, layout: Layout, catalogue: Catalogue, dialect: str, store: str) -> None:
        self.layout = layout
        self.catalogue = catalogue
        self.no_nul = dialect == "postgresql"
        self.sqlite = dialect == "sqlite"
        self.store = store

    def compile(self, node: Filter) -> ColumnElement[bool]:
        """Compile a bound filter into a never-NULL condition on the account row.

        :param node: the bound filter.
        :returns: the SQL condition.
        :raises UnsupportedFilter: when a path has no place in this store's tables.
        """
        return self._node(node, None)

    def _node(self, node: Filter, scope: Multi | None) -> ColumnElement[bool]:
        if isinstance(node, And):
            return sa.and_(*(self._node(o, scope) for o in left_operands(node)))
        if isinstance(node, Or):
            return sa.or_(*(self._node(o, scope) for o in left_operands(node)))
        if isinstance(node, Not):
            return sa.not_(self._node(node.operand, scope))
        if isinstance(node, ValuePath):
            multi = self._multi(node.path.name)
            return self.layout.exists(multi, self._node(node.filter, multi))
        if isinstance(node, Comparison) and node.op is CompareOp.NE:
            return sa.not_(self._node(Comparison(node.path, CompareOp.EQ, node.value), scope))
        definition = self._definition(node.path)
        if scope is None and definition.multi_valued:
            multi = self._multi(node.path.name)
            return self.layout.exists(
                multi, self._leaf(node, definition, self._sub(multi, node.path))
            )
        if scope is not None:
            return self._leaf(node, definition, self._sub(scope, node.path))
        scalar = self.layout.scalars.get(definition.path.lower())
        if scalar is None:
            raise self._unsupported(node.path)
        return self._leaf(node, definition, scalar)

    def _leaf(
        self, node: Comparison | Present, definition: AttributeDef, scalar: Scalar
    ) -> ColumnElement[bool]:
        if scalar.predicate:
            if isinstance(node, Present):
                return sa.true()
            return scalar.expr if node.value is True else sa.not_(scalar.expr)
        if isinstance(node, Present):
            present = scalar.expr.is_not(None)
            if definition.type is AttrType.STRING:
                return sa.and_(present, scalar.expr != "")
            return present
        return self._comparison(node, definition, scalar)

    def _comparison(
        self, node: Comparison, definition: AttributeDef, scalar: Scalar
    ) -> ColumnElement[bool]:
        value: Any = node.value
        op = node.op
        expr = scalar.expr
        if isinstance(value, str):
            if not definition.case_exact:
                assert scalar.folded is not None
                expr, value = scalar.folded, value.lower()
            if self.no_nul and "\x00" in value:
                if op in _ORDER:
                    # No stored text holds NUL: s > p+"\0"+r  <=>  s > p, and s < ... <=> s <= p.
                    value = value.partition("\x00")[0]
                    op = CompareOp.GT if op in (CompareOp.GT, CompareOp.GE) else CompareOp.LE
                else:
                    return sa.false()
        elif isinstance(value, datetime):
            value = naive_utc(value)
        known = expr.is_not(None)
        if self.sqlite and isinstance(value, str) and "\x00" in value and op in _SUBSTRING:
            return sa.and_(known, _sqlite_substring(op, expr, value))
        if op is CompareOp.EQ:
            return sa.and_(known, expr == value)
        if op is CompareOp.CO:
            return sa.and_(known, expr.contains(value, autoescape=True))
        if op is CompareOp.SW:
            return sa.and_(known, *_prefix(expr, value))
        if op is CompareOp.EW:
            if scalar.reversed is not None and not definition.case_exact:
                return sa.and_(scalar.reversed.is_not(None), *_prefix(scalar.reversed, value[::-1]))
            return sa.and_(known, expr.endswith(value, autoescape=True))
        return sa.and_(known, _ORDER[op](expr, value))

    def _definition(self, path: AttrPath) -> AttributeDef:
        definition = self.catalogue.get(path.dotted)
        if definition is None:
            raise self._unsupported(path)
        return definition

    def _multi(self, name: str) -> Multi:
        multi = self.layout.multis.get(name.lower())
        if multi is None:
            raise self._unsupported(AttrPath(name))
        return multi

    def _sub(self, multi: Multi, path: AttrPath) -> Scalar:
        scalar = multi.subs.get((path.sub or "value").lower())
        if scalar is None:
            raise self._unsupported(path)
        return scalar

    def _unsupported(self, path: AttrPath) -> UnsupportedFilter:
        return UnsupportedFilter(
            f"this store cannot filter on {path.dotted!r}", store=self.store, attribute=path.dotted
        )


def sort_expression(layout: Layout, definition: AttributeDef) -> ColumnElement[Any] | None:
    """Return the expression results are ordered by for a sortable attribute.

    :param layout: where attributes live.
    :param definition: a single-valued attribute.
    :returns: the folded value for case-insensitive strings, ``1``/``0`` for predicates, the
        stored value otherwise; ``None`` when the layout does not hold the attribute.
    """
    scalar = layout.scalars.get(definition.path.lower())
    if scalar is None:
        return None
    if scalar.predicate:
        return sa.case((scalar.expr, 1), else_=0)
    if definition.type is AttrType.STRING and not definition.case_exact:
        return scalar.folded
    return scalar.expr
