"""The hub's own state database: the audit trail, in SQLAlchemy Core (SQLite by default)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from idconnect.core.errors import StoreUnavailable
from idconnect.core.model import Event

__all__ = ["StateDatabase"]

_meta = sa.MetaData()
_events = sa.Table(
    "idconnect_events",
    _meta,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(32), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("store", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(512)),
    sa.Column("reason", sa.Text),
    sa.Column("target", sa.String(512)),
    sa.Column("changed", sa.Text),
    sa.Column("error_code", sa.String(64)),
    sa.Column("error", sa.Text),
    sa.Index("ix_idconnect_events_account", "store", "account_id", "at"),
    sa.Index("ix_idconnect_events_at", "store", "at"),
)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StateDatabase:
    """Where the hub keeps audit events; one per hub, shared by all its stores.

    :param url: a SQLAlchemy URL; SQLite files are created on first use.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> sa.Engine:
        """The engine, created (with the tables) on first use.

        :raises StoreUnavailable: when the database cannot be opened.
        """
        if self._engine is None:
            try:
                url = sa.make_url(self.url)
                in_memory = url.get_backend_name() == "sqlite" and url.database in (
                    None,
                    "",
                    ":memory:",
                )
                engine = sa.create_engine(
                    url,
                    **(
                        {
                            "poolclass": sa.pool.StaticPool,
                            "connect_args": {"check_same_thread": False},
                        }
                        if in_memory
                        else {}
                    ),
                )
                if engine.dialect.name == "sqlite":
                    sa.event.listen(engine, "connect", _sqlite_pragmas)
                _meta.create_all(engine)
            except SQLAlchemyError as exc:
                raise StoreUnavailable(
                    f"cannot open the hub's state database ({exc.__class__.__name__})",
                    store="hub-state",
                ) from exc
            self._engine = engine
        return self._engine

    def record(self, events: Iterable[Event]) -> None:
        """Append events to the audit trail in one transaction.

        :param events: the events to write.
        :raises StoreUnavailable: when the database does not accept them.
        """
        rows = [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "store": e.store,
                "action": e.action,
                "outcome": e.outcome,
                "request_id": e.request_id,
                "account_id": e.account_id,
                "reason": e.reason,
                "target": e.target,
                "changed": json.dumps(list(e.changed)) if e.changed else None,
                "error_code": e.error_code,
                "error": e.error,
            }
            for e in events
        ]
        if not rows:
            return
        try:
            with self._lock, self.engine.begin() as conn:
                conn.execute(_events.insert(), rows)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"cannot write audit events ({exc.__class__.__name__})", store="hub-state"
            ) from exc

    def events(
        self,
        store: str,
        *,
        account_id: str | None = None,
        since: datetime | None = None,
        action: str | None = None,
        limit: int = 1000,
    ) -> Sequence[Event]:
        """Read a store's events, oldest first.

        :param store: the store name.
        :param account_id: only events about this account.
        :param since: only events at or after this instant.
        :param action: only events of this action, e.g. ``disable_account``.
        :param limit: at most this many (the newest ones).
        :returns: the events.
        :raises StoreUnavailable: when the database cannot be read.
        """
        stmt = sa.select(_events).where(_events.c.store == store)
        if account_id is not None:
            stmt = stmt.where(_events.c.account_id == account_id)
        if since is not None:
            stmt = stmt.where(_events.c.at >= since)
        if action is not None:
            stmt = stmt.where(_events.c.action == action)
        stmt = stmt.order_by(_events.c.seq.desc()).limit(limit)
        try:
            with self._lock, self.engine.connect() as conn:
                rows = conn.execute(stmt).mappings().all()
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"cannot read audit events ({exc.__class__.__name__})", store="hub-state"
            ) from exc
        return [
            Event(
                id=r["id"],
                at=_utc(r["at"]),
                actor=r["actor"],
                store=r["store"],
                action=r["action"],
                outcome=r["outcome"],
                request_id=r["request_id"],
                account_id=r["account_id"],
                reason=r["reason"],
                target=r["target"],
                changed=tuple(json.loads(r["changed"])) if r["changed"] else (),
                error_code=r["error_code"],
                error=r["error"],
            )
            for r in reversed(rows)
        ]

    def close(self) -> None:
        """Dispose of the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def new_event_id() -> str:
    """Return a fresh, random event id (32 hex characters)."""
    return os.urandom(16).hex()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; fsync at checkpoints
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
