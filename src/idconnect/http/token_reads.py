"""API token reads on the event loop, for a hub whose state is in PostgreSQL.

Every request reads its token (so a revocation counts at once in every worker). On a server
database that read is a network round trip; made through the hub's SQLAlchemy engine it must
run in a thread, and the hop to it and back costs a request more than the read. When the state
database is PostgreSQL and psycopg 3 is the driver, :class:`LoopTokenReads` makes the same
read (:data:`~idconnect.core.api_tokens.READ_BY_DIGEST`, with the digest bound) on the worker's
event loop instead: autocommit, one round trip, the loop serving other requests meanwhile.

The read is a statement prepared once per connection and executed through libpq's
asynchronous calls (``psycopg.pq``: send, flush, consume input until the result is complete,
waiting on the connection's socket with the loop's reader and writer callbacks), its row
converted by psycopg's own loaders (``psycopg.adapt.Transformer``). That is a third of the
CPU of a psycopg cursor's ``execute``, whose query conversion and prepared-statement
bookkeeping this one statement does not need. Connections are opened (by psycopg's
``AsyncConnection``) when first needed, at most :data:`READ_CONNECTIONS` per worker; when a
read fails, its connection and the idle ones are closed and the read is retried once on a
new connection. Anything that must
write (a refusal, the last use) still goes through
:func:`~idconnect.core.api_tokens.authenticate` in the thread pool.
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

__all__ = ["APPLICATION_NAME", "READ_CONNECTIONS", "STATEMENT_NAME", "LoopTokenReads"]

APPLICATION_NAME = "idconnect-token-reads"
"""How the reader's connections name themselves to PostgreSQL (``pg_stat_activity``)."""

READ_CONNECTIONS = 4
"""At most this many connections per worker read tokens at once."""

_DIGEST = "%(digest)s"
"""The digest's placeholder in the statement psycopg's dialect compiles."""

STATEMENT_NAME = b"idconnect_token_by_digest"
"""The name of the read's prepared statement on each reader connection."""


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
        text, _, self._columns = READ_BY_DIGEST.compiled(dialect)
        if text.count(_DIGEST) != 1:
            raise RuntimeError(f"the token read must bind {_DIGEST} once: {text}")
        self._statement = text.replace(_DIGEST, "$1").encode()  # libpq's own placeholder
        self._idle: list[_Reader] = []
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
                return await self._read(token, fresh=False)
            except psycopg.Error:
                # a connection the server closed (a restart closes them all): drop the idle
                # ones too, and read once more on a new one
                await self.close()
            try:
                return await self._read(token, fresh=True)
            except psycopg.Error as exc:
                raise StoreUnavailable(
                    f"cannot read the hub's API tokens ({exc.__class__.__name__})",
                    store="hub-state",
                ) from exc

    async def _read(self, token: str, *, fresh: bool) -> ApiToken | None:
        reader = self._idle.pop() if self._idle and not fresh else await self._open()
        try:
            row = await reader.read_one(digest_of(token).encode())
        except BaseException:
            await reader.connection.close()
            raise
        self._idle.append(reader)
        return None if row is None else token_from_row(READ_BY_DIGEST.row(self._columns, row))

    async def _open(self) -> _Reader:
        import psycopg

        connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        reader = _Reader(connection)
        try:
            await reader.prepare(self._statement)
        except BaseException:
            await connection.close()
            raise
        return reader

    async def close(self) -> None:
        """Close the idle connections (at the application's shutdown, and after a failed read)."""
        idle, self._idle = self._idle, []
        for reader in idle:
            await reader.connection.close()


class _Reader:
    """One reader connection: the prepared read, run through libpq's asynchronous calls.

    :param connection: an autocommit psycopg ``AsyncConnection`` (only its libpq connection is
        used after it is open).
    """

    def __init__(self, connection: Any) -> None:
        from psycopg.adapt import Transformer

        self.connection = connection
        self._pg = connection.pgconn
        self._pg.nonblocking = 1
        self._rows = Transformer(connection)

    async def prepare(self, statement: bytes) -> None:
        """Prepare the read on the connection.

        :param statement: the SELECT, its parameter written ``$1``.
        :raises psycopg.Error: when the server refuses it or the connection fails.
        """
        from psycopg import pq

        self._pg.send_prepare(STATEMENT_NAME, statement)
        self._check(await self._result(), pq.ExecStatus.COMMAND_OK)

    async def read_one(self, digest: bytes) -> tuple[Any, ...] | None:
        """Run the prepared read for one digest.

        :param digest: the bound parameter.
        :returns: the first row's values (psycopg's conversions), or ``None`` without a row.
        :raises psycopg.Error: when the server fails the read or the connection fails.
        """
        from psycopg import pq

        self._pg.send_query_prepared(STATEMENT_NAME, [digest])
        result = self._check(await self._result(), pq.ExecStatus.TUPLES_OK)
        if result.ntuples == 0:
            return None
        self._rows.set_pgresult(result)
        row: tuple[Any, ...] = self._rows.load_row(0, tuple)
        return row

    async def _result(self) -> Any:
        pg = self._pg
        while pg.flush():
            await self._ready(writable=True)
        result = None
        while True:
            pg.consume_input()  # raises psycopg.OperationalError on a broken connection
            while not pg.is_busy():
                got = pg.get_result()
                if got is None:
                    return result
                result = got
            await self._ready(writable=False)

    async def _ready(self, *, writable: bool) -> None:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        socket = self._pg.socket

        def wake() -> None:  # the loop may call it again before the waiter has resumed
            if not ready.done():
                ready.set_result(None)

        if writable:
            loop.add_writer(socket, wake)
        else:
            loop.add_reader(socket, wake)
        try:
            await ready
        finally:
            if writable:
                loop.remove_writer(socket)
            else:
                loop.remove_reader(socket)

    def _check(self, result: Any, expected: Any) -> Any:
        import psycopg

        if result is None or result.status != expected:
            message = b"no result" if result is None else result.error_message
            raise psycopg.OperationalError(
                f"the token read failed: {message.decode('utf-8', 'replace').strip()}"
            )
        return result
