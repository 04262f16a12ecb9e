"""The hub's own state database: the audit trail, in SQLAlchemy Core (SQLite by default).

Audit events are written set-based, one transaction per call that commits before the call
returns: one ``executemany`` of prebuilt tuples on SQLite, one ``COPY`` on PostgreSQL (psycopg),
SQLAlchemy's multi-row insert elsewhere. A write or read that loses its connection (a restarted
server, a terminated backend) is retried on a fresh one; when the database stays unreachable the
rows go to a local spool file (fsynced, under the hub's home) and are replayed, before anything
else, by the next write or read.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from idconnect.core.config import HOME_ENV
from idconnect.core.errors import StoreUnavailable
from idconnect.core.model import Event
from idconnect.core.state_engine import can_copy, copy_rows, create_state_engine

__all__ = ["COLUMNS", "EventRow", "StateDatabase", "event_row", "new_event_id", "new_event_ids"]

T = TypeVar("T")

_meta = sa.MetaData()
_events = sa.Table(
    "idconnect_events",
    _meta,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(32), nullable=False),
    sa.Column(
        "at",
        # MariaDB/MySQL DATETIME keeps whole seconds unless asked for fractions
        sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
        nullable=False,
    ),
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

COLUMNS = (
    "id",
    "at",
    "actor",
    "store",
    "action",
    "outcome",
    "request_id",
    "account_id",
    "reason",
    "target",
    "changed",
    "error_code",
    "error",
)
"""The columns of one event row, in :data:`EventRow` order."""

EventRow = tuple[
    str,
    datetime,
    str,
    str,
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
]
"""One event as written: the :data:`COLUMNS` values; ``changed`` is a JSON list or ``None``."""

_AT = COLUMNS.index("at")
_ATTEMPTS = 5
"""Writes tried on fresh connections before the rows go to the spool."""
_BACKOFF = 0.05
"""Seconds before the first retry; doubled for each further one."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def event_row(event: Event) -> EventRow:
    """Turn an event into the row written for it.

    :param event: the event.
    :returns: its :data:`EventRow`.
    """
    return (
        event.id,
        event.at,
        event.actor,
        event.store,
        event.action,
        event.outcome,
        event.request_id,
        event.account_id,
        event.reason,
        event.target,
        json.dumps(list(event.changed)) if event.changed else None,
        event.error_code,
        event.error,
    )


def _lost_connection(exc: SQLAlchemyError) -> bool:
    """Whether ``exc`` means the database could not be reached (retry, then spool)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)


class StateDatabase:
    """Where the hub keeps audit events; one per hub, shared by all its stores.

    :param url: a SQLAlchemy URL; SQLite files are created on first use.
    :param spool: the file rows go to while the database is unreachable; by default
        ``idconnect-state-spool-<url hash>.jsonl`` in ``$IDCONNECT_HOME`` (else the current
        directory).
    """

    def __init__(self, url: str, *, spool: Path | None = None) -> None:
        self.url = url
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        home = Path(os.environ.get(HOME_ENV) or Path.cwd())
        self.spool = spool or home / f"idconnect-state-spool-{digest}.jsonl"
        self._engine: sa.Engine | None = None
        self._reader: sa.Engine | None = None
        self._writer: Callable[[sa.Connection, Sequence[EventRow]], None] | None = None
        self._lock = threading.Lock()
        self._opening = threading.Lock()

    @property
    def engine(self) -> sa.Engine:
        """The engine, created (with the tables) on first use.

        :raises StoreUnavailable: when the database cannot be opened.
        """
        if self._engine is None:
            with self._opening:  # threads using the hub at once open it once
                if self._engine is None:
                    try:
                        engine = create_state_engine(self.url)
                        _meta.create_all(engine)
                    except SQLAlchemyError as exc:
                        raise StoreUnavailable(
                            f"cannot open the hub's state database ({exc.__class__.__name__})",
                            store="hub-state",
                        ) from exc
                    self._writer = _writer_for(engine)
                    self._engine = engine
        return self._engine

    @property
    def reader(self) -> sa.Engine:
        """An engine for single-statement reads on the hot path (an API token per request).

        On a server database its connections run in autocommit and are not reset when
        returned, so a read is one round trip instead of three (BEGIN, the query, ROLLBACK);
        a SQLite state database reads through :attr:`engine`. Never write through it.

        :raises StoreUnavailable: when the database cannot be opened.
        """
        engine = self.engine
        if engine.dialect.name == "sqlite":
            return engine
        with self._lock:
            if self._reader is None:
                self._reader = create_state_engine(
                    self.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None
                )
        return self._reader

    def ping(self) -> None:
        """Check that the state database answers (a readiness probe).

        :raises StoreUnavailable: when it cannot be opened or does not answer.
        """
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"the hub's state database does not answer ({exc.__class__.__name__})",
                store="hub-state",
            ) from exc

    def record(self, events: Iterable[Event]) -> None:
        """Append events to the audit trail in one transaction.

        :param events: the events to write.
        :raises StoreUnavailable: when neither the database nor the spool accepts them.
        """
        self.write([event_row(e) for e in events])

    def write(self, rows: Sequence[EventRow]) -> None:
        """Append prebuilt event rows in one set-based transaction, durable when this returns.

        Retried on a fresh connection when the connection is lost; spooled locally (and replayed
        by the next write or read) when the database stays unreachable.

        :param rows: the rows, as :func:`event_row` builds them.
        :raises StoreUnavailable: when the database refuses them for another reason than being
            unreachable, or when it is unreachable and the spool cannot be written either.
        """
        if not rows:
            return
        with self._lock:
            try:
                self._replay()
                self._write_retrying(rows)
            except SQLAlchemyError as exc:
                if not _lost_connection(exc):
                    raise StoreUnavailable(
                        f"cannot write audit events ({exc.__class__.__name__})", store="hub-state"
                    ) from exc
                self._spool(rows, exc)
            except StoreUnavailable as exc:  # the engine could not even be opened
                self._spool(rows, exc)

    def _write_retrying(self, rows: Sequence[EventRow], *, replay: bool = False) -> None:
        def write(conn: sa.Connection, attempt: int) -> None:
            # A lost commit may have committed: write only what is not there yet.
            todo = _unwritten(conn, rows) if attempt or replay else rows
            if todo:
                assert self._writer is not None
                self._writer(conn, todo)

        self._retrying(write)

    def _retrying(self, work: Callable[[sa.Connection, int], T]) -> T:
        """Run ``work(connection, attempt)`` in a transaction; again on a lost connection.

        At most :data:`_ATTEMPTS` times, backing off, each on a fresh connection.
        """
        for attempt in range(_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    return work(conn, attempt)
            except SQLAlchemyError as exc:
                if not _lost_connection(exc) or attempt == _ATTEMPTS - 1:
                    raise
                if not (isinstance(exc, DBAPIError) and exc.connection_invalidated):
                    self.engine.dispose()  # drop every pooled connection, not only this one
                time.sleep(_BACKOFF * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _spool(self, rows: Sequence[EventRow], cause: Exception) -> None:
        try:
            fd = os.open(self.spool, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)  # other hub processes share the file
                fh.write("".join(_spool_line(r) for r in rows))
                fh.flush()
                os.fsync(fh.fileno())
            folder = os.open(self.spool.parent, os.O_RDONLY)
            try:
                os.fsync(folder)  # the file's own entry, when it was just created
            finally:
                os.close(folder)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot write audit events ({cause.__class__.__name__}) nor spool them to"
                f" {self.spool} ({exc.strerror})",
                store="hub-state",
            ) from cause

    def _replay(self) -> None:
        """Write the spooled rows first (raises as a write does while still unreachable).

        The file is emptied, never removed, so every process appends to and replays the same
        file under the same lock.
        """
        if self.pending_bytes() == 0:
            return
        try:
            with self.spool.open("r+", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                rows = [row for row in map(_from_spool_line, fh) if row is not None]
                if rows:
                    self._write_retrying(rows, replay=True)
                fh.truncate(0)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot replay the audit spool {self.spool} ({exc.strerror})", store="hub-state"
            ) from exc

    def pending_bytes(self) -> int:
        """Return the spool's size: 0 when no event waits for the database."""
        try:
            return self.spool.stat().st_size
        except FileNotFoundError:
            return 0

    def pending(self) -> int:
        """Count the events waiting in the spool for the database to come back.

        :returns: how many rows the spool holds (0 when there is none).
        """
        if self.pending_bytes() == 0:
            return 0
        with self.spool.open(encoding="utf-8") as fh:
            return sum(1 for line in fh if _from_spool_line(line) is not None)

    def events(
        self,
        store: str,
        *,
        account_id: str | None = None,
        since: datetime | None = None,
        action: str | None = None,
        limit: int = 1000,
    ) -> Sequence[Event]:
        """Read a store's events, oldest first (spooled events are replayed first).

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
        return list(reversed(self._read(stmt)))

    def account_events(
        self,
        store: str,
        account_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, str] | None = None,
        skip_actions: Sequence[str] = (),
        limit: int = 1000,
    ) -> Sequence[Event]:
        """Read one account's events newest first, by ``(at, id)`` descending: a keyset page.

        :param store: the store name.
        :param account_id: the account.
        :param since: only events at or after this aware instant.
        :param until: only events at or before this aware instant.
        :param before: only events strictly before this ``(at, id)`` (the last one of the
            previous page).
        :param skip_actions: leave events of these actions out.
        :param limit: at most this many.
        :returns: the events, newest first.
        :raises StoreUnavailable: when the database cannot be read.
        """
        c = _events.c
        stmt = sa.select(_events).where(c.store == store, c.account_id == account_id)
        if since is not None:
            stmt = stmt.where(c.at >= _utc(since))
        if until is not None:
            stmt = stmt.where(c.at <= _utc(until))
        if before is not None:
            at, ident = _utc(before[0]), before[1]
            stmt = stmt.where(sa.or_(c.at < at, sa.and_(c.at == at, c.id < ident)))
        if skip_actions:
            stmt = stmt.where(c.action.not_in(skip_actions))
        return self._read(stmt.order_by(c.at.desc(), c.id.desc()).limit(limit))

    def _read(self, stmt: sa.Select[Any]) -> list[Event]:
        """Run a select of event rows (spooled events are replayed first), in its order."""
        try:
            with self._lock:
                self._replay()
                rows = self._retrying(lambda conn, _: conn.execute(stmt).mappings().all())
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
            for r in rows
        ]

    def close(self) -> None:
        """Dispose of the engine's connections."""
        for engine in (self._engine, self._reader):
            if engine is not None:
                engine.dispose()
        self._engine = self._reader = None


def new_event_id() -> str:
    """Return a fresh, random event id (32 hex characters)."""
    return os.urandom(16).hex()


def new_event_ids(count: int) -> list[str]:
    """Return ``count`` fresh, random event ids from one read of the OS's random source.

    :param count: how many.
    :returns: 32-hex-character ids.
    """
    blob = os.urandom(16 * count).hex()
    return [blob[i : i + 32] for i in range(0, 32 * count, 32)]


def _writer_for(engine: sa.Engine) -> Callable[[sa.Connection, Sequence[EventRow]], None]:
    """Pick the fastest set-based insert the engine's driver offers."""
    if can_copy(engine.dialect):
        return _copy_rows
    if engine.dialect.name == "sqlite":
        at_text = _events.c.at.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
        sql = (
            f"INSERT INTO idconnect_events ({', '.join(COLUMNS)})"
            f" VALUES ({', '.join('?' * len(COLUMNS))})"
        )

        def executemany(conn: sa.Connection, rows: Sequence[EventRow]) -> None:
            texts: dict[datetime, Any] = {}  # r[1] is ``at``; a batch shares one: convert it once
            for r in rows:
                if r[1] not in texts:
                    texts[r[1]] = at_text(r[1]) if at_text else r[1]
            conn.exec_driver_sql(sql, [(r[0], texts[r[1]], *r[2:]) for r in rows])

        return executemany
    insert = _events.insert()

    def generic(conn: sa.Connection, rows: Sequence[EventRow]) -> None:
        conn.execute(insert, [dict(zip(COLUMNS, r, strict=True)) for r in rows])

    return generic


def _copy_rows(conn: sa.Connection, rows: Sequence[EventRow]) -> None:
    copy_rows(conn, "idconnect_events", COLUMNS, rows)


def _unwritten(conn: sa.Connection, rows: Sequence[EventRow]) -> list[EventRow]:
    """Drop the rows already in the table (a lost commit that did commit, a replay cut short).

    Looked up through the ``(store, at)`` index: the rows of one write share their instant.
    """
    e = _events.c
    store = COLUMNS.index("store")
    present: set[str] = set()
    for where, at in {(r[store], r[_AT]) for r in rows}:
        present.update(conn.execute(sa.select(e.id).where(e.store == where, e.at == at)).scalars())
    return [r for r in rows if r[0] not in present]


def _spool_line(row: EventRow) -> str:
    values: list[Any] = list(row)
    values[_AT] = values[_AT].isoformat()
    return json.dumps(values, separators=(",", ":")) + "\n"


def _from_spool_line(line: str) -> EventRow | None:
    """Parse one spooled row; ``None`` for a blank or torn line.

    A line torn by a crash mid-write belongs to a call that never returned, so nobody was told
    its event was recorded.
    """
    try:
        values = json.loads(line)
        values[_AT] = datetime.fromisoformat(values[_AT])
    except (ValueError, TypeError, IndexError):
        return None
    row: EventRow = tuple(values)
    return row
