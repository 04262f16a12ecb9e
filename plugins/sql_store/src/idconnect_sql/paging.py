"""Sorting and keyset pagination: no OFFSET, cursors that survive restarts and inserts.

Order: by the sort expression, missing values last in both directions, ties by the stable id in
the same direction. A cursor holds the last row's ``[missing, value, id]``; the next page starts
strictly after it, so rows inserted meanwhile never shift pages.

So that a ``(sort key, id)`` index serves every page on every dialect (no ``CASE`` prefix, and
no ``NULLS LAST``, which MariaDB lacks and which a PostgreSQL index read backwards cannot give),
a page is read in at most two *segments*: the rows holding a value (``ORDER BY sort, id``),
then, only when those run out and the sort expression can be ``NULL`` at all, the rows missing
it (``WHERE sort IS NULL ORDER BY id``). A ``NOT NULL`` column has the first segment only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.sql.elements import Case, ColumnElement

from idconnect.backend import (
    InvalidInput,
    Query,
    decode_cursor,
    encode_cursor,
    format_instant,
    parse_instant,
)

__all__ = ["Keyset", "Segment", "may_be_null"]


def may_be_null(expr: ColumnElement[Any]) -> bool:
    """Whether a sort expression can be ``NULL`` (conservatively ``True`` when unsure).

    :param expr: the sort expression.
    :returns: ``False`` for ``NOT NULL`` columns and ``CASE`` predicates with an ``ELSE``.
    """
    if isinstance(expr, sa.Column):
        return bool(expr.nullable)
    if isinstance(expr, Case):
        return expr.else_ is None
    return True


@frozen
class Segment:
    """One statement's share of a page: the rows it may read and their order."""

    where: ColumnElement[bool] | None
    """The rows of the segment after the cursor, or ``None`` for every row."""
    order_by: Sequence[ColumnElement[Any]]
    """The ORDER BY clauses (sort then id, or id only)."""


class Keyset:
    """The order and the page boundary of one query.

    :param query: the query (its ``sort_by``, ``descending`` and ``cursor``).
    :param key: the stable id column.
    :param sort: the sort expression, or ``None`` to order by id only.
    :raises InvalidInput: when the cursor is not one of this query's.

    The page boundary is bound as parameters (``idc_after_value``, ``idc_after_id``) rather
    than as values, so the statements of one :meth:`shape` serve every page of it.
    """

    def __init__(
        self, query: Query, key: ColumnElement[Any], sort: ColumnElement[Any] | None
    ) -> None:
        self.query = query
        self.key = key
        self.sort = sort
        self.position = self._position()

    def _order(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return column.desc() if self.query.descending else column.asc()

    def _beyond(self, column: ColumnElement[Any], bound: Any) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = column < bound if self.query.descending else column > bound
        return condition

    def _at_or_beyond(self, column: ColumnElement[Any], bound: Any) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = (
            column <= bound if self.query.descending else column >= bound
        )
        return condition

    def columns(self) -> list[ColumnElement[Any]]:
        """Return the extra column to select so that a cursor can be made from the last row.

        :returns: the labelled sort expression, or nothing.
        """
        return [] if self.sort is None else [self.sort.label("idc_sort")]

    def _position(self) -> tuple[int, Any, str | int] | None:
        if self.query.cursor is None:
            return None
        position = decode_cursor(self.query)
        try:
            missing, raw, ident = position
            if not isinstance(ident, str | int) or isinstance(ident, bool) or missing not in (0, 1):
                raise ValueError(ident)
            value = _decoded(raw)
        except (TypeError, ValueError, KeyError, InvalidOperation):
            raise InvalidInput("the cursor is not valid for this query") from None
        return missing, value, ident

    def shape(self) -> tuple[bool, bool, int | None]:
        """Return what the statements depend on besides the parameters.

        :returns: the order's direction, whether it sorts by an expression, and the cursor's
            missing flag (``None`` on the first page).
        """
        flag = None if self.position is None else self.position[0]
        return self.query.descending, self.sort is not None, flag

    def parameters(self) -> dict[str, Any]:
        """Return the values of the page boundary's parameters.

        :returns: ``idc_after_value`` and ``idc_after_id`` after a cursor; nothing before.
        """
        if self.position is None:
            return {}
        _, value, ident = self.position
        return {"idc_after_value": value, "idc_after_id": ident}

    def segments(self) -> list[Segment]:
        """Return the statements' shares of the page, in order, after the cursor.

        :returns: one or two segments (see the module's docstring).
        """
        position = self.position
        key, sort = self.key, self.sort
        after_id: sa.BindParameter[Any] = sa.bindparam("idc_after_id")
        if sort is None:
            after = None if position is None else self._beyond(key, after_id)
            return [Segment(after, [self._order(key)])]
        nullable = may_be_null(sort)
        segments: list[Segment] = []
        if position is None or not position[0]:
            where: ColumnElement[bool] | None = sort.is_not(None) if nullable else None
            if position is not None:
                value: sa.BindParameter[Any] = sa.bindparam("idc_after_value")
                where = sa.and_(
                    self._at_or_beyond(sort, value),
                    sa.or_(self._beyond(sort, value), self._beyond(key, after_id)),
                )
            segments.append(Segment(where, [self._order(sort), self._order(key)]))
        if nullable:
            missing: ColumnElement[bool] = sort.is_(None)
            if position is not None and position[0]:
                missing = sa.and_(missing, self._beyond(key, after_id))
            segments.append(Segment(missing, [self._order(key)]))
        return segments

    def cursor(self, ident: str | int, sort_value: Any) -> str:
        """Return the cursor continuing after a row.

        :param ident: the row's id.
        :param sort_value: the row's ``idc_sort`` value (ignored without a sort).
        :returns: the opaque cursor.
        """
        if self.sort is None:
            return encode_cursor(self.query, [0, None, ident])
        if isinstance(sort_value, datetime):
            sort_value = {"t": format_instant(sort_value)}
        elif isinstance(sort_value, Decimal):
            sort_value = {"d": str(sort_value)}
        return encode_cursor(self.query, [1 if sort_value is None else 0, sort_value, ident])


def _decoded(raw: Any) -> Any:
    """A cursor's sort value: instants and decimals travel as ``{"t": ...}`` / ``{"d": ...}``."""
    if not isinstance(raw, dict):
        return raw
    if "d" in raw:
        number = Decimal(raw["d"])
        if not number.is_finite():
            raise ValueError(raw)
        return number
    return parse_instant(raw["t"])
