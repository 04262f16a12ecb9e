"""Benchmark the SQL store through the facade against raw SQLAlchemy Core, in the same run.

    python benchmarks/sql_store.py --accounts 100000 --dialects sqlite,postgresql
    python benchmarks/sql_store.py --accounts 100000 --sections bulk --state same

Loads N demo accounts (idconnect_sql.demo.seed_demo: executemany in batches), then measures
(``--sections``, default all):

- ``reads``: exact email lookup, the first page of 50 sorted by userName (with PostgreSQL's plan
  of the statement the facade sent) and iterating every account, each against the same
  statements written by hand in Core and built once, in interleaved rounds, medians with their
  spread (:func:`sql_reads.measure`, also runnable alone as ``benchmarks/sql_reads.py``);
- ``plan``: the EXPLAIN plans of a filtered search and of ``eq`` on a custom attribute
  (``loyaltyTier``, given to every account natively);
- ``bulk``: the same work on both sides: the audited facade call
  (``store.disable_accounts``/``enable_accounts``: the backend's set-based hook per batch of the
  store's ``batch_size`` plus one audit event per account) against the backend's hook alone,
  called with the same batches; rounds interleave the two sides (alternating which goes first)
  and each side does as many disables as enables. It prints each side's median rate with its
  range, and the ratio of the medians. ``--state same`` keeps the hub's state (the audit trail)
  in the store's own database; the default is a SQLite file beside it.

Not part of CI.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import idconnect_sql
import sql_reads
import sqlalchemy as sa
from idconnect_sql.demo import seed_demo
from idconnect_sql.filters import FilterCompiler

import idconnect
from idconnect.core.filter import bind, parse
from idconnect.core.schema import USER_CATALOGUE

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CUSTOM = {"loyaltyTier": {"type": "string"}}
"""The custom attribute the plan section searches (its values written natively)."""


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


def _plan(store, engine, t, dialect: str) -> None:
    text = 'emails.value ew "@example.org" and meta.created gt "2025-05-01T00:00:00Z"'
    bound = bind(parse(text), USER_CATALOGUE)
    condition = FilterCompiler(store.backend.layout, USER_CATALOGUE, dialect, "s").compile(bound)
    stmt = sa.select(t.accounts).where(condition).order_by(t.accounts.c.id).limit(51)
    start = time.perf_counter()
    page = store.search_accounts(text, include_total=True)
    print(
        f"filtered search [{text}]: {len(page.items)} on first page,"
        f" total {page.total:,}, {(time.perf_counter() - start) * 1000:.1f} ms; plan:"
    )
    print(_explain(engine, stmt))
    _custom_plan(store, engine, t)


def _custom_plan(store, engine, t) -> None:
    """Give every account a loyaltyTier natively; print the plan of an ``eq`` on it.

    The search runs through a second hub whose store declares the attribute (the other
    sections' store declares none, so its reads do not pay for custom values).
    """
    tiers = ("gold", "silver", "bronze", "platinum")
    with engine.begin() as c:
        ids = c.execute(sa.select(t.accounts.c.id)).scalars().all()
        rows = [
            {
                "account_id": i,
                "name": "loyaltyTier",
                "position": 0,
                "value_text": tier,
                "value_ci": tier,
            }
            for n, i in enumerate(ids)
            for tier in [tiers[n % len(tiers)] + ("" if n % 97 else f"-{n}")]
        ]
        for start in range(0, len(rows), 10_000):
            c.execute(sa.insert(t.attributes), rows[start : start + 10_000])
        c.exec_driver_sql("ANALYZE")
    text = 'loyaltyTier eq "gold-0"'  # one account in 97 holds a value of its own
    settings = {**store.config.settings, "plugin": "sql", "attributes": CUSTOM}
    state = {"state": "sqlite://"}
    with idconnect.connect({"hub": state, "stores": {"s": settings}}) as hub:
        custom = hub.store("s")
        start = time.perf_counter()
        found = custom.search_accounts(text).items
        took = (time.perf_counter() - start) * 1000
        print(f"custom attribute search [{text}]: {len(found)} found, {took:.1f} ms; plan:")
        print(sql_reads.explain_sent(custom, lambda: custom.search_accounts(text)))


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
    passes: int,
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
            if "reads" in sections:
                sql_reads.measure(store, queries, rounds=rounds, passes=passes)
            if "plan" in sections:
                _plan(store, engine, t, dialect)
            if "bulk" in sections:
                _bulk(hub, store, engine, t, bulk, rounds)
        finally:
            hub.close()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--bulk", type=int, default=100_000, help="accounts per bulk call")
    parser.add_argument("--queries", type=int, default=200, help="lookups per round")
    parser.add_argument(
        "--sections",
        default="reads,plan,bulk",
        help="comma-separated: reads, plan, bulk (default all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (reads, bulk)")
    parser.add_argument("--passes", type=int, default=4, help="interleaved iterate-all passes")
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
    unknown = sections - {"reads", "plan", "bulk"}
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
            passes=args.passes,
            same_state=args.state == "same",
            batch_size=args.batch_size,
        )


if __name__ == "__main__":
    main()
