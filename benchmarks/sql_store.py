"""Benchmark the SQL store through the facade against raw SQLAlchemy Core, in the same run.

    python benchmarks/sql_store.py --accounts 1000000 --dialects sqlite,postgresql

Loads N demo accounts (idconnect_sql.demo.seed_demo: executemany in batches), then measures:
exact search by email (median, facade vs the same statements in Core), the EXPLAIN plan of a
filtered search, iterating every account page by page (peak memory), and a bulk disable.
Not part of CI.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import idconnect_sql
import sqlalchemy as sa
from idconnect_sql.demo import seed_demo
from idconnect_sql.filters import FilterCompiler

import idconnect
from idconnect.core.filter import bind, parse
from idconnect.core.schema import USER_CATALOGUE

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _open(dialect: str, folder: Path) -> tuple[idconnect.Hub, callable]:
    state = f"sqlite:///{folder / 'state.db'}"
    if dialect == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
        return idconnect.connect(
            {"hub": {"state": state}, "stores": {"s": {"plugin": "sql", "url": url}}}
        ), lambda: None
    admin_url = sa.make_url(os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or PG_DEFAULT)
    name = f"idc_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    idconnect_sql.init_store(url)
    hub = idconnect.connect(
        {"hub": {"state": state}, "stores": {"s": {"plugin": "sql", "url": url}}}
    )

    def drop() -> None:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return hub, drop


def _median_ms(fn, values) -> float:
    times = []
    for v in values:
        start = time.perf_counter()
        fn(v)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _explain(engine: sa.Engine, stmt: sa.Select) -> str:
    compiled = stmt.compile(dialect=engine.dialect)
    params = compiled.construct_params()
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as c:
        if compiled.positional:
            args = tuple(params[k] for k in compiled.positiontup)
            rows = c.exec_driver_sql(prefix + str(compiled), args).fetchall()
        else:
            rows = c.exec_driver_sql(prefix + str(compiled), params).fetchall()
    return "\n".join("    " + " | ".join(str(x) for x in row) for row in rows)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _iterate_all(settings: dict[str, object]) -> tuple[int, float, float, float]:
    # ru_maxrss would report the forking parent's peak (it survives exec), so sample the
    # current RSS after every page instead.
    with tempfile.TemporaryDirectory() as tmp:
        config = {
            "hub": {"state": f"sqlite:///{tmp}/state.db"},
            "stores": {"s": {"plugin": "sql", **settings}},
        }
        with idconnect.connect(config) as hub:
            start = time.perf_counter()
            seen, first, peak = 0, 0.0, 0.0
            for _ in hub.store("s").iter_accounts(page_size=1000):
                seen += 1
                if seen % 1000 == 0:
                    peak = max(peak, _rss_mb())
                    first = first or peak
            took = time.perf_counter() - start
    return seen, took, first, peak


def run(dialect: str, n: int, bulk: int, queries: int) -> None:
    print(f"\n=== {dialect}: {n:,} accounts ===")
    with tempfile.TemporaryDirectory() as tmp:
        hub, drop = _open(dialect, Path(tmp))
        try:
            store = hub.store("s")
            backend = store.backend
            start = time.perf_counter()
            counts = seed_demo(store, count=n, seed=1)
            took = time.perf_counter() - start
            print(f"load: {took:.1f} s ({n / took:,.0f} accounts/s); rows: {counts}")
            engine, t = backend.engine, backend.tables
            with engine.begin() as c:
                if dialect == "postgresql":
                    c.exec_driver_sql("ANALYZE")
                else:
                    c.exec_driver_sql("ANALYZE")
                emails = c.execute(sa.select(t.emails.c.value)).scalars().all()
            sample = random.Random(3).sample(emails, queries)

            def facade(email: str) -> None:
                assert store.search_accounts(f'emails.value eq "{email}"').items

            a = t.accounts

            def raw_row(email: str) -> None:
                with engine.connect() as c:
                    exists = a.c.id.in_(
                        sa.select(t.emails.c.account_id).where(t.emails.c.value_ci == email.lower())
                    )
                    assert c.execute(sa.select(a).where(exists).order_by(a.c.id).limit(51)).all()

            def raw_full(email: str) -> None:
                with engine.connect() as c:
                    exists = a.c.id.in_(
                        sa.select(t.emails.c.account_id).where(t.emails.c.value_ci == email.lower())
                    )
                    rows = c.execute(sa.select(a).where(exists).order_by(a.c.id).limit(51)).all()
                    ids = [r.id for r in rows]
                    for table in (t.emails, t.phones, t.external_identities, t.role_assignments):
                        c.execute(sa.select(table).where(table.c.account_id.in_(ids))).all()
                    c.execute(
                        sa.select(
                            t.memberships.c.account_id, t.groups.c.id, t.groups.c.display_name
                        )
                        .join(t.groups, t.groups.c.id == t.memberships.c.group_id)
                        .where(t.memberships.c.account_id.in_(ids))
                    ).all()

            for fn in (facade, raw_row, raw_full):  # warm up
                fn(sample[0])
            f_ms = _median_ms(facade, sample)
            r_ms = _median_ms(raw_row, sample)
            full_ms = _median_ms(raw_full, sample)
            print(
                f"exact email search, median of {queries}: facade {f_ms:.3f} ms;"
                f" raw Core same 6 statements {full_ms:.3f} ms (ratio {f_ms / full_ms:.2f}x);"
                f" raw Core account row only {r_ms:.3f} ms (ratio {f_ms / r_ms:.2f}x)"
            )

            text = 'emails.value ew "@example.org" and meta.created gt "2025-05-01T00:00:00Z"'
            bound = bind(parse(text), USER_CATALOGUE)
            condition = FilterCompiler(backend.layout, USER_CATALOGUE, dialect, "s").compile(bound)
            stmt = sa.select(a).where(condition).order_by(a.c.id).limit(51)
            start = time.perf_counter()
            page = store.search_accounts(text, include_total=True)
            print(
                f"filtered search [{text}]: {len(page.items)} on first page,"
                f" total {page.total:,}, {(time.perf_counter() - start) * 1000:.1f} ms; plan:"
            )
            print(_explain(engine, stmt))

            if dialect == "sqlite":
                wal = Path(tmp) / "bench.db-wal"
                print(f"SQLite WAL before iterating: {wal.stat().st_size / 2**20:.0f} MB")
            # Iterate in a fresh process so its peak RSS is the iteration's alone (the load
            # above has its own, larger peak).
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                seen, took, first, rss = pool.apply(
                    _iterate_all, (hub.config.stores["s"].settings,)
                )
            print(
                f"iterate all (fresh process): {seen:,} accounts in {took:.1f} s"
                f" ({seen / took:,.0f}/s); that process's RSS after the first page {first:.0f} MB,"
                f" peak (sampled every page) {rss:.0f} MB"
            )
            with engine.connect() as c:
                ids = list(
                    c.execute(sa.select(a.c.id).where(a.c.active.is_(True)).limit(bulk)).scalars()
                )

            start = time.perf_counter()
            result = store.disable_accounts(ids, reason="benchmark")
            took = time.perf_counter() - start
            assert result.ok
            print(
                f"bulk disable through the facade (audited): {len(ids):,} accounts in {took:.2f} s"
                f" = {len(ids) / took:,.0f} accounts/s"
            )
            start = time.perf_counter()
            outcomes = backend.idconnect_bulk_set_accounts_enabled(ids, True)
            took = time.perf_counter() - start
            assert all(o.ok for o in outcomes)
            print(
                f"bulk enable, backend hook alone (no audit): {len(ids):,} in {took:.2f} s"
                f" = {len(ids) / took:,.0f} accounts/s"
            )
        finally:
            hub.close()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    for dialect in args.dialects.split(","):
        run(dialect, args.accounts, min(args.bulk, args.accounts), args.queries)


if __name__ == "__main__":
    main()
