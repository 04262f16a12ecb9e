"""Engines: build a SQLAlchemy engine from a store's settings, with the per-dialect set-up.

SQLite connections get WAL mode, foreign keys, case-sensitive ``LIKE`` (case rules are applied
by idconnect, never by ``LIKE``) and a ``lower()`` that is Python's ``str.lower`` (SQLite's own
folds only ASCII). PostgreSQL and MariaDB/MySQL get a connect timeout and ``utf8mb4``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from idconnect.core.config import StoreConfig
from idconnect.core.errors import ConfigError

__all__ = ["EngineSettings", "create_engine", "describe", "settings_from_config"]


class EngineSettings:
    """What an engine is built from: the URL and the connection settings.

    :param url: the SQLAlchemy URL (possibly holding a password: never print it, use
        :func:`describe`).
    :param pool_size: connections kept per process (not SQLite).
    :param connect_timeout: seconds to wait for a connection.
    """

    def __init__(self, url: URL, *, pool_size: int = 5, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout


def settings_from_config(config: StoreConfig) -> EngineSettings:
    """Read ``url`` (or ``url_env``/``url_file``), ``password_env``, pool and timeout settings.

    :param config: the store's config.
    :returns: the engine settings.
    :raises ConfigError: when no URL is set, two are, or a setting has a bad type or value.
    """
    literal = config.get("url", str)
    secret = config.secret("url")
    if literal and secret:
        raise config.error("url", "set 'url' or 'url_env'/'url_file', not both")
    if not literal and secret is None:
        raise config.error("url", "missing required setting (or set url_env / url_file)")
    text = literal or (secret.reveal() if secret else "")
    try:
        url = make_url(text)
    except ArgumentError:
        raise config.error("url", "not a SQLAlchemy URL (e.g. sqlite:///idconnect.db)") from None
    password = config.secret("password")
    if password is not None:
        url = url.set(password=password.reveal())
    pool_size = config.get("pool_size", int, 5)
    if not 1 <= pool_size <= 100:
        raise config.error("pool_size", "must be from 1 to 100")
    timeout = config.get("connect_timeout", float, 5.0)
    if not 0 < timeout <= 600:
        raise config.error("connect_timeout", "must be more than 0 and at most 600 seconds")
    if url.get_backend_name() not in ("sqlite", "postgresql", "mysql", "mariadb"):
        raise config.error(
            "url", f"unsupported database {url.get_backend_name()!r} (sqlite, postgresql, mysql)"
        )
    return EngineSettings(url, pool_size=pool_size, connect_timeout=timeout)


def describe(url: URL) -> str:
    """Return a URL fit for messages: the password hidden.

    :param url: the URL.
    :returns: e.g. ``postgresql+psycopg://app:***@db.example.com:5432/customers``.
    """
    return url.render_as_string(hide_password=True)


def _python_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_setup(dbapi_connection: sqlite3.Connection, _: Any) -> None:
    dbapi_connection.create_function("lower", 1, _python_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(settings: EngineSettings) -> Engine:
    """Build the engine (it connects lazily).

    :param settings: URL and connection settings.
    :returns: the engine.
    :raises ConfigError: when the URL's driver is not installed.
    """
    url = settings.url
    backend = url.get_backend_name()
    kwargs: dict[str, Any] = {"pool_pre_ping": backend != "sqlite"}
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
        raise ConfigError(
            f"the database driver for {url.drivername!r} is not installed ({exc.name});"
            " pip install idconnect-sql[postgresql] or idconnect-sql[mysql]"
        ) from None
    if backend == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_setup)
    return engine
