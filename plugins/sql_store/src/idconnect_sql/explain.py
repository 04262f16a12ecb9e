"""``explain_search`` for SQL stores: the cached statement, its bound names and the plan.

The statement shown is the one :meth:`~idconnect_sql.backend.SqlBackend.page` runs for the
query's first page (built once per filter shape and cached), compiled with named parameters and
no literal values. Its plan is the database's own:

- SQLite: ``EXPLAIN QUERY PLAN``; a ``SCAN`` step reads a whole table (through an index or
  not), a ``SEARCH`` step narrows it by an index.
- PostgreSQL: ``EXPLAIN (FORMAT JSON)``, asked with ``enable_seqscan`` off inside the read-only
  transaction, so that a ``Seq Scan`` means that *no* index can serve the search (not that a
  small table is cheaper to read whole); an ``Index Scan`` without an ``Index Cond`` reads the
  whole index, and is a full scan too (so is one whose only ``Index Cond`` is ``IS NOT
  NULL``). Conditions are named, not shown (they hold the values).
- MariaDB/MySQL: ``EXPLAIN``; an access type ``ALL`` (table) or ``index`` (whole index) is a
  full scan. The optimizer may prefer one on a small table even when an index exists, and a
  ``range`` over ``x IS NOT NULL`` (which reads nearly every row) is not told apart from a
  narrowing one: on MariaDB the verdict errs towards running the search.

The verdict (full scan or not, the indexes used) is cached per statement shape, like the
statements; the store's size, when asked about (the scan guard's threshold), is a count bounded
by the threshold: ``SELECT count(*) FROM (SELECT 1 FROM accounts LIMIT threshold + 1)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from idconnect.backend import Catalogue, Explanation, Query, StoreConfig, hookimpl, to_text
from idconnect_sql.backend import SqlBackend
from idconnect_sql.filters import Layout

__all__ = ["ExplainOps", "SearchTarget"]

_PLANS_CACHED = 256
_SQLITE_INDEX = re.compile(r"USING (?:COVERING )?(?:INDEX|PRIMARY KEY) ?(\S*)")


@frozen
class SearchTarget:
    """What a store's account search runs on (as :meth:`SqlBackend.page` takes it)."""

    source: FromClause
    key: ColumnElement[Any]
    layout: Layout
    catalogue: Catalogue
    selected: Sequence[ColumnElement[Any]] = ()
    """The source's columns a page reads (empty: all of them)."""


@frozen
class _Verdict:
    plan: tuple[str, ...]
    full_scan: bool
    cause: str | None
    indexes: tuple[str, ...]


class ExplainOps(SqlBackend):
    """The ``explain_search`` hook; a store provides :meth:`search_target`.

    :param config: the store's config.
    """

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        self._plans: dict[tuple[Any, ...], _Verdict] = {}

    def search_target(self) -> SearchTarget:
        """Return what the account search runs on.

        :returns: the table, its id column, the layout and the catalogue.
        """
        raise NotImplementedError  # each store type says where its accounts live

    @hookimpl
    def idconnect_explain_search(self, query: Query, threshold: int | None) -> Explanation:
        """Compile the first page's statement without values and ask the database's plan."""
        target = self.search_target()
        prepared = self.prepare_search(
            query,
            source=target.source,
            key=target.key,
            layout=target.layout,
            catalogue=target.catalogue,
            selected=target.selected,
        )
        statement = prepared.pages[0]
        dialect: Any = type(self.engine.dialect)
        named = statement.compile(dialect=dialect(paramstyle="named"))
        parameters = {**named.params, **prepared.parameters, "idc_limit": query.count + 1}
        sent = named.construct_expanded_state(parameters)  # an unfiltered LIMIT is written in
        sql = " ".join(sent.statement.split())
        with self.begin() as connection:
            verdict = self._plans.get(prepared.cache_key)
            if verdict is None:
                verdict = self._verdict(connection, statement, parameters)
                if len(self._plans) >= _PLANS_CACHED:
                    self._plans.clear()
                self._plans[prepared.cache_key] = verdict
            over = None
            if threshold is not None and verdict.full_scan:
                over = self._exceeds(connection, target.source, threshold)
        return Explanation(
            store=self.name,
            backend=f"sql ({self.dialect})",
            native=sql,
            parameters=tuple(sorted(sent.parameters)),
            target=(f"table {target.source}",),
            natively=(to_text(query.filter),) if query.filter is not None else (),
            plan=verdict.plan,
            full_scan=verdict.full_scan,
            scan_cause=verdict.cause,
            indexes=verdict.indexes,
            over_threshold=over,
        )

    def _verdict(
        self, connection: Connection, statement: sa.Select[Any], parameters: Mapping[str, Any]
    ) -> _Verdict:
        if self.dialect == "sqlite":
            return _sqlite(connection, statement, parameters)
        if self.dialect == "postgresql":
            return _postgresql(connection, statement, parameters)
        return _mariadb(connection, statement, parameters)

    @staticmethod
    def _exceeds(connection: Connection, source: FromClause, threshold: int) -> bool:
        bounded = sa.select(sa.literal(1)).select_from(source).limit(threshold + 1).subquery()
        found = connection.execute(sa.select(sa.func.count()).select_from(bounded)).scalar_one()
        return int(found) > threshold


def _explained(
    connection: Connection, prefix: str, statement: sa.Select[Any], parameters: Mapping[str, Any]
) -> CursorResult[Any]:
    """Run ``prefix`` + the statement compiled for this database, with its parameters."""
    compiled = statement.compile(dialect=connection.dialect)
    sent = compiled.construct_expanded_state(dict(parameters))
    if compiled.positional:
        return connection.exec_driver_sql(f"{prefix} {sent.statement}", sent.positional_parameters)
    return connection.exec_driver_sql(f"{prefix} {sent.statement}", sent.parameters)


def _sqlite(
    connection: Connection, statement: sa.Select[Any], parameters: Mapping[str, Any]
) -> _Verdict:
    rows = _explained(connection, "EXPLAIN QUERY PLAN", statement, parameters).all()
    depth: dict[int, int] = {}
    plan, indexes, scans = [], [], []
    for row in rows:
        node, parent, _, detail = tuple(row)
        depth[node] = depth.get(parent, -1) + 1
        plan.append("  " * depth[node] + str(detail))
        found = _SQLITE_INDEX.search(detail)
        if found and found.group(1):
            indexes.append(found.group(1))
        if str(detail).startswith("SCAN ") and "CONSTANT ROW" not in detail:
            scans.append(str(detail))
    cause = f"SQLite plan: {scans[0]}" if scans else None
    return _Verdict(tuple(plan), bool(scans), cause, tuple(dict.fromkeys(indexes)))


def _pg_nodes(node: Mapping[str, Any], depth: int = 0) -> Iterator[tuple[int, Mapping[str, Any]]]:
    yield depth, node
    for child in node.get("Plans", ()):
        yield from _pg_nodes(child, depth + 1)


def _narrows(condition: str) -> bool:
    """Whether an index condition narrows the rows (``x IS NOT NULL`` alone does not)."""
    parts = condition.replace("(", " ").replace(")", " ").split(" AND ")
    return any(p.strip() and not p.strip().endswith("IS NOT NULL") for p in parts)


def _postgresql(
    connection: Connection, statement: sa.Select[Any], parameters: Mapping[str, Any]
) -> _Verdict:
    connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
    found = _explained(connection, "EXPLAIN (FORMAT JSON)", statement, parameters)
    document = found.scalar_one()
    root = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    plan, indexes, scans = ["(asked with enable_seqscan off)"], [], []
    for depth, node in _pg_nodes(root):
        kind = str(node.get("Node Type"))
        line = kind
        if node.get("Index Name"):
            line += f" using {node['Index Name']}"
            indexes.append(str(node["Index Name"]))
        if node.get("Relation Name"):
            line += f" on {node['Relation Name']}"
        conditions = [d.lower() for d in ("Index Cond", "Filter") if node.get(d)]
        if conditions:  # named, never shown: they hold the bound values
            line += f" (with {' and '.join(conditions)})"
        plan.append("  " * depth + line)
        whole_index = kind in (
            "Index Scan",
            "Index Only Scan",
            "Bitmap Index Scan",
        ) and not _narrows(str(node.get("Index Cond") or ""))
        if kind == "Seq Scan":
            scans.append(line)
        elif whole_index:
            scans.append(f"{line}, reading the whole index")
    cause = f"PostgreSQL plan: {scans[0]}" if scans else None
    return _Verdict(tuple(plan), bool(scans), cause, tuple(dict.fromkeys(indexes)))


def _mariadb(
    connection: Connection, statement: sa.Select[Any], parameters: Mapping[str, Any]
) -> _Verdict:
    rows = _explained(connection, "EXPLAIN", statement, parameters).mappings().all()
    plan, indexes, scans = [], [], []
    for row in rows:
        access, key = row.get("type"), row.get("key")
        line = f"{row.get('select_type')} {row.get('table')}: access {access}"
        if key:
            line += f" using {key}"
            indexes.append(str(key))
        if row.get("Extra"):
            line += f" ({row['Extra']})"
        plan.append(line)
        if access in ("ALL", "index"):
            scans.append(line)
    cause = f"MariaDB plan: {scans[0]}" if scans else None
    return _Verdict(tuple(plan), bool(scans), cause, tuple(dict.fromkeys(indexes)))
