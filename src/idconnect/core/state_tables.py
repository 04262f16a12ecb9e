"""Tables of the hub's own records in its state database, created at first use.

The console's admin logins and sessions (:mod:`idconnect.core.admin_login`,
:mod:`idconnect.core.console_sessions`) keep their rows next to the audit trail. A
:class:`StateTables` binds one :class:`sqlalchemy.MetaData` to that database: the first
transaction on a state database creates the tables, and every database error becomes
:class:`~idconnect.core.errors.StoreUnavailable` naming the records concerned.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from idconnect.core.errors import StoreUnavailable
from idconnect.core.state import StateDatabase

__all__ = ["INSTANT", "StateTables", "as_utc"]

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
    def begin(self, state: StateDatabase) -> Iterator[Connection]:
        """Open a transaction on ``state``, creating the tables the first time.

        :param state: the hub's state database.
        :returns: a context manager yielding the connection; it commits on a normal exit.
        :raises StoreUnavailable: for any database error, naming the records, never values.
        """
        try:
            engine = state.engine
            if not self._created.get(state):
                with self._lock:
                    self.meta.create_all(engine)
                    self._created[state] = True
            with engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"cannot read or write the hub's {self.what} ({exc.__class__.__name__})",
                store="hub-state",
            ) from exc
