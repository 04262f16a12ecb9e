"""Named locks that serialise writers of one value, per dialect, held until the write commits.

A check-then-write (is this userName free, ignoring case?) races when two transactions check
before either writes. Where the database cannot guard the value itself (a mapped table without a
unique index on the folded column), writers of the same value take a lock named after it first:

- PostgreSQL: ``pg_advisory_xact_lock(key)`` inside the transaction, released by its end;
- MariaDB/MySQL: ``GET_LOCK(name)`` on the connection *before* the transaction begins (so the
  transaction's snapshot is taken after the other writer committed) and ``RELEASE_LOCK`` after
  it ends;
- SQLite: nothing here; write transactions begin with ``BEGIN IMMEDIATE`` (see
  :mod:`idconnect_sql.engine`), which serialises every writer of the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from idconnect.backend import StoreUnavailable

__all__ = ["advisory_key", "lock_name", "session_locks", "transaction_locks"]

_MYSQL = ("mysql", "mariadb")


def _digest(name: str) -> bytes:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()


def advisory_key(name: str) -> int:
    """Return the PostgreSQL advisory lock key (a signed 64-bit integer) of a lock name.

    :param name: the lock's name, e.g. the table and the folded userName.
    :returns: the key.
    """
    return int.from_bytes(_digest(name)[:8], "big", signed=True)


def lock_name(name: str) -> str:
    """Return the MariaDB/MySQL ``GET_LOCK`` name (at most 64 characters) of a lock name.

    :param name: the lock's name.
    :returns: ``idc:`` and a hex digest.
    """
    return f"idc:{_digest(name).hex()[:56]}"


@contextmanager
def session_locks(
    connection: Connection, dialect: str, names: Sequence[str], timeout: float, store: str
) -> Iterator[None]:
    """Hold MariaDB/MySQL named locks around a transaction (a no-op on other dialects).

    Enter before ``connection.begin()``; the locks are released when the block ends.

    :param connection: a connection not in a transaction.
    :param dialect: the dialect name.
    :param names: the lock names (taken in sorted order, so two writers cannot deadlock).
    :param timeout: seconds to wait for each lock.
    :param store: the store's name, for errors.
    :returns: a context manager.
    :raises StoreUnavailable: when a lock is not granted within ``timeout``.
    """
    if dialect not in _MYSQL or not names:
        yield
        return
    held: list[str] = []
    try:
        for name in sorted({lock_name(n) for n in names}):
            granted = connection.execute(
                sa.text("SELECT GET_LOCK(:name, :timeout)"),
                {"name": name, "timeout": max(1, int(timeout))},
            ).scalar()
            connection.commit()
            if granted != 1:
                raise StoreUnavailable(
                    f"another writer held the lock on this value for over {timeout:g}s",
                    store=store,
                )
            held.append(name)
        yield
    finally:
        if held and not connection.invalidated:
            if connection.in_transaction():
                connection.rollback()
            for name in held:
                connection.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": name})
            connection.commit()


def transaction_locks(connection: Connection, dialect: str, names: Sequence[str]) -> None:
    """Take PostgreSQL transaction-scoped advisory locks (a no-op on other dialects).

    :param connection: a connection in the transaction that will write.
    :param dialect: the dialect name.
    :param names: the lock names (taken in sorted key order).
    """
    if dialect != "postgresql":
        return
    for key in sorted({advisory_key(n) for n in names}):
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
