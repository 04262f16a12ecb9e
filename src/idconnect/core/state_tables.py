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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from idconnect.core.errors import StoreUnavailable
from idconnect.core.state import StateDatabase

__all__ = ["INSTANT", "StateTables", "as_utc"]

T = TypeVar("T")

INSTANT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
"""The column type of an instant (MariaDB keeps fractions of a second only when asked)."""


def as_utc(value: datetime) -> datetime:
    """Return an instant read back from the database as an aware UTC datetime.

    :param value: what the driver returned (SQLite and MariaDB give naive UTC datetimes).
    :returns: the same instant, in UTC.
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
            engine = state.engine
            if not self._created.get(state):
                with self._lock:
                    self.meta.create_all(engine)
                    self._created[state] = True
            with state.reader.connect() if read_only else engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"cannot {doing} the hub's {self.what} ({exc.__class__.__name__})",
                store="hub-state",
                account=account,
            ) from exc

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
