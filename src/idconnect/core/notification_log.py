"""The notification log: every message sent to a customer, in the hub's state database.

One table next to the audit trail, ``idconnect_notifications``, created on first use. A message
is written ``queued`` before it is handed to its channel and updated to ``sent`` or ``failed``
(with the cause) afterwards, so one that never got an answer stays ``queued``. The stored
subject and content are the masked rendering: no secret variable's value is ever written.
Pages are newest first, with opaque cursors that resume in another process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from attrs import evolve
from sqlalchemy.dialects import mysql

from idconnect.core.errors import InvalidInput, NotFound
from idconnect.core.notification import DeliveryStatus, Medium, Notification
from idconnect.core.query import Page, unwrap_position, wrap_position
from idconnect.core.state import StateDatabase
from idconnect.core.state_tables import StateTables

__all__ = ["NotificationLog"]

T = TypeVar("T")

_meta = sa.MetaData()
_AT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_log = sa.Table(
    "idconnect_notifications",
    _meta,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(32), nullable=False, unique=True),
    sa.Column("store", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(512), nullable=False),
    sa.Column("at", _AT, nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("policy", sa.String(64), nullable=False),
    sa.Column("template", sa.String(64), nullable=False),
    sa.Column("locale", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("medium", sa.String(8), nullable=False),
    sa.Column("target", sa.String(320)),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("expires_at", _AT),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("cause", sa.Text),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Index("ix_idconnect_notifications_account", "store", "account_id", "seq"),
)
_FIELDS = tuple(c.name for c in _log.columns if c.name != "seq")
_MAX_PAGE = 500


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _from_row(row: Any) -> Notification:
    values = dict(row._mapping)
    values.pop("seq", None)
    values["at"] = _utc(values["at"])
    values["expires_at"] = _utc(values["expires_at"])
    values["medium"] = Medium(values["medium"])
    values["status"] = DeliveryStatus(values["status"])
    return Notification(**values)


_TABLES = StateTables(_meta, "notification log")


class NotificationLog:
    """The notification log of one hub's state database.

    :param state: the hub's state database (its engine is shared).
    """

    def __init__(self, state: StateDatabase) -> None:
        self.state = state

    def _run(self, what: str, work: Callable[[sa.Connection], T]) -> T:
        return _TABLES.run(self.state, work, doing=what)

    def add(self, notification: Notification) -> None:
        """Write a new entry (normally ``queued``).

        :param notification: the entry, with masked content.
        :raises StoreUnavailable: when the state database refuses it.
        """
        row = {name: getattr(notification, name) for name in _FIELDS}
        row["medium"], row["status"] = str(notification.medium), str(notification.status)
        self._run("write", lambda conn: conn.execute(_log.insert(), row))

    def settle(
        self, notification: Notification, status: DeliveryStatus, cause: str | None = None
    ) -> Notification:
        """Record the delivery status of an entry.

        :param notification: the entry as written.
        :param status: ``sent`` or ``failed``.
        :param cause: why it failed.
        :returns: the entry with its status.
        :raises StoreUnavailable: when the state database refuses it.
        """
        self._run(
            "update",
            lambda conn: conn.execute(
                _log.update()
                .where(_log.c.id == notification.id)
                .values(status=str(status), cause=cause)
            ),
        )
        return evolve(notification, status=status, cause=cause)

    def page(
        self, store: str, account_id: str, *, count: int = 50, cursor: str | None = None
    ) -> Page[Notification]:
        """Return one page of an account's notifications, newest first.

        :param store: the store's name.
        :param account_id: the account's id.
        :param count: how many, 1 to 500.
        :param cursor: the ``next_cursor`` of the previous page.
        :returns: the page, with the account's total.
        :raises InvalidInput: for a bad count or a cursor of another listing.
        :raises StoreUnavailable: when the state database cannot be read.
        """
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= _MAX_PAGE:
            raise InvalidInput(f"count must be from 1 to {_MAX_PAGE}", store=store)
        fingerprint = hashlib.sha256(f"notifications\0{store}\0{account_id}".encode()).hexdigest()
        where = sa.and_(_log.c.store == store, _log.c.account_id == account_id)
        if cursor is not None:
            before = unwrap_position(cursor, fingerprint)
            if isinstance(before, bool) or not isinstance(before, int):
                raise InvalidInput("the cursor is not valid", store=store, cursor=cursor)
            where = sa.and_(where, _log.c.seq < before)
        stmt = sa.select(_log).where(where).order_by(_log.c.seq.desc()).limit(count + 1)
        total_stmt = (
            sa.select(sa.func.count())
            .select_from(_log)
            .where(_log.c.store == store, _log.c.account_id == account_id)
        )

        def read(conn: sa.Connection) -> tuple[list[Any], int]:
            return list(conn.execute(stmt)), int(conn.execute(total_stmt).scalar_one())

        rows, total = self._run("read", read)
        more = len(rows) > count
        rows = rows[:count]
        next_cursor = wrap_position(fingerprint, rows[-1].seq) if more else None
        return Page(items=[_from_row(r) for r in rows], next_cursor=next_cursor, total=total)

    def get(self, store: str, account_id: str, notification_id: str) -> Notification:
        """Return one entry of an account's log.

        :param store: the store's name.
        :param account_id: the account's id.
        :param notification_id: the entry's id.
        :returns: the entry.
        :raises NotFound: when the account has no entry with that id.
        :raises StoreUnavailable: when the state database cannot be read.
        """
        stmt = sa.select(_log).where(
            _log.c.store == store, _log.c.account_id == account_id, _log.c.id == notification_id
        )
        row = self._run("read", lambda conn: conn.execute(stmt).first())
        if row is None:
            raise NotFound(f"no notification {notification_id!r}", store=store, account=account_id)
        return _from_row(row)
