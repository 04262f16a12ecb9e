"""API token reads on the event loop, for a hub whose state is in PostgreSQL.

Every request reads its token (so a revocation counts at once in every worker). On a server
database that read is a network round trip; made through the hub's SQLAlchemy engine it must
run in a thread, and the hop to it and back costs a request more than the read. When the state
database is PostgreSQL and psycopg 3 is the driver, :class:`LoopTokenReads` makes the same
read (:data:`~idconnect.core.api_tokens.READ_BY_DIGEST`, with the digest bound) with psycopg's
``AsyncConnection`` on the worker's event loop instead: autocommit, one round trip, the loop
serving other requests meanwhile. Connections are opened when first needed, at most
:data:`READ_CONNECTIONS` per worker, and one that fails is dropped (the read is then retried
once on a new connection). Anything that must write (a refusal, the last use) still goes
through :func:`~idconnect.core.api_tokens.authenticate` in the thread pool.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool

from idconnect.core.api_tokens import (
    READ_BY_DIGEST,
    ApiToken,
    create_token_table,
    digest_of,
    token_from_row,
)
from idconnect.core.errors import StoreUnavailable

if TYPE_CHECKING:
    from idconnect.core.state import StateDatabase

__all__ = ["APPLICATION_NAME", "READ_CONNECTIONS", "LoopTokenReads"]

APPLICATION_NAME = "idconnect-token-reads"
"""How the reader's connections name themselves to PostgreSQL (``pg_stat_activity``)."""

READ_CONNECTIONS = 4
"""At most this many connections per worker read tokens at once."""


class LoopTokenReads:
    """Read API tokens by digest with psycopg's asyncio connections.

    :param state: the hub's state database (its tokens' table is made, in a thread, before the
        first read).
    :param conninfo: the libpq connection URI of the state database.
    :param dialect: the state database's dialect (psycopg's), for the statement's text.
    :param size: at most this many connections.
    """

    def __init__(
        self,
        state: StateDatabase,
        conninfo: str,
        dialect: sa.Dialect,
        *,
        size: int = READ_CONNECTIONS,
    ) -> None:
        self._state = state
        self._table_made = False
        self._conninfo = conninfo
        self._statement, _, self._columns = READ_BY_DIGEST.compiled(dialect)
        self._idle: list[Any] = []
        self._slots: asyncio.Semaphore | None = None
        self._size = size

    @classmethod
    def for_state(cls, state: StateDatabase) -> LoopTokenReads | None:
        """Return a reader for ``state``, or ``None`` when it is not PostgreSQL over psycopg 3.

        :param state: the hub's state database (nothing is opened yet).
        :returns: the reader, or ``None``: then tokens are read through the hub's engine.
        """
        url = sa.make_url(state.url)
        if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
            return None
        try:
            import psycopg  # noqa: F401  (the driver the state URL names)
        except ImportError:
            return None
        dialect = url.get_dialect()()
        url = url.set(drivername="postgresql")
        if "application_name" not in url.query:
            url = url.update_query_dict({"application_name": APPLICATION_NAME})
        conninfo = url.render_as_string(hide_password=False)
        return cls(state, conninfo, dialect)

    async def find(self, token: str) -> ApiToken | None:
        """Read the token's record by its digest.

        :param token: a well-formed token (see :func:`~idconnect.core.api_tokens.well_formed`).
        :returns: the record, or ``None`` when no token has that digest.
        :raises StoreUnavailable: when the state database cannot be reached (twice).
        """
        import psycopg

        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        if not self._table_made:  # a fresh state database: unknown tokens are 401, not 503
            await run_in_threadpool(create_token_table, self._state)
            self._table_made = True
        async with self._slots:
            try:
                return await self._read(token)
            except psycopg.Error:  # a connection the server closed: once more on a new one
                pass
            try:
                return await self._read(token)
            except psycopg.Error as exc:
                raise StoreUnavailable(
                    f"cannot read the hub's API tokens ({exc.__class__.__name__})",
                    store="hub-state",
                ) from exc

    async def _read(self, token: str) -> ApiToken | None:
        import psycopg

        if self._idle:
            connection = self._idle.pop()
        else:
            connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        try:
            cursor = connection.cursor()
            await cursor.execute(self._statement, {"digest": digest_of(token)})
            row = await cursor.fetchone()
        except BaseException:
            await connection.close()
            raise
        self._idle.append(connection)
        return None if row is None else token_from_row(READ_BY_DIGEST.row(self._columns, row))

    async def close(self) -> None:
        """Close the idle connections (at the application's shutdown)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
