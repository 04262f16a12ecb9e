"""How the hub reaches its state database: the engine's options per database.

SQLite files run in WAL mode with a busy timeout (several processes of one machine may share
one); an in-memory SQLite database is one shared connection; PostgreSQL connections name
themselves (``application_name``) so an operator can tell them apart.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["APPLICATION", "create_state_engine"]

APPLICATION = "idconnect-state"
"""The PostgreSQL ``application_name`` of the state's connections (unless the URL sets one)."""


def create_state_engine(url_text: str, **options: Any) -> sa.Engine:
    """Create an engine for a state database URL.

    :param url_text: the SQLAlchemy URL.
    :param options: further ``create_engine`` options (``isolation_level``, ...).
    :returns: the engine (no connection is made yet).
    :raises sqlalchemy.exc.ArgumentError: for a URL SQLAlchemy cannot read.
    """
    url = sa.make_url(url_text)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        options.update(poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    elif backend == "postgresql" and "application_name" not in url.query:
        options.update(connect_args={"application_name": APPLICATION})
    engine = sa.create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; fsync at checkpoints
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
