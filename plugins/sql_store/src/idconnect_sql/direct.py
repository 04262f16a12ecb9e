"""Direct reads: a cached search statement run on the pooled connection's driver cursor.

SQLAlchemy builds and compiles every statement (the SQL text, its bound parameters, the types'
processors); what a read skips is its per-execution path: with the statement's cache key, the
execution context, the events and the result object, a one-row read took three times as long
as the driver's own ``execute`` and ``fetchall`` (about 44 µs against 15 µs on SQLite). Values
stay bound parameters, converted by the same bind and result processors SQLAlchemy applies.

The direct path steps aside, and the statement runs through :meth:`Connection.execute`, when
anything listens to the connection's statements (``before_cursor_execute`` and the like: SQL
tracing, instrumentation, tests counting statements), for a statement with expanding
parameters (``IN`` lists), and for any error the driver raises: the read runs again
through SQLAlchemy, which reports (and, for a dead connection, invalidates) as it always does.
That rerun is why only reads that may run twice use it: SQLite's, and PostgreSQL's outside a
transaction (:meth:`SqlBackend.begin` with ``snapshot=False``).

A parameter rendered into the SQL at execution (``literal_execute``: the pages' ``LIMIT``) is
rendered as SQLAlchemy renders it, once per value (:meth:`SQLCompiler.construct_expanded_state`),
and that text kept for the value's next read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

__all__ = ["DirectRead", "listened"]


def listened(connection: Connection) -> bool:
    """Whether anything listens to the statements a connection's engine runs.

    :param connection: the connection (made by the store: nothing listens on it alone).
    :returns: ``True`` when a statement listener (``before_execute``, ``after_execute``,
        ``before_cursor_execute`` or ``after_cursor_execute``) is registered on its engine or on
        the ``Engine`` class.
    """
    # The engine's own dispatch keeps one listener collection per event (the connection's
    # makes a joined one on each access), and it sees listeners of the Engine class too.
    dispatch = connection.engine.dispatch
    return bool(
        dispatch.before_execute
        or dispatch.after_execute
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
    )


class DirectRead:
    """One read statement compiled for a dialect, run without SQLAlchemy's execution path.

    :param stmt: the statement (every value a bound parameter).
    :param dialect: the engine's dialect (SQLite's ``qmark`` or psycopg's ``pyformat``).

    :attr:`runnable` is ``False`` for a statement the direct path cannot run (expanding
    parameters, escaped parameter names, another parameter style); :meth:`rows` then always
    runs it through SQLAlchemy.
    """

    RENDERED_KEPT = 64
    """How many texts of a statement with rendered parameters are kept (one per value)."""

    def __init__(self, stmt: sa.Select[Any], dialect: Dialect) -> None:
        self.stmt = stmt
        compiled: Any = stmt.compile(dialect=dialect)
        self._compiled = compiled
        binds = compiled.binds.values()
        self.runnable = (
            dialect.paramstyle in ("qmark", "pyformat")
            and not any(b.expanding for b in binds)
            and not getattr(compiled, "escaped_bind_names", None)
        )
        self._rendered = tuple(name for name, b in compiled.binds.items() if b.literal_execute)
        """The parameters rendered into the SQL text (by value), not sent to the driver."""
        self._texts: dict[tuple[Any, ...], tuple[str, Sequence[str] | None]] = {}
        """SQL text and positional parameter order, by the rendered parameters' values."""
        self._qmark = dialect.paramstyle == "qmark"
        if not self._rendered:
            self._texts[()] = (compiled.string, self._positions(compiled.positiontup))
        self._binds: list[tuple[str, Callable[[Any], Any]]] = []
        for name, bind in compiled.binds.items():
            process = bind.type._cached_bind_processor(dialect)
            if process is not None and name not in self._rendered:
                self._binds.append((name, process))
        self._dialect = dialect
        self._types = [column.type for column in stmt.selected_columns]
        self._results: list[tuple[int, Callable[[Any], Any]]] | None = None
        """The columns' result processors, by the driver's type codes of the first result (as
        SQLAlchemy keeps a compiled statement's result metadata from its first execution)."""
        fields = tuple(c.key for c in stmt.selected_columns)
        self.row_type: type[tuple[Any, ...]] = type(
            "DirectRow", (tuple,), {"__slots__": (), "_fields": fields}
        )
        """The rows' class: tuples with ``_fields``, the column names (as ``Row._fields``)."""

    def _positions(self, order: Sequence[str] | None) -> Sequence[str] | None:
        return tuple(order or ()) if self._qmark else None

    def _text(self, values: Mapping[str, Any]) -> tuple[str, Sequence[str] | None]:
        """The SQL text for some values, and the order of its positional parameters."""
        key = tuple(values[name] for name in self._rendered)
        found = self._texts.get(key)
        if found is None:
            state = self._compiled.construct_expanded_state(dict(values))
            if len(self._texts) >= self.RENDERED_KEPT:
                self._texts.clear()
            found = self._texts[key] = (state.statement, self._positions(state.positiontup))
        return found

    def _parameters(self, values: Mapping[str, Any], order: Sequence[str] | None) -> Any:
        params = self._compiled.construct_params(values)
        for name, process in self._binds:
            params[name] = process(params[name])
        if order is None:
            for name in self._rendered:
                del params[name]
            return params
        return tuple(params[name] for name in order)

    def _processors(self, codes: Sequence[Any]) -> list[tuple[int, Callable[[Any], Any]]]:
        """The result processors of the columns (some depend on the driver's type code)."""
        found: list[tuple[int, Callable[[Any], Any]]] = []
        for n, (kind, code) in enumerate(zip(self._types, codes, strict=True)):
            process = kind._cached_result_processor(self._dialect, code)
            if process is not None:
                found.append((n, process))
        return found

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Run the statement with some parameter values; return its rows.

        :param connection: the open connection (its transaction begun, for SQLite).
        :param values: the bound parameters' values by name.
        :returns: the rows, tuples with ``_fields`` on the direct path, ``Row`` objects
            otherwise; index access is the same on both.
        :raises sqlalchemy.exc.DBAPIError: as :meth:`Connection.execute` raises it.
        """
        if not self.runnable or listened(connection):
            return list(connection.execute(self.stmt, values).all())
        driver: Any = connection.connection.dbapi_connection
        try:
            cursor = driver.cursor()
            try:
                sql, order = self._text(values)
                cursor.execute(sql, self._parameters(values, order))
                fetched = cursor.fetchall()
                results = self._results
                if results is None:  # psycopg makes the description anew on each access
                    codes = [column[1] for column in cursor.description]
                    results = self._results = self._processors(codes)
            finally:
                cursor.close()
        except Exception:
            return list(connection.execute(self.stmt, values).all())
        make = self.row_type
        if not results:
            return [make(row) for row in fetched]
        rows = []
        for row in fetched:
            converted = list(row)
            for n, process in results:
                converted[n] = process(converted[n])
            rows.append(make(converted))
        return rows
