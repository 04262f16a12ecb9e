"""Tables of the hub's own records in its state database, created at first use.

API tokens, reset and impersonation tokens, admin roles and logins, console sessions, the
notification log, support-desk records, jobs and the dormant policy's marks keep their rows
next to the audit trail. A
:class:`StateTables` binds one :class:`sqlalchemy.MetaData` to that database: the first
transaction on a state database creates the tables, and every database error becomes
:class:`~idconnect.core.errors.StoreUnavailable` naming the records concerned.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from idconnect.core.errors import StoreUnavailable
from idconnect.core.state import StateDatabase

__all__ = ["INSTANT", "DriverRead", "StateTables", "as_utc"]

T = TypeVar("T")

INSTANT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
"""The column type of an instant (MariaDB keeps fractions of a second only when asked)."""


def as_utc(value: datetime) -> datetime:
    """Return an instant read back from the database as an aware UTC datetime.

    :param value: what the driver returned (SQLite and MariaDB give naive UTC datetimes).
    :returns: the same instant, in UTC.
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DriverRead:
    """A one-row SELECT for the hot path, compiled once per dialect, run on the driver directly.

    SQLAlchemy's execution layers cost a single indexed read (an API token per request) about
    three times the read itself; this runs the compiled text on the pool's DBAPI connection
    and applies the columns' own result conversions, so the row is what a
    :class:`~sqlalchemy.engine.Connection` would have answered.

    :param statement: the SELECT, its values as bound parameters (``sa.bindparam``).
    """

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, list[Any]]] = {}

    def compiled(self, dialect: sa.Dialect) -> tuple[str, tuple[str, ...] | None, list[Any]]:
        """Return the read for ``dialect``'s driver (compiled on first use).

        :param dialect: the database's dialect.
        :returns: the statement text in the driver's parameter style; the parameter names in
            order for a positional style, ``None`` for a named one; the columns as ``(key,
            result conversion or None)`` pairs, for :meth:`row`.
        """
        known = self._compiled.get(dialect.name)
        if known is None:
            compiled = self.statement.compile(dialect=dialect)
            order = tuple(compiled.positiontup or ()) if dialect.positional else None
            columns = [
                (c.key, c.type.dialect_impl(dialect).result_processor(dialect, None))
                for c in self.statement.selected_columns
            ]
            known = self._compiled[dialect.name] = (str(compiled), order, columns)
        return known

    def one(self, engine: sa.Engine, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """Run the read; return its first row as a mapping of column keys, or ``None``.

        :param engine: the engine whose pool lends the connection.
        :param params: the bound parameters' values, by name.
        :returns: the row, converted as SQLAlchemy converts it, or ``None``.
        :raises sqlalchemy.exc.DBAPIError: for the driver's errors (the connection is then
            discarded from the pool).
        """
        text, order, columns = self.compiled(engine.dialect)
        arguments: Any = dict(params) if order is None else tuple(params[n] for n in order)
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(text, arguments)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as exc:
            connection.invalidate(exc)
            raise sa.exc.DBAPIError.instance(
                text, arguments, exc, engine.dialect.loaded_dbapi.Error
            ) from exc
        finally:
            connection.close()
        return None if row is None else self.row(columns, row)

    @staticmethod
    def row(columns: list[Any], values: Sequence[Any]) -> dict[str, Any]:
        """Convert a row the driver answered as a tuple into a mapping of column keys.

        :param columns: the columns of :meth:`compiled`.
        :param values: the driver's values, in the statement's column order.
        :returns: the row, each value converted as SQLAlchemy converts it.
        """
        return {
            key: value if convert is None else convert(value)
            for (key, convert), value in zip(columns, values, strict=True)
        }


class StateTables:
    """Some tables of the state database, created there on first use.

    :param meta: the tables.
    :param what: how errors name the records (``"console sessions"``).
    """

    def __init__(self, meta: sa.MetaData, what: str) -> None:
        self.meta = meta
        self.what = what
        self._created: weakref.WeakKeyDictionary[StateDatabase, bool] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    @contextmanager
    def begin(
        self,
        state: StateDatabase,
        *,
        doing: str = "read or write",
        account: str | None = None,
        read_only: bool = False,
    ) -> Iterator[Connection]:
        """Open a transaction on ``state``, creating the tables the first time.

        :param state: the hub's state database.
        :param doing: what the caller does, for the error (``"revoke"``: "cannot revoke the
            hub's API tokens").
        :param account: the account the records belong to, named by the error.
        :param read_only: one read outside a transaction, through :attr:`StateDatabase.reader`
            (one round trip on a server database); nothing may be written through it.
        :returns: a context manager yielding the connection; a transaction commits on a normal
            exit.
        :raises StoreUnavailable: for any database error, naming the records, never values.
        """
        try:
            self._create(state)
            with state.reader.connect() if read_only else state.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"cannot {doing} the hub's {self.what} ({exc.__class__.__name__})",
                store="hub-state",
                account=account,
            ) from exc

    def read_one(
        self, state: StateDatabase, read: DriverRead, params: Mapping[str, Any], *, doing: str
    ) -> dict[str, Any] | None:
        """Run a :class:`DriverRead` on :attr:`StateDatabase.reader` (the tables made first).

        :param state: the hub's state database.
        :param read: the read.
        :param params: its parameters' values.
        :param doing: what the caller does, for the error.
        :returns: the row, or ``None``.
        :raises StoreUnavailable: for any database error.
        """
        try:
            self._create(state)
            return read.one(state.reader, params)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"cannot {doing} the hub's {self.what} ({exc.__class__.__name__})",
                store="hub-state",
            ) from exc

    def create(self, state: StateDatabase) -> None:
        """Create the tables in ``state`` unless this process did already (for outside readers).

        :param state: the hub's state database.
        :raises StoreUnavailable: for any database error.
        """
        try:
            self._create(state)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"cannot create the hub's {self.what} ({exc.__class__.__name__})",
                store="hub-state",
            ) from exc

    def _create(self, state: StateDatabase) -> None:
        if not self._created.get(state):
            with self._lock:
                self.meta.create_all(state.engine)
                self._created[state] = True

    def run(self, state: StateDatabase, work: Callable[[Connection], T], *, doing: str) -> T:
        """Run ``work`` in one transaction of :meth:`begin` and return what it returns.

        :param state: the hub's state database.
        :param work: what to do with the connection.
        :param doing: what it does, for the error.
        :returns: ``work``'s result.
        :raises StoreUnavailable: for any database error.
        """
        with self.begin(state, doing=doing) as connection:
            return work(connection)
