"""Managed store: an account's activity in ``idc_activity`` (revision 0004).

The customer-facing app writes to it through ``store.record_activity(...)`` or with a plain
``INSERT`` (the plugin's README lists the columns); pages are keyset pages on
``(at, id)`` descending, served by the ``(account_id, at, id)`` index. Rows of a kind outside
:data:`~idconnect.backend.STORE_KINDS` are not shown; a detail or address an application wrote
that the facade would have refused is made to fit (:func:`~idconnect.backend.decode_detail`).
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from idconnect.backend import (
    STORE_KINDS,
    ActivityKind,
    ActivityRecord,
    InvalidInput,
    Page,
    activity_fingerprint,
    decode_detail,
    encode_detail,
    format_instant,
    hookimpl,
    parse_instant,
    unwrap_position,
    wrap_position,
)
from idconnect_sql.managed.base import ManagedBase

__all__ = ["ActivityOps"]


def _record(row: Any) -> ActivityRecord:
    values: dict[str, Any] = {
        "id": row.id,
        "account_id": row.account_id,
        "kind": row.kind,
        "at": row.at,
        "detail": decode_detail(row.detail),
    }
    try:
        return ActivityRecord(**values, ip=row.ip, user_agent=row.user_agent)
    except ValueError:  # an application wrote an address or agent the facade would refuse
        return ActivityRecord(**values)


class ActivityOps(ManagedBase):
    """Activity hooks: list an account's records newest first, record one."""

    @hookimpl
    def idconnect_list_activity(
        self,
        account_id: str,
        since: datetime | None,
        until: datetime | None,
        kinds: Set[ActivityKind] | None,
        count: int,
        cursor: str | None,
    ) -> Page[ActivityRecord]:
        """Read one keyset page of ``idc_activity`` for the account, ``(at, id)`` descending."""
        t = self.tables.activity
        fingerprint = activity_fingerprint("sql", account_id, since, until, kinds)
        wanted = sorted(STORE_KINDS if kinds is None else kinds)
        stmt = sa.select(t).where(t.c.account_id == account_id, t.c.kind.in_(wanted))
        if since is not None:
            stmt = stmt.where(t.c.at >= since)
        if until is not None:
            stmt = stmt.where(t.c.at <= until)
        if cursor is not None:
            at, ident = self._position(unwrap_position(cursor, fingerprint), cursor)
            stmt = stmt.where(sa.or_(t.c.at < at, sa.and_(t.c.at == at, t.c.id < ident)))
        stmt = stmt.order_by(t.c.at.desc(), t.c.id.desc()).limit(count + 1)
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            rows = connection.execute(stmt).all()
        items = [_record(row) for row in rows[:count]]
        next_cursor = None
        if len(rows) > count:
            last = items[-1]
            next_cursor = wrap_position(fingerprint, [format_instant(last.at), last.id])
        return Page(items=items, next_cursor=next_cursor)

    def _position(self, position: Any, cursor: str) -> tuple[datetime, str]:
        try:
            at, ident = position
            return parse_instant(at), str(ident)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                "the cursor is not valid (was it cut short?)", store=self.name, cursor=cursor
            ) from exc

    @hookimpl
    def idconnect_record_activity(self, account_id: str, record: ActivityRecord) -> ActivityRecord:
        """Insert the record."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            connection.execute(
                sa.insert(self.tables.activity).values(
                    id=record.id,
                    account_id=account_id,
                    kind=record.kind.value,
                    at=record.at,
                    ip=record.ip,
                    user_agent=record.user_agent,
                    detail=encode_detail(record.detail),
                )
            )
        return record
