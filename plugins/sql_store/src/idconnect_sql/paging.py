"""Sorting and keyset pagination: no OFFSET, cursors that survive restarts and inserts.

Order: by the sort expression (missing values last in both directions), ties by the stable id
in the same direction. A cursor holds the last row's ``[missing, value, id]``; the next page
starts strictly after it, so rows inserted meanwhile never shift pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from idconnect.backend import (
    InvalidInput,
    Query,
    decode_cursor,
    encode_cursor,
    format_instant,
    parse_instant,
)

__all__ = ["Keyset"]


class Keyset:
    """The order and the page boundary of one query.

    :param query: the query (its ``sort_by``, ``descending`` and ``cursor``).
    :param key: the stable id column.
    :param sort: the sort expression, or ``None`` to order by id only.
    """

    def __init__(
        self, query: Query, key: ColumnElement[Any], sort: ColumnElement[Any] | None
    ) -> None:
        self.query = query
        self.key = key
        self.sort = sort

    def order_by(self) -> list[ColumnElement[Any]]:
        """Return the ORDER BY clauses.

        :returns: ``(sort IS NULL), sort, id`` in the query's direction (missing last).
        """
        desc = self.query.descending
        clauses: list[ColumnElement[Any]] = []
        if self.sort is not None:
            clauses.append(sa.case((self.sort.is_(None), 1), else_=0).asc())
            clauses.append(self.sort.desc() if desc else self.sort.asc())
        clauses.append(self.key.desc() if desc else self.key.asc())
        return clauses

    def columns(self) -> list[ColumnElement[Any]]:
        """Return the extra column to select so that a cursor can be made from the last row.

        :returns: the labelled sort expression, or nothing.
        """
        return [] if self.sort is None else [self.sort.label("idc_sort")]

    def after(self) -> ColumnElement[bool] | None:
        """Return the condition selecting rows after the cursor, or ``None`` without a cursor.

        :returns: the condition.
        :raises InvalidInput: when the cursor is not one of this query's.
        """
        if self.query.cursor is None:
            return None
        position = decode_cursor(self.query)
        try:
            missing, raw, ident = position
            if not isinstance(ident, str | int) or isinstance(ident, bool) or missing not in (0, 1):
                raise ValueError(ident)
            value = parse_instant(raw["t"]) if isinstance(raw, dict) else raw
        except (TypeError, ValueError, KeyError):
            raise InvalidInput("the cursor is not valid for this query") from None
        descending = self.query.descending

        def beyond(column: ColumnElement[Any], bound: Any) -> ColumnElement[bool]:
            condition: ColumnElement[bool] = column < bound if descending else column > bound
            return condition

        if self.sort is None:
            return beyond(self.key, ident)
        if missing:
            return sa.and_(self.sort.is_(None), beyond(self.key, ident))
        return sa.or_(
            self.sort.is_(None),
            sa.and_(
                self.sort.is_not(None),
                sa.or_(
                    beyond(self.sort, value), sa.and_(self.sort == value, beyond(self.key, ident))
                ),
            ),
        )

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
        return encode_cursor(self.query, [1 if sort_value is None else 0, sort_value, ident])
