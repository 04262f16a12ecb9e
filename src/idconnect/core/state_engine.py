"""How the hub reaches its state database: the engine's options per database, bulk copies.

SQLite files run in WAL mode with a busy timeout (several processes of one machine may share
one); an in-memory SQLite database is one shared connection; PostgreSQL connections name
themselves (``application_name``) so an operator can tell them apart. :func:`copy_rows` writes
many rows with one ``COPY`` where the driver can (PostgreSQL through psycopg).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

__all__ = ["APPLICATION", "can_copy", "copy_rows", "create_state_engine"]

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


def can_copy(dialect: sa.Dialect) -> bool:
    """Whether :func:`copy_rows` works on connections of ``dialect`` (psycopg's PostgreSQL)."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def copy_rows(
    conn: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write rows into a table with one ``COPY``, in the connection's transaction.

    :param conn: a connection on which :func:`can_copy` holds.
    :param table: the table's name.
    :param columns: the columns each row gives, in order.
    :param rows: the rows (tuples of Python values psycopg adapts).
    """
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
