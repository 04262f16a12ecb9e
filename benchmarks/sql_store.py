"""Benchmark the SQL store through the facade against raw SQLAlchemy Core, in the same run.

    python benchmarks/sql_store.py --accounts 1000000 --dialects sqlite,postgresql
    python benchmarks/sql_store.py --accounts 100000 --sections bulk --state same

Loads N demo accounts (idconnect_sql.demo.seed_demo: executemany in batches), then measures:
exact search by email (median, facade vs the same statements in Core), the EXPLAIN plan of a
filtered search, iterating every account page by page (peak memory), and bulk enable/disable.

The bulk figure compares the same work on both sides: the audited facade call
(``store.disable_accounts``/``enable_accounts``: the backend's set-based hook per batch of the
store's ``batch_size`` plus one audit event per account) against the backend's hook alone, called
with the same batches; rounds interleave the two sides (alternating which goes first) and each
side does as many disables as enables. It prints each side's median rate with its range, and
the ratio of the medians. ``--state same`` keeps the hub's state (the audit trail) in the store's
own database; the default is a SQLite file beside it. Not part of CI.
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


def _open(
    dialect: str, folder: Path, same_state: bool, batch_size: int
) -> tuple[idconnect.Hub, callable]:
    state = f"sqlite:///{folder / 'state.db'}"
    if dialect == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
        state = url if same_state else state
        settings = {"plugin": "sql", "url": url, "batch_size": batch_size}
        return idconnect.connect({"hub": {"state": state}, "stores": {"s": settings}}), lambda: None
    admin_url = sa.make_url(os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or PG_DEFAULT)
    name = f"idc_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    idconnect_sql.init_store(url)
    state = url if same_state else state
    settings = {"plugin": "sql", "url": url, "batch_size": batch_size}
    hub = idconnect.connect({"hub": {"state": state}, "stores": {"s": settings}})

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


def _search(store, engine, t, dialect: str, queries: int) -> None:
    with engine.begin() as c:
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
                sa.select(t.memberships.c.account_id, t.groups.c.id, t.groups.c.display_name)
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
    condition = FilterCompiler(store.backend.layout, USER_CATALOGUE, dialect, "s").compile(bound)
    stmt = sa.select(a).where(condition).order_by(a.c.id).limit(51)
    start = time.perf_counter()
    page = store.search_accounts(text, include_total=True)
    print(
        f"filtered search [{text}]: {len(page.items)} on first page,"
        f" total {page.total:,}, {(time.perf_counter() - start) * 1000:.1f} ms; plan:"
    )
    print(_explain(engine, stmt))


def _iterate(hub: idconnect.Hub, tmp: str, dialect: str) -> None:
    if dialect == "sqlite":
        wal = Path(tmp) / "bench.db-wal"
        print(f"SQLite WAL before iterating: {wal.stat().st_size / 2**20:.0f} MB")
    # Iterate in a fresh process so its peak RSS is the iteration's alone (the load
    # above has its own, larger peak).
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        seen, took, first, rss = pool.apply(_iterate_all, (hub.config.stores["s"].settings,))
    print(
        f"iterate all (fresh process): {seen:,} accounts in {took:.1f} s"
        f" ({seen / took:,.0f}/s); that process's RSS after the first page {first:.0f} MB,"
        f" peak (sampled every page) {rss:.0f} MB"
    )


def _spread(rates: list[float]) -> str:
    return (
        f"median {statistics.median(rates):,.0f}/s"
        f" (range {min(rates):,.0f}-{max(rates):,.0f}, {len(rates)} passes)"
    )


def _bulk(hub: idconnect.Hub, store, engine, t, bulk: int, rounds: int) -> None:
    a = t.accounts
    with engine.connect() as c:
        ids = list(c.execute(sa.select(a.c.id).order_by(a.c.id).limit(bulk)).scalars())
    store.enable_accounts(ids, reason="benchmark: start enabled")  # warm up, known state
    size = store.batch_size
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    backend = store.backend

    def audited(enabled: bool) -> None:
        change = store.enable_accounts if enabled else store.disable_accounts
        assert change(ids, reason="benchmark").ok

    def hook_alone(enabled: bool) -> None:
        for batch in batches:
            assert all(o.ok for o in backend.idconnect_bulk_set_accounts_enabled(batch, enabled))

    def timed(fn, enabled: bool) -> float:
        start = time.perf_counter()
        fn(enabled)
        return len(ids) / (time.perf_counter() - start)

    before = len(hub.state.events("s", action="disable_account", limit=10**9))
    rates: dict[str, list[float]] = {"audited": [], "hook": []}
    for r in range(rounds):
        sides = [("audited", audited), ("hook", hook_alone)]
        for name, fn in sides if r % 2 == 0 else sides[::-1]:
            rates[name].append(timed(fn, False))  # disable: every account changes
            rates[name].append(timed(fn, True))  # and back
    written = len(hub.state.events("s", action="disable_account", limit=10**9)) - before
    assert written == rounds * len(ids), (written, rounds * len(ids))
    audited_rate = statistics.median(rates["audited"])
    hook_rate = statistics.median(rates["hook"])
    where = sa.make_url(hub.state.url).get_backend_name()
    same = hub.state.url == hub.config.stores["s"].settings.get("url")
    print(
        f"bulk enable/disable of {len(ids):,} accounts in batches of {size:,},"
        f" {rounds} interleaved rounds; audit trail on {where}"
        f" ({'the store database' if same else 'a separate database'}):"
    )
    print(f"  audited facade (one event per account): {_spread(rates['audited'])}")
    print(f"  backend hook alone, same batches:       {_spread(rates['hook'])}")
    per_round = [
        statistics.mean(rates["audited"][2 * r : 2 * r + 2])
        / statistics.mean(rates["hook"][2 * r : 2 * r + 2])
        for r in range(rounds)
    ]
    print(
        f"  ratio audited / hook alone: {audited_rate / hook_rate:.2f}x (of the medians);"
        f" per round {', '.join(f'{x:.2f}' for x in per_round)}"
        f" ({written:,} disable events written)"
    )


def run(
    dialect: str,
    n: int,
    bulk: int,
    queries: int,
    *,
    sections: set[str],
    rounds: int,
    same_state: bool,
    batch_size: int,
) -> None:
    print(f"\n=== {dialect}: {n:,} accounts ===")
    with tempfile.TemporaryDirectory() as tmp:
        hub, drop = _open(dialect, Path(tmp), same_state, batch_size)
        try:
            store = hub.store("s")
            start = time.perf_counter()
            counts = seed_demo(store, count=n, seed=1)
            took = time.perf_counter() - start
            print(f"load: {took:.1f} s ({n / took:,.0f} accounts/s); rows: {counts}")
            engine, t = store.backend.engine, store.backend.tables
            if "search" in sections:
                _search(store, engine, t, dialect, queries)
            if "iterate" in sections:
                _iterate(hub, tmp, dialect)
            if "bulk" in sections:
                _bulk(hub, store, engine, t, bulk, rounds)
        finally:
            hub.close()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--bulk", type=int, default=100_000, help="accounts per bulk call")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--sections",
        default="search,iterate,bulk",
        help="comma-separated: search, iterate, bulk (default all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved bulk rounds")
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="the store's batch_size (ids per hook call)"
    )
    parser.add_argument(
        "--state",
        choices=("separate", "same"),
        default="separate",
        help="the audit trail in a separate SQLite file (default) or in the store's database",
    )
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    unknown = sections - {"search", "iterate", "bulk"}
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    for dialect in args.dialects.split(","):
        run(
            dialect,
            args.accounts,
            min(args.bulk, args.accounts),
            args.queries,
            sections=sections,
            rounds=args.rounds,
            same_state=args.state == "same",
            batch_size=args.batch_size,
        )


if __name__ == "__main__":
    main()
