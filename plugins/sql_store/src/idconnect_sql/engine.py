"""Engines: build a SQLAlchemy engine from a store's settings, with the per-dialect set-up.

SQLite connections get transactions idconnect begins itself (``BEGIN IMMEDIATE`` for writers),
WAL mode, foreign keys, case-sensitive ``LIKE`` (case rules are applied
by idconnect, never by ``LIKE``) and a ``lower()`` that is Python's ``str.lower`` (SQLite's own
folds only ASCII). PostgreSQL and MariaDB/MySQL get a connect timeout and ``utf8mb4``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import StaticPool

from idconnect.backend import ConfigError
from idconnect_sql.settings import SqlSettings

__all__ = ["SQLITE_BEGIN", "create_engine", "describe"]


def describe(url: URL) -> str:
    """Return a URL fit for messages: the password hidden.

    :param url: the URL.
    :returns: e.g. ``postgresql+psycopg://app:***@db.example.com:5432/customers``.
    """
    return url.render_as_string(hide_password=True)


def _python_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


POOL_RECYCLE = 1800
"""Seconds after which a pooled connection is replaced rather than reused."""

SQLITE_BEGIN = "idc_sqlite_begin"
"""Execution option naming the statement that begins a SQLite transaction (``BEGIN IMMEDIATE``
for writers: the read-check-write of a transaction then holds the write lock from its start)."""


def _sqlite_setup(dbapi_connection: sqlite3.Connection, _: Any) -> None:
    # The driver's own implicit BEGIN starts transactions only at the first write, so a check
    # read before it would not be in the writing transaction: idconnect emits BEGIN itself.
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function("lower", 1, _python_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    # On the driver's connection: SQLAlchemy's execution path (context, events, result) cost a
    # one-statement read a sixth of its time. Its errors (a lock wait timing out) are wrapped as
    # SQLAlchemy would have wrapped them, for idconnect_sql.errors.
    statement = connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN")
    driver: Any = connection.connection.driver_connection
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:
        raise sa_exc.DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


_QUALIFIED = {
    "mysql": ("mysql+pymysql", "pymysql"),
    "mariadb": ("mariadb+pymysql", "pymysql"),
    "postgresql": ("postgresql+psycopg", "psycopg"),
}
"""Backend name to the driver-qualified URL scheme idconnect-sql's extras install a driver for,
and that driver's module."""


def _missing_driver(url: URL, exc: ModuleNotFoundError) -> ConfigError:
    # The error names the store: the backend's error wrapper fills it in (ConfigError.in_context).
    qualified, module = _QUALIFIED.get(url.get_backend_name(), (None, None))
    missing = (exc.name or "").partition(".")[0]
    if qualified is not None and url.drivername != qualified and missing != module:
        return ConfigError(
            f"the database driver for {url.drivername!r} is not installed ({exc.name});"
            f" write the URL as {qualified}://user@host/db, the form whose driver"
            " idconnect-sql installs",
            key="url",
        )
    return ConfigError(
        f"the database driver for {url.drivername!r} is not installed ({exc.name});"
        " pip install idconnect-sql[postgresql] or idconnect-sql[mysql]",
        key="url",
    )


def create_engine(settings: SqlSettings) -> Engine:
    """Build the engine (it connects lazily).

    :param settings: URL and connection settings.
    :returns: the engine.
    :raises ConfigError: when the URL's driver is not installed (for ``mysql://``,
        ``mariadb://`` and ``postgresql://``, naming the driver-qualified form to write instead).
    """
    url = settings.url
    backend = url.get_backend_name()
    # No pre-ping (a round trip per checkout): connections are recycled before servers and
    # proxies drop idle ones, and a hook that meets a dead one runs again once
    # (idconnect_sql.backend).
    kwargs: dict[str, Any] = {"pool_pre_ping": False, "pool_recycle": POOL_RECYCLE}
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        connect_args["timeout"] = settings.connect_timeout
        connect_args["check_same_thread"] = False
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
    elif backend == "postgresql":
        connect_args["connect_timeout"] = max(1, int(settings.connect_timeout))
        kwargs["pool_size"] = settings.pool_size
    else:
        connect_args["connect_timeout"] = max(1, int(settings.connect_timeout))
        connect_args["charset"] = "utf8mb4"
        kwargs["pool_size"] = settings.pool_size
    try:
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    except ModuleNotFoundError as exc:
        raise _missing_driver(url, exc) from None
    if backend == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_setup)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine
