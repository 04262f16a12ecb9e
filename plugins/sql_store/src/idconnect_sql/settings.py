"""Settings of a ``sql`` store, read and checked once from its config.

``url`` (or ``url_env``/``url_file``), ``password_env``/``password_file``, ``pool_size``,
``connect_timeout`` (seconds), ``batch_size`` (rows per set-based bulk statement) and ``schema``
(the database schema of the tables). A mapped store's ``mapping`` is read by
:mod:`idconnect_sql.mapped.base`.
"""

from __future__ import annotations

from attrs import frozen
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from idconnect.backend import StoreConfig

__all__ = ["DIALECTS", "SqlSettings", "settings_from_config"]

DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb")
"""The SQLAlchemy backend names this store supports."""


@frozen(kw_only=True)
class SqlSettings:
    """What a store's engine and statements are built from.

    ``url`` may hold a password: never print it, use :func:`idconnect_sql.engine.describe`.
    """

    url: URL
    pool_size: int = 5
    """Connections kept per process (not SQLite)."""
    connect_timeout: float = 5.0
    """Seconds to wait for a connection (and for SQLite's write lock)."""
    batch_size: int = 1000
    """Rows per set-based bulk statement."""
    schema: str | None = None
    """The database schema of the tables, or ``None`` for the connection's default."""


def _url(config: StoreConfig) -> URL:
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
    if url.get_backend_name() not in DIALECTS:
        raise config.error(
            "url", f"unsupported database {url.get_backend_name()!r} (sqlite, postgresql, mysql)"
        )
    return url


def settings_from_config(config: StoreConfig) -> SqlSettings:
    """Read and check a store's settings.

    :param config: the store's config.
    :returns: the settings.
    :raises ConfigError: when no URL is set, two are, or a setting has a bad type or value.
    """
    url = _url(config)
    pool_size = config.get("pool_size", int, 5)
    if not 1 <= pool_size <= 100:
        raise config.error("pool_size", "must be from 1 to 100")
    timeout = config.get("connect_timeout", float, 5.0)
    if not 0 < timeout <= 600:
        raise config.error("connect_timeout", "must be more than 0 and at most 600 seconds")
    batch_size = config.get("batch_size", int, 1000)
    if not 1 <= batch_size <= 100_000:
        raise config.error("batch_size", "must be from 1 to 100000")
    return SqlSettings(
        url=url,
        pool_size=pool_size,
        connect_timeout=timeout,
        batch_size=batch_size,
        schema=config.get("schema", str),
    )
