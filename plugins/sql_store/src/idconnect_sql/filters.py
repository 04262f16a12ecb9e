"""Compile bound SCIM filters to SQL conditions with bound parameters only.

The translation follows :func:`idconnect.backend.evaluate` exactly:

- every compiled condition is ``TRUE`` or ``FALSE``, never ``NULL``: a comparison on a column is
  ``col IS NOT NULL AND col <op> :value``, a multi-valued one an ``EXISTS``; so ``ne`` and
  ``not`` are plain ``NOT`` and include rows where the attribute is missing; an ``or`` of
  ``eq`` on one column is ``col IS NOT NULL AND col IN (:a, :b, ...)``;
- case-insensitive strings compare the *folded* expression (a lowered shadow column in the
  managed schema, ``lower(col)`` in a mapped one) with the Python-lowered value; case-exact
  ones compare the stored value; ordering is by code point (binary collations, see
  :mod:`idconnect_sql.types`);
- ``co``/``sw``/``ew`` are ``LIKE ... ESCAPE '/'`` with ``%``, ``_`` and ``/`` escaped in the
  bound pattern; ``ew`` becomes a prefix search on a reversed column when the layout has one;
- multi-valued attributes are semi-joins (``id IN (SELECT account_id ...)``, equivalent to
  ``EXISTS``) over their element rows; a value path is one such subquery with the whole inner
  condition on the same element row;
- SQLite's ``LIKE`` stops at a NUL in the pattern, so such values use ``instr``/``hex`` there;
- PostgreSQL cannot hold NUL in text, so a value containing NUL never equals, contains, starts
  or ends a stored value (constant false) and orders as its prefix before the NUL.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
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

__all__ = ["FilterCompiler", "Layout", "Multi", "Scalar", "Shape", "like_escape"]


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

Shape = tuple[Any, ...]
"""A compiled filter's structure without its values: nested tuples, hashable, so statements
built from it can be cached and run again with other values (see :class:`FilterCompiler`)."""

Place = tuple[str | None, str, str]
"""Where a leaf reads its value: (multi-valued attribute or ``None``, attribute or
sub-attribute, ``expr`` | ``folded`` | ``reversed``)."""


def like_escape(value: str) -> str:
    """Escape ``LIKE``'s wildcards and its escape character (``/``) in a literal value.

    :param value: the literal text.
    :returns: the text matching only itself in a pattern with ``ESCAPE '/'``.
    """
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _successor(prefix: str) -> str | None:
    """The least string greater than every string starting with ``prefix`` (code points)."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:
        last = 0xE000
    return prefix[:-1] + chr(last) if last <= 0x10FFFF else None


class FilterCompiler:
    """Compiles bound filters over one layout to SQLAlchemy conditions.

    Compiling is two steps: :meth:`plan` walks the filter in plain Python and returns its
    *shape* (the structure of the SQL condition, hashable) and its *values* (everything the
    condition binds, in order); :meth:`build` turns a shape into a condition whose values are
    bound parameters ``idc_f0``, ``idc_f1``... A search caches the statement built for a shape
    and runs it again with the next filter's values, so a lookup of another email builds no
    SQLAlchemy construct at all.

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
        :returns: the SQL condition, its values bound (parameters of unique names).
        :raises UnsupportedFilter: when a path has no place in this store's tables.
        """
        shape, values = self.plan(node)
        return self.build(shape, values)

    def plan(self, node: Filter) -> tuple[Shape, list[Any]]:
        """Translate a bound filter into a condition's shape and the values it binds.

        :param node: the bound filter.
        :returns: the shape and the values, in the order of the parameters ``build`` names.
        :raises UnsupportedFilter: when a path has no place in this store's tables.
        """
        values: list[Any] = []
        return self._node(node, None, values), values

    def build(self, shape: Shape, values: Sequence[Any] | None = None) -> ColumnElement[bool]:
        """Build the condition of a shape.

        :param shape: a shape from :meth:`plan` on this compiler.
        :param values: the values to bind; ``None`` to leave parameters ``idc_f<n>`` unset
            (to be given when the statement runs, see :func:`parameters`).
        :returns: the never-NULL condition.
        """
        counter = iter(range(len(values) if values is not None else 1 << 30))

        def param() -> Any:
            n = next(counter)
            if values is None:
                return sa.bindparam(f"idc_f{n}")
            return sa.bindparam(f"idc_f{n}", values[n], unique=True)

        return self._build(shape, param)

    # -- planning: plain Python ------------------------------------------------------------

    def _node(self, node: Filter, scope: str | None, values: list[Any]) -> Shape:
        if isinstance(node, And | Or):
            parts = tuple(self._node(o, scope, values) for o in left_operands(node))
            return ("and", parts) if isinstance(node, And) else _equal_any(parts)
        if isinstance(node, Not):
            return ("not", self._node(node.operand, scope, values))
        if isinstance(node, ValuePath):
            name = self._multi(node.path.name)
            return ("in", name, self._node(node.filter, name, values))
        if isinstance(node, Comparison) and node.op is CompareOp.NE:
            equal = Comparison(node.path, CompareOp.EQ, node.value)
            return ("not", self._node(equal, scope, values))
        definition = self._definition(node.path)
        # a custom attribute is element rows (of idc_attributes) even when single-valued
        if scope is None and (
            definition.multi_valued
            or (definition.custom and definition.path.lower() in self.layout.multis)
        ):
            name = self._multi(node.path.name)
            return ("in", name, self._leaf(node, definition, self._sub(name, node.path), values))
        if scope is not None:
            return self._leaf(node, definition, self._sub(scope, node.path), values)
        key = definition.path.lower()
        if key not in self.layout.scalars:
            raise self._unsupported(node.path)
        return self._leaf(node, definition, (None, key), values)

    def _leaf(
        self,
        node: Comparison | Present,
        definition: AttributeDef,
        where: tuple[str | None, str],
        values: list[Any],
    ) -> Shape:
        scalar = self._scalar(where)
        expr: Place = (*where, "expr")
        if scalar.predicate:
            if isinstance(node, Present):
                return ("true",)
            return ("pred", expr) if node.value is True else ("not", ("pred", expr))
        if isinstance(node, Present):
            if definition.type is AttrType.STRING:
                return ("and", (("known", expr), ("filled", expr)))
            return ("known", expr)
        return self._comparison(node, definition, where, values)

    def _comparison(
        self,
        node: Comparison,
        definition: AttributeDef,
        where: tuple[str | None, str],
        values: list[Any],
    ) -> Shape:
        value: Any = node.value
        op = node.op
        place: Place = (*where, "expr")
        if isinstance(value, str):
            if not definition.case_exact:
                place, value = (*where, "folded"), value.lower()
            if self.no_nul and "\x00" in value:
                if op not in _ORDER:
                    return ("false",)
                # No stored text holds NUL: s > p+"\0"+r  <=>  s > p, and s < ... <=> s <= p.
                value = value.partition("\x00")[0]
                op = CompareOp.GT if op in (CompareOp.GT, CompareOp.GE) else CompareOp.LE
        elif isinstance(value, datetime):
            value = naive_utc(value)
        known: Shape = ("known", place)
        if self.sqlite and isinstance(value, str) and "\x00" in value and op in _SUBSTRING:
            if op is CompareOp.EW:
                values.append("%" + value.encode().hex().upper())
                return ("and", (known, ("hex_like", place)))
            values.append(value)
            return ("and", (known, ("instr_" + op.value, place)))
        if op is CompareOp.EQ:
            values.append(value)
            return ("and", (known, ("eq", place)))
        if op is CompareOp.CO:
            values.append(f"%{like_escape(value)}%")
            return ("and", (known, ("like", place)))
        if op is CompareOp.SW:
            return ("and", (known, *self._prefix(place, value, values)))
        if op is CompareOp.EW:
            if self._scalar(where).reversed is not None and not definition.case_exact:
                backwards: Place = (*where, "reversed")
                return (
                    "and",
                    (("known", backwards), *self._prefix(backwards, value[::-1], values)),
                )
            values.append(f"%{like_escape(value)}")
            return ("and", (known, ("like", place)))
        values.append(value)
        return ("and", (known, (op.value, place)))

    @staticmethod
    def _prefix(place: Place, prefix: str, values: list[Any]) -> list[Shape]:
        """``place`` starts with ``prefix``: LIKE, plus a code-point range an index can seek.

        SQLite does not use an index for ``LIKE ... ESCAPE``; ``prefix <= expr < successor``
        (the prefix with its last character incremented) holds for exactly the same strings
        under a binary collation, so it narrows the scan and the LIKE keeps the answer exact.
        """
        values.append(like_escape(prefix) + "%")
        shapes: list[Shape] = [("like", place)]
        if prefix:
            values.append(prefix)
            shapes.append(("ge", place))
            successor = _successor(prefix)
            if successor is not None:
                values.append(successor)
                shapes.append(("lt", place))
        return shapes

    def _scalar(self, where: tuple[str | None, str]) -> Scalar:
        multi, key = where
        return self.layout.scalars[key] if multi is None else self.layout.multis[multi].subs[key]

    def _definition(self, path: AttrPath) -> AttributeDef:
        definition = self.catalogue.get(path.dotted)
        if definition is None:
            raise self._unsupported(path)
        return definition

    def _multi(self, name: str) -> str:
        if name.lower() not in self.layout.multis:
            raise self._unsupported(AttrPath(name))
        return name.lower()

    def _sub(self, multi: str, path: AttrPath) -> tuple[str, str]:
        key = (path.sub or "value").lower()
        if key not in self.layout.multis[multi].subs:
            raise self._unsupported(path)
        return multi, key

    def _unsupported(self, path: AttrPath) -> UnsupportedFilter:
        return UnsupportedFilter(
            f"this store cannot filter on {path.dotted!r}", store=self.store, attribute=path.dotted
        )

    # -- building: SQLAlchemy --------------------------------------------------------------

    def _build(self, shape: Shape, param: Callable[[], Any]) -> ColumnElement[bool]:
        kind = shape[0]
        if kind == "and":
            return sa.and_(*(self._build(s, param) for s in shape[1]))
        if kind == "or":
            return sa.or_(*(self._build(s, param) for s in shape[1]))
        if kind == "not":
            return sa.not_(self._build(shape[1], param))
        if kind == "in":
            multi = self.layout.multis[shape[1]]
            return self.layout.exists(multi, self._build(shape[2], param))
        if kind == "true":
            return sa.true()
        if kind == "false":
            return sa.false()
        multi, key, variant = shape[1]
        expr: ColumnElement[Any] = getattr(self._scalar((multi, key)), variant)
        if kind == "pred":
            return expr
        if kind == "known":
            return expr.is_not(None)
        if kind == "filled":
            return expr != ""
        if kind == "like":
            return expr.like(param(), escape="/")
        if kind == "instr_co":
            return sa.func.instr(expr, param()) > 0
        if kind == "instr_sw":
            return sa.func.instr(expr, param()) == 1
        if kind == "hex_like":
            # A suffix of the hex text ending at its end is aligned to whole bytes: exact.
            return sa.func.hex(expr).like(param())
        if kind == "eq_any":
            return expr.in_([param() for _ in range(shape[2])])
        compare = operator.eq if kind == "eq" else _ORDER[CompareOp(kind)]
        condition: ColumnElement[bool] = compare(expr, param())
        return condition


def _equal_any(parts: tuple[Shape, ...]) -> Shape:
    """``p = a OR p = b ...`` (each with its ``p IS NOT NULL``) as ``p IN (a, b, ...)``.

    The same rows: an index seeks each value, where a long ``OR`` can make PostgreSQL's
    generic plan of the prepared statement scan the table (a job reading its accounts by id).
    """
    places = set()
    count = 0
    for part in parts:
        if part[0] != "and" or len(part[1]) != 2 or part[1][1][0] not in ("eq", "eq_any"):
            return ("or", parts)
        known, equal = part[1]
        if known != ("known", equal[1]):
            return ("or", parts)
        places.add(equal[1])
        count += equal[2] if equal[0] == "eq_any" else 1
    if len(places) != 1:
        return ("or", parts)
    place = places.pop()
    return ("and", (("known", place), ("eq_any", place, count)))


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
