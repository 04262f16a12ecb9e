"""Benchmark SQL store reads through the facade against hand-written SQLAlchemy Core, same run.

    python benchmarks/sql_reads.py --accounts 100000 --dialects sqlite,postgresql

Seeds N demo accounts natively (``idconnect_sql.demo.seed_demo``), analyses them (PostgreSQL's
tables also vacuumed, as autovacuum would leave them: hint bits and visibility map set), then,
per dialect:

- exact email lookup: ``search_accounts('emails.value eq "..."')`` against Core running the same
  one statement: the account row's columns an account is built from (not the folded shadows)
  by a semi-join on ``emails.value_ci`` with its five child lists
  (emails, phone numbers, external identities, role assignments, groups) as one JSON column of
  correlated subqueries, each run only when the account's ``child_kinds`` has the kind's
  bit (``CASE WHEN child_kinds & bit <> 0``), each element ending with the row's sort key and
  no ORDER BY in the aggregates, as the store reads them
  (``json_agg(json_build_array(..., key))`` on PostgreSQL;
  ``json_group_array(json_array(..., key))`` on SQLite, the five texts joined with ``||``;
  the column as text on both), which the hand-written side decodes with the store's decoder
  (the JSON scanner ``json.loads`` wraps) and whose lists of more than one element it sorts by
  their key, as the store does; on the store's own engine;
- first page of 50 sorted by userName: the facade against the same keyset query by hand
  (``ORDER BY user_name_ci, id LIMIT 51`` with the same JSON column), and PostgreSQL's
  ``EXPLAIN`` of the statement the facade actually sent (captured from the engine);
- iterating every account in pages of 1,000: the facade's ``iter_accounts`` against the same
  keyset pages by hand, accounts per second and the process's RSS sampled every page.

The comparison is of the same work: the same statements (one per page), built once before
timing on both sides, read in the same kind of transaction (SQLite's in one, PostgreSQL's in
autocommit: no BEGIN/COMMIT round trips), with the ``LIMIT`` as the store sends it: bound for
the email lookup (a filtered search, planned for its values), rendered into the SQL for the
unfiltered listings (the first page, the iteration), which PostgreSQL then plans once per
prepared statement rather than on every execution. The hand-written side runs them with Core's
``Connection.execute`` (its compiled cache and psycopg's prepared statements serving it); the
store runs its cached statements on the driver's cursor (``idconnect_sql.direct``: compiled by
SQLAlchemy once, the same processors applied), and also makes ``Account`` models of the rows,
which the hand-written side leaves out. The lookup and first-page lines also time the
hand-written statements on the bare driver (:class:`BareDriver`: one held connection, no
checkout, no type processing), the floor of those reads here. Rounds interleave the sides,
alternating which goes first; each line prints the median with the 10th-90th percentile range
and the ratio of the medians. Not part of CI.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from idconnect_sql.demo import seed_demo

import idconnect

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PAGE = 50
KEY = operator.itemgetter(-1)
"""The sort key of a child list's element (its last value)."""
SCAN = json.JSONDecoder().scan_once
"""Decodes JSON text as the store does (``json.loads`` without its wrappers)."""


@contextmanager
def open_store(dialect: str, folder: Path) -> Iterator[idconnect.Store]:
    """Yield a store over a new, empty database of the dialect (dropped afterwards)."""
    config: dict[str, Any] = {"hub": {"state": f"sqlite:///{folder / 'state.db'}"}}
    if dialect == "sqlite":
        config["stores"] = {"s": {"plugin": "sql", "url": f"sqlite:///{folder / 'bench.db'}"}}
        with idconnect.connect(config) as hub:
            yield hub.store("s")
        return
    import idconnect_sql

    admin_url = sa.make_url(os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or PG_DEFAULT)
    name = f"idc_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        idconnect_sql.init_store(url)
        config["stores"] = {"s": {"plugin": "sql", "url": url}}
        with idconnect.connect(config) as hub:
            yield hub.store("s")
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def rss_mb() -> float:
    """This process's resident set size now, in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def spread(values: list[float], unit: str) -> str:
    """Median and 10th-90th percentile range of timings."""
    deciles = statistics.quantiles(values, n=10)
    low, high = deciles[0], deciles[-1]
    return f"median {statistics.median(values):.3f} {unit} (p10-p90 {low:.3f}-{high:.3f})"


def interleaved(
    sides: dict[str, Callable[[Any], object]], args: list[Any], rounds: int
) -> dict[str, list[float]]:
    """Time each side on every argument, rounds interleaved, alternating which side goes first.

    :returns: side name to its timings in milliseconds.
    """
    times: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides.items())
    for r in range(rounds):
        for n, arg in enumerate(args):
            for name, fn in order if (r + n) % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                fn(arg)
                times[name].append((time.perf_counter() - start) * 1000)
    return times


def report(
    title: str, times: dict[str, list[float]], facade: str, raw: str, floor: str | None = None
) -> None:
    """Print the sides' medians with their spread, the facade's ratio to raw (and to floor)."""
    ratio = statistics.median(times[facade]) / statistics.median(times[raw])
    print(f"{title} ({len(times[facade])} calls per side):")
    for side in (facade, raw, floor):
        if side is not None:
            print(f"  {side:<28} {spread(times[side], 'ms')}")
    print(f"  ratio {facade} / {raw}: {ratio:.2f}x")
    if floor is not None:
        floored = statistics.median(times[facade]) / statistics.median(times[floor])
        print(f"  ratio {facade} / {floor}: {floored:.2f}x")


class RawCore:
    """The facade's reads written by hand in SQLAlchemy Core, each statement built once.

    Every read is one statement, as the store's: the account rows with their child lists in
    one JSON text column (see the module's docstring), decoded and each list sorted by its
    elements' key, but not made into models.
    """

    def __init__(self, store: idconnect.Store) -> None:
        backend: Any = store.backend
        self.engine: sa.Engine = backend.engine
        self.sqlite = self.engine.dialect.name == "sqlite"
        t = self.t = backend.tables
        a = t.accounts
        built_from = [  # not the folded shadows nor the child lists' bits: filters read those
            c for c in a.c if not c.name.endswith(("_ci", "_rev")) and c.name != "child_kinds"
        ]
        account = sa.select(*built_from, self._children().label("children"))
        self.by_email = (
            account.where(
                a.c.id.in_(
                    sa.select(t.emails.c.account_id).where(
                        t.emails.c.value_ci == sa.bindparam("email")
                    )
                )
            )
            .order_by(a.c.id)
            .limit(PAGE + 1)
        )
        rendered = sa.bindparam("n", PAGE + 1, literal_execute=True)
        self.by_user_name = account.order_by(a.c.user_name_ci, a.c.id).limit(rendered)
        self.by_id = account.order_by(a.c.id).limit(rendered)
        self.after_id = (
            account.where(a.c.id > sa.bindparam("after")).order_by(a.c.id).limit(rendered)
        )

    def _children(self) -> Any:
        """The five child lists of ``idc_accounts``' row as one JSON array, each element keyed."""
        t = self.t
        a, e, p, x, r, m, g = (
            t.accounts,
            t.emails,
            t.phones,
            t.external_identities,
            t.role_assignments,
            t.memberships,
            t.groups,
        )
        kinds = [
            (e, e.c.account_id, (e.c.value, e.c.type, e.c.primary, e.c.verified), e.c.position),
            (p, p.c.account_id, (p.c.value, p.c.type, p.c.primary, p.c.verified), p.c.position),
            (x, x.c.account_id, (x.c.provider, x.c.subject), x.c.position),
            (r, r.c.account_id, (r.c.role, r.c.organization), r.c.id),
            (
                m.join(g, g.c.id == m.c.group_id),
                m.c.account_id,
                (g.c.id, g.c.display_name),
                g.c.display_name_ci,
            ),
        ]
        lists = []
        missing = sa.literal_column("'null'", sa.String) if self.sqlite else sa.null()
        for bit, (source, owner, values, key) in enumerate(kinds):
            if self.sqlite:
                aggregate = sa.func.json_group_array(sa.func.json_array(*values, key))
            else:
                aggregate = sa.func.json_agg(sa.func.json_build_array(*values, key))
            rows = sa.select(aggregate).select_from(source).where(owner == a.c.id)
            held = a.c.child_kinds.bitwise_and(1 << bit) != 0
            lists.append(sa.case((held, rows.scalar_subquery()), else_=missing))
        if not self.sqlite:
            return sa.cast(sa.func.json_build_array(*lists), sa.Text)
        joined: Any = sa.literal_column("'['", sa.String)
        for n, part in enumerate(lists):
            comma = sa.literal_column("','", sa.String)
            joined = (joined.concat(comma) if n else joined).concat(part)
        return joined.concat(sa.literal_column("']'", sa.String))

    def connect(self) -> sa.Connection:
        """A connection as the store's pages take one: without BEGIN/COMMIT on PostgreSQL."""
        connection = self.engine.connect()
        if self.engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection

    def rows(self, connection: sa.Connection, stmt: Any, params: dict[str, Any]) -> list[Any]:
        """Run an account statement; return its rows with their child lists decoded, in order."""
        rows = connection.execute(stmt, params).all()
        decoded = []
        for row in rows:
            lists = SCAN(row.children, 0)[0]
            for items in lists:
                if items is not None and len(items) > 1:
                    items.sort(key=KEY)
            decoded.append((row, lists))
        return decoded

    def email(self, value: str) -> None:
        """Look an account up by exact email, with its children."""
        with self.connect() as c:
            assert self.rows(c, self.by_email, {"email": value.lower()})

    def first_page(self, _: object) -> None:
        """The first page of 50 sorted by userName, with its children."""
        with self.connect() as c:
            assert len(self.rows(c, self.by_user_name, {})[:PAGE]) == PAGE

    def iterate(self, page: int) -> Iterator[Any]:
        """Every account row in keyset pages by id, with its children."""
        after = None
        while True:
            with self.connect() as c:
                if after is None:
                    rows = self.rows(c, self.by_id, {"n": page + 1})
                else:
                    rows = self.rows(c, self.after_id, {"after": after, "n": page + 1})
            more = len(rows) > page
            rows = rows[:page]
            yield from rows
            if not more:
                return
            last = rows[-1]
            after = last[0].id


class BareDriver:
    """The hand-written side's email and first-page statements on the bare DBAPI connection.

    The floor of a read here: one pooled connection held for the whole run (no checkout, no
    transaction: autocommit on PostgreSQL, SQLite's statement-level reads), each statement
    compiled once and run with ``cursor.execute``; the rows' child lists decoded and sorted as
    :class:`RawCore` does, the other values left as the driver returns them (no type processing:
    SQLite's instants stay text).

    :param raw: the hand-written side, whose statements it runs.
    """

    def __init__(self, raw: RawCore) -> None:
        dialect = raw.engine.dialect
        self.held = raw.engine.raw_connection()
        self.dbapi: Any = self.held.dbapi_connection
        if dialect.name == "postgresql":
            self.dbapi.autocommit = True
        self.by_email = self._compiled(raw.by_email, dialect)
        self.by_user_name = self._compiled(raw.by_user_name, dialect)

    @staticmethod
    def _compiled(stmt: Any, dialect: Any) -> Callable[[dict[str, Any]], Any]:
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        sql, order = compiled.string, compiled.positiontup

        def parameters(values: dict[str, Any]) -> Any:
            every = compiled.construct_params(values)
            return every if not order else tuple(every[name] for name in order)

        return lambda values: (sql, parameters(values))

    def rows(self, statement: tuple[str, Any]) -> list[Any]:
        """Run a compiled statement; return its rows with their child lists decoded, in order."""
        cursor = self.dbapi.cursor()
        cursor.execute(*statement)
        decoded = []
        for row in cursor.fetchall():
            lists = SCAN(row[-1], 0)[0]
            for items in lists:
                if items is not None and len(items) > 1:
                    items.sort(key=KEY)
            decoded.append((row, lists))
        cursor.close()
        return decoded

    def email(self, value: str) -> None:
        """Look an account up by exact email, with its children."""
        assert self.rows(self.by_email({"email": value.lower()}))

    def first_page(self, _: object) -> None:
        """The first page of 50 sorted by userName, with its children."""
        assert len(self.rows(self.by_user_name({}))[:PAGE]) == PAGE

    def close(self) -> None:
        """Give the held connection back (in autocommit on PostgreSQL: SQLAlchemy resets it)."""
        if getattr(self.dbapi, "autocommit", False) is True:
            self.dbapi.autocommit = False
        self.held.close()


def explain_sent(store: idconnect.Store, run: Callable[[], object]) -> str:
    """The database's plan of the account statement the facade sent while ``run`` ran."""
    engine: sa.Engine = store.backend.engine  # type: ignore[attr-defined]
    sent: list[tuple[str, Any]] = []

    def capture(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        sent.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    statement, params = next((s, p) for s, p in sent if "idc_accounts" in s and "LIMIT" in s)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as c:
        rows = c.exec_driver_sql(prefix + statement, params).all()
    return "\n".join(
        f"    {row[-1] if engine.dialect.name == 'sqlite' else row[0]}" for row in rows
    )


def explain_first_page(store: idconnect.Store) -> str:
    """PostgreSQL's plan of the statement the facade sent for the sorted first page."""
    return explain_sent(store, lambda: store.search_accounts(sort_by="userName", count=PAGE))


def iterate(store: idconnect.Store, raw: RawCore, passes: int) -> None:
    """Time iterating every account, facade and Core interleaved; print rates and RSS."""
    rates: dict[str, list[float]] = {"facade iter_accounts": [], "raw Core keyset": []}
    rss: list[float] = []

    def facade() -> int:
        seen = 0
        for _ in store.iter_accounts(page_size=1000):
            seen += 1
            if seen % 1000 == 1:  # a page's first account: the page is read
                rss.append(rss_mb())
        return seen

    def core() -> int:
        return sum(1 for _ in raw.iterate(1000))

    sides = [("facade iter_accounts", facade), ("raw Core keyset", core)]
    for p in range(passes):
        for name, fn in sides if p % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            seen = fn()
            rates[name].append(seen / (time.perf_counter() - start))
    print(f"iterate all {seen:,} accounts, pages of 1,000 ({passes} interleaved passes):")
    for name, values in rates.items():
        print(
            f"  {name:<28} median {statistics.median(values):,.0f} accounts/s"
            f" (range {min(values):,.0f}-{max(values):,.0f})"
        )
    ratio = statistics.median(rates["raw Core keyset"]) / statistics.median(
        rates["facade iter_accounts"]
    )
    print(
        f"  raw / facade rate: {ratio:.2f}x; RSS while iterating: first page {rss[0]:.0f} MiB,"
        f" last {rss[-1]:.0f} MiB, peak {max(rss):.0f} MiB"
    )


def measure(store: idconnect.Store, queries: int, rounds: int, passes: int) -> None:
    """Print every read measurement on a seeded managed store (also run by sql_store.py).

    :param store: the store (its database seeded).
    :param queries: lookups and first pages per round.
    :param rounds: interleaved rounds of lookups and first pages.
    :param passes: interleaved iterate-all passes.
    """
    raw = RawCore(store)
    with raw.engine.connect() as c:
        if raw.engine.dialect.name == "postgresql":  # as autovacuum leaves a table at rest:
            c.execution_options(isolation_level="AUTOCOMMIT")  # hint bits, visibility map
            c.exec_driver_sql("VACUUM ANALYZE")
        else:
            c.exec_driver_sql("ANALYZE")
            c.commit()
        emails = c.execute(sa.select(raw.t.emails.c.value)).scalars().all()
    sample = random.Random(3).sample(emails, queries)

    def facade_email(value: str) -> None:
        assert store.search_accounts(f'emails.value eq "{value}"').items

    def facade_first(_: object) -> None:
        assert len(store.search_accounts(sort_by="userName", count=PAGE).items) == PAGE

    bare = BareDriver(raw)
    for fn in (facade_email, raw.email, bare.email):  # warm up: caches, prepared statements
        for value in sample[:10]:
            fn(value)
    for _ in range(10):
        facade_first(None)
        raw.first_page(None)
        bare.first_page(None)
    report(
        "exact email lookup",
        interleaved(
            {"facade": facade_email, "raw Core": raw.email, "bare driver": bare.email},
            sample,
            rounds,
        ),
        "facade",
        "raw Core",
        "bare driver",
    )
    report(
        f"first page of {PAGE} sorted by userName",
        interleaved(
            {
                "facade": facade_first,
                "raw Core keyset": raw.first_page,
                "bare driver keyset": bare.first_page,
            },
            [None] * queries,
            rounds,
        ),
        "facade",
        "raw Core keyset",
        "bare driver keyset",
    )
    bare.close()
    if raw.engine.dialect.name == "postgresql":
        print("PostgreSQL plan of the facade's sorted first page:")
        print(explain_first_page(store))
    iterate(store, raw, passes)


def run(dialect: str, n: int, queries: int, rounds: int, passes: int) -> None:
    """Seed one database and print every measurement for it."""
    print(f"\n=== {dialect}: {n:,} accounts ===")
    with tempfile.TemporaryDirectory() as tmp, open_store(dialect, Path(tmp)) as store:
        start = time.perf_counter()
        seed_demo(store, count=n, seed=1)
        print(f"seeded in {time.perf_counter() - start:.1f} s; RSS {rss_mb():.0f} MiB")
        measure(store, queries, rounds, passes)


def main() -> None:
    """Parse the options and run every dialect asked for."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--queries", type=int, default=200, help="lookups per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--passes", type=int, default=4, help="interleaved iterate-all passes")
    args = parser.parse_args()
    for dialect in args.dialects.split(","):
        run(dialect, args.accounts, args.queries, args.rounds, args.passes)


if __name__ == "__main__":
    main()
