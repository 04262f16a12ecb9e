"""``SqlBackend``: what every SQL store shares: settings, the engine, transactions, errors, search.

The managed store (:mod:`idconnect_sql.managed`) and the mapped one (:mod:`idconnect_sql.mapped`)
are its subclasses, each assembled from one mixin per operation family.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from idconnect.backend import (
    OPERATIONS,
    Catalogue,
    NotFound,
    NotSupported,
    Page,
    Query,
    StoreConfig,
    StoreUnavailable,
    hookimpl,
)
from idconnect_sql import locks
from idconnect_sql.direct import DirectRead
from idconnect_sql.engine import SQLITE_BEGIN, create_engine
from idconnect_sql.errors import retried, translate_errors
from idconnect_sql.filters import FilterCompiler, Layout, Shape, sort_expression
from idconnect_sql.paging import Keyset
from idconnect_sql.settings import settings_from_config

__all__ = ["PreparedSearch", "SqlBackend"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_WRITING: ContextVar[bool] = ContextVar("idc_sql_writing", default=False)
"""Whether the running hook is a mutating operation (its transactions are writers)."""


_SEARCHES_CACHED = 256
"""How many search statements (one per filter shape, sort and cursor kind) a store keeps built."""

_LIMIT = sa.bindparam("idc_limit", type_=sa.Integer)
"""A filtered search's ``LIMIT``: bound, so PostgreSQL plans each execution for its values.

A generic plan (made once for any values) of a prepared statement with a bound ``LIMIT``
assumes a tenth of the table's rows and costs more than a plan for the values: at 100,000
accounts PostgreSQL did not choose it.
A generic plan of a filter guesses how many rows match: ``name.familyName sw "S"`` sorted by
userName, first page of 50 at 100,000 accounts, took 18.6 ms on the generic plan PostgreSQL
chose once the ``LIMIT`` was rendered (it guessed two matches, read all 11,878 and sorted
them), against 3.6 ms planned for the value (the userName index walked, stopping at 51)."""

_RENDERED_LIMIT = sa.bindparam("idc_limit", type_=sa.Integer, literal_execute=True)
"""An unfiltered listing's ``LIMIT``, rendered into the SQL at execution: its plan does not
depend on values (only on the page boundary), so PostgreSQL keeps one generic plan of the
prepared statement instead of planning every page again (about 0.3 ms of the 1.2 ms the
server took for a first page of 50 sorted by userName at 100,000 accounts)."""

_COMMITTING: ContextVar[list[bool] | None] = ContextVar("idc_sql_committing", default=None)
"""Set by :func:`_reconnecting`: whether the hook's failure came from a ``COMMIT``."""


def _dead_connection(exc: StoreUnavailable) -> bool:
    cause = exc.__cause__
    return isinstance(cause, DBAPIError) and bool(cause.connection_invalidated)


def _reconnecting(call: Callable[[], T]) -> T:
    """Run a hook, once more when it met a connection the server had closed.

    Pooled connections are not pinged at checkout; one the server terminated (a restart, an
    idle timeout, ``pg_terminate_backend``) fails on its first statement and is invalidated
    with every connection the pool held before it, so the second run gets a new one. A failure
    during ``COMMIT`` is never run again: the database may have applied it.
    """
    committing = [False]
    token = _COMMITTING.set(committing)
    try:
        try:
            return call()
        except StoreUnavailable as exc:
            if committing[0] or not _dead_connection(exc):
                raise
        return call()
    finally:
        _COMMITTING.reset(token)


def _reader(hook: F) -> F:
    # A wrapper with the hook's own parameters (pluggy reads the argument names from the code
    # object) and without ``__wrapped__``, which marks the writers retried on conflicts.
    parameters = list(inspect.signature(hook).parameters.values())
    scope: dict[str, Any] = {"hook": hook, "again": _reconnecting}
    declared = []
    for parameter in parameters:
        if parameter.default is inspect.Parameter.empty:
            declared.append(parameter.name)
        else:
            scope[f"default_{parameter.name}"] = parameter.default
            declared.append(f"{parameter.name}=default_{parameter.name}")
    names = ", ".join(p.name for p in parameters)
    source = f"def run({', '.join(declared)}):\n    return again(lambda: hook({names}))\n"
    exec(compile(source, f"<reader {hook.__name__}>", "exec"), scope)
    run = scope["run"]
    functools.update_wrapper(run, hook)
    del run.__wrapped__
    return run  # type: ignore[no-any-return]


def _writer(hook: F) -> F:
    @functools.wraps(hook)
    def run(*args: Any, **kwargs: Any) -> Any:
        token = _WRITING.set(True)
        try:
            return retried(lambda: _reconnecting(lambda: hook(*args, **kwargs)))
        finally:
            _WRITING.reset(token)

    return run  # type: ignore[return-value]


@frozen
class PreparedSearch:
    """A search's statements, ready to run with :attr:`parameters` (and ``idc_limit``)."""

    pages: list[sa.Select[Any]]
    """One statement per keyset segment, in order."""
    count: sa.Select[Any]
    """The count statement."""
    parameters: dict[str, Any]
    """The filter's values and the page boundary."""
    keyset: Keyset
    """The order and the page boundary."""
    sort: ColumnElement[Any] | None
    """The sort expression, or ``None`` for the stable key order."""
    cache_key: tuple[Any, ...]
    """What the statements are cached by: table, filter shape, sort, cursor kind."""


class SqlBackend:
    """Base of the managed and mapped SQL stores.

    Settings: see :mod:`idconnect_sql.settings`.

    :param config: the store's config.
    :raises ConfigError: for a missing or malformed setting.
    """

    unique: Mapping[str, str] = {}
    """Unique index name to the attribute it protects, for Conflict messages."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap every operation hook a subclass defines: writers retried, all reconnecting.

        Which hooks mutate comes from the operation specs (``OPERATIONS[name].mutates``): their
        transactions begin as writers (``BEGIN IMMEDIATE`` on SQLite) and the whole hook runs
        again (bounded) when the database aborts it for a deadlock or a lock wait timeout.
        Every operation hook runs once more when it met a dead pooled connection
        (:func:`_reconnecting`).
        """
        super().__init_subclass__(**kwargs)
        for name, operation in OPERATIONS.items():
            hook = cls.__dict__.get(f"idconnect_{name}")
            if hook is not None:
                wrap = _writer if operation.mutates else _reader
                setattr(cls, f"idconnect_{name}", wrap(hook))

    def __init__(self, config: StoreConfig) -> None:
        self.name = config.name
        self.config = config
        self.settings = settings_from_config(config)
        self.url = self.settings.url
        self.batch_size = self.settings.batch_size
        self.schema = self.settings.schema
        self.dialect = self.url.get_backend_name()
        """The SQLAlchemy dialect name: ``sqlite``, ``postgresql``, ``mysql`` or ``mariadb``."""
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._searches: dict[tuple[Any, ...], tuple[list[sa.Select[Any]], sa.Select[Any]]] = {}
        self._reads: dict[tuple[Any, ...], list[DirectRead]] = {}
        """Per cached search: its page statements compiled for the direct path."""

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine, created (and the schema checked) on first use.

        :raises StoreUnavailable: when the database cannot be reached.
        """
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = create_engine(self.settings)
                    try:
                        with self.errors():
                            self.prepare(engine)
                    except BaseException:
                        engine.dispose()
                        raise
                    self._engine = engine
        return self._engine

    def prepare(self, engine: Engine) -> None:
        """Check (or create) the schema on first use; subclasses override.

        :param engine: the new engine.
        """

    def errors(self, account: str | None = None) -> AbstractContextManager[None]:
        """Translate database errors raised in a block (see :mod:`idconnect_sql.errors`).

        :param account: the account concerned, for messages.
        :returns: a context manager.
        """
        return translate_errors(self.name, self.url, self.unique, account)

    @contextmanager
    def begin(
        self, account: str | None = None, *, locked: Sequence[str] = (), snapshot: bool = True
    ) -> Iterator[Connection]:
        """Open a transaction, translating errors; a writer's in a mutating hook.

        :param account: the account concerned, for messages.
        :param locked: names of values the transaction checks and writes (e.g. a folded
            userName): writers of the same name are serialised (:mod:`idconnect_sql.locks`).
        :param snapshot: ``False`` for a read that PostgreSQL may run without ``BEGIN`` and
            ``COMMIT`` (two round trips fewer): at its ``READ COMMITTED`` level each statement
            sees a snapshot of its own inside a transaction too. SQLite and MariaDB keep the
            transaction, whose statements share one snapshot there.
        :returns: a context manager yielding the connection.
        """
        with self.errors(account), self.engine.connect() as connection:
            if self.dialect == "sqlite" and _WRITING.get():
                connection.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
            elif not snapshot and self.dialect == "postgresql" and not _WRITING.get():
                connection.execution_options(isolation_level="AUTOCOMMIT")
            if not locked:  # no named lock to take or release (every read)
                yield from self._transaction(connection, locked)
                return
            timeout = self.settings.connect_timeout
            with locks.session_locks(connection, self.dialect, locked, timeout, self.name):
                yield from self._transaction(connection, locked)

    def _transaction(self, connection: Connection, locked: Sequence[str]) -> Iterator[Connection]:
        transaction = connection.begin()
        try:
            if locked:
                locks.transaction_locks(connection, self.dialect, locked)
            yield connection
        except BaseException:
            transaction.rollback()
            raise
        committing = _COMMITTING.get()
        if committing is not None:
            committing[0] = True
        transaction.commit()
        if committing is not None:
            committing[0] = False

    def not_found(self, what: str, ident: str, account: str | None = None) -> NotFound:
        """Build the NotFound error for a missing object.

        :param what: ``account``, ``group``, ``session``...
        :param ident: its id.
        :param account: the account it belongs to, if any.
        :returns: the error.
        """
        return NotFound(f"no {what} with id {ident!r}", store=self.name, account=account)

    def page(
        self,
        query: Query,
        *,
        source: FromClause,
        key: ColumnElement[Any],
        layout: Layout,
        catalogue: Catalogue,
        load: Callable[[Connection, Sequence[Row[Any]], Sequence[str]], list[T]],
        columns: Sequence[ColumnElement[Any]] = (),
        columns_key: Hashable = None,
        selected: Sequence[ColumnElement[Any]] = (),
        direct: bool = False,
    ) -> Page[T]:
        """Run one page of a search with keyset pagination.

        :param query: the query.
        :param source: the table searched.
        :param key: its stable id column.
        :param layout: where attributes live.
        :param catalogue: the catalogue the filter is bound to.
        :param load: turns the page's rows into results, loading what hangs off them that the
            query's ``attributes`` ask for (all of it when they are empty).
        :param columns: more columns the page's statements select after the source's and the
            sort's (e.g. child rows aggregated by a correlated subquery).
        :param columns_key: what tells those columns apart in the statement cache.
        :param selected: the source's columns to read, in order (empty: all of them).
        :param direct: run the page's statements on the driver's cursor where the dialect
            allows (:mod:`idconnect_sql.direct`): ``load`` then gets tuples with ``_fields``
            rather than ``Row`` objects, and reads them by position.
        :returns: the page.
        :raises NotSupported: when sorting by an attribute the store does not hold.
        :raises InvalidInput: for a cursor of another query.
        """
        prepared = self.prepare_search(
            query,
            source=source,
            key=key,
            layout=layout,
            catalogue=catalogue,
            columns=columns,
            columns_key=columns_key,
            selected=selected,
        )
        pages, count = prepared.pages, prepared.count
        parameters = dict(prepared.parameters)
        sort, keyset = prepared.sort, prepared.keyset
        reads = self._direct_reads(prepared) if direct else None
        with self.begin(snapshot=False) as connection:
            rows: list[Row[Any]] = []
            for n, stmt in enumerate(pages):
                parameters["idc_limit"] = query.count + 1 - len(rows)
                if reads is None:
                    rows.extend(connection.execute(stmt, parameters).all())
                else:
                    rows.extend(reads[n].rows(connection, parameters))
                if len(rows) > query.count:
                    break
            more = len(rows) > query.count
            rows = rows[: query.count]
            items = load(connection, rows, query.attributes)
            total = None
            if query.include_total and query.cursor is None and not more:
                total = len(rows)  # the whole result is this first page: no count needed
            elif query.include_total:
                total = int(connection.execute(count, parameters).scalar_one())
        next_cursor = None
        if more and rows:
            last = rows[-1]
            read = selected or list(source.columns)
            at_key = next(n for n, column in enumerate(read) if column is key)
            at_sort = len(read)  # the sort's column follows the source's
            next_cursor = keyset.cursor(last[at_key], last[at_sort] if sort is not None else None)
        return Page(items=items, next_cursor=next_cursor, total=total)

    def _direct_reads(self, prepared: PreparedSearch) -> list[DirectRead] | None:
        """The page statements of a search compiled for the direct path, or ``None``.

        Only reads that may run twice take it (see :mod:`idconnect_sql.direct`): SQLite's,
        and PostgreSQL's outside a writer's transaction.
        """
        if not (self.dialect == "sqlite" or (self.dialect == "postgresql" and not _WRITING.get())):
            return None
        reads = self._reads.get(prepared.cache_key)
        if reads is None:
            dialect = self.engine.dialect
            reads = self._reads[prepared.cache_key] = [
                DirectRead(stmt, dialect) for stmt in prepared.pages
            ]
        return reads

    def prepare_search(
        self,
        query: Query,
        *,
        source: FromClause,
        key: ColumnElement[Any],
        layout: Layout,
        catalogue: Catalogue,
        columns: Sequence[ColumnElement[Any]] = (),
        columns_key: Hashable = None,
        selected: Sequence[ColumnElement[Any]] = (),
    ) -> PreparedSearch:
        """Build (or take from the cache) the statements of a search, and its parameters.

        :param query: the query.
        :param source: the table searched.
        :param key: its stable id column.
        :param layout: where attributes live.
        :param catalogue: the catalogue the filter is bound to.
        :param columns: more columns the page statements select (see :meth:`page`).
        :param columns_key: what tells those columns apart in the statement cache.
        :param selected: the source's columns to read (empty: all of them).
        :returns: the statements, the parameters of this page and what the cache keys them by.
        :raises NotSupported: when sorting by an attribute the store does not hold.
        :raises InvalidInput: for a cursor of another query.
        """
        compiler = FilterCompiler(layout, catalogue, self.dialect, self.name)
        shape, values = compiler.plan(query.filter) if query.filter is not None else (None, [])
        sort = None
        if query.sort_by is not None:
            definition = catalogue.get(query.sort_by.dotted)
            sort = None if definition is None else sort_expression(layout, definition)
            if sort is None:
                raise NotSupported(
                    f"this store cannot sort by {query.sort_by.dotted!r}", store=self.name
                )
        keyset = Keyset(query, key, sort)
        cached = (source, shape, query.sort_by, keyset.shape(), columns_key, bool(selected))
        statements = self._searches.get(cached)
        if statements is None:
            statements = self._search_statements(compiler, shape, source, keyset, columns, selected)
            if len(self._searches) >= _SEARCHES_CACHED:
                self._searches.clear()
                self._reads.clear()
            self._searches[cached] = statements
        parameters = {f"idc_f{n}": value for n, value in enumerate(values)}
        parameters.update(keyset.parameters())
        return PreparedSearch(statements[0], statements[1], parameters, keyset, sort, cached)

    @staticmethod
    def _search_statements(
        compiler: FilterCompiler,
        shape: Shape | None,
        source: FromClause,
        keyset: Keyset,
        columns: Sequence[ColumnElement[Any]],
        selected: Sequence[ColumnElement[Any]],
    ) -> tuple[list[sa.Select[Any]], sa.Select[Any]]:
        """Build a search's statements, every value a parameter, to be cached and run again.

        :param compiler: the filter compiler.
        :param shape: the filter's shape, or ``None`` without a filter.
        :param source: the table searched.
        :param keyset: the order and the page boundary.
        :param columns: more columns the page statements select.
        :param selected: the source's columns they select first (empty: all of them).
        :returns: the page's statements (one per keyset segment) and the count statement.
        """
        condition = compiler.build(shape) if shape is not None else None
        read: Sequence[Any] = selected if selected else [source]
        pages = []
        for segment in keyset.segments():
            stmt = sa.select(*read, *keyset.columns(), *columns).select_from(source)
            for clause in (condition, segment.where):
                if clause is not None:
                    stmt = stmt.where(clause)
            limit = _RENDERED_LIMIT if condition is None else _LIMIT
            pages.append(stmt.order_by(*segment.order_by).limit(limit))
        count = sa.select(sa.func.count()).select_from(source)
        if condition is not None:
            count = count.where(condition)
        return pages, count

    # -- store-wide hooks ---------------------------------------------------------------------

    @hookimpl
    def idconnect_ping(self) -> bool:
        """Run ``SELECT 1``."""
        with self.begin() as connection:
            connection.execute(sa.select(sa.literal(1)))
        return True

    @hookimpl
    def idconnect_close(self) -> None:
        """Dispose of the connection pool."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
