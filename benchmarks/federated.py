"""Benchmark hub.search_accounts over three stores against the single stores (not part of CI).

    python benchmarks/federated.py --accounts 100000

Seeds N accounts in each of three stores: sql on SQLite and sql on PostgreSQL
(``idconnect_sql.demo.seed_demo``, as ``benchmarks/sql_reads.py`` does) and ldap on a throwaway
slapd (an LDIF loaded offline with ``slapadd``, as ``benchmarks/ldap_store.py`` does). Then:

- first page of an exact search, ``userName eq "<name>"`` for a name drawn at random from one
  of the stores each call: ``hub.search_accounts`` over the three stores against each store's
  own ``search_accounts`` of the same filter, the three run one after the other and the
  *slowest* of them counted (what the federated search waits for at best; their sum is shown
  too, what asking the stores in turn would cost). Rounds interleave
  the two sides, alternating which goes first; medians with the 10th-90th percentile range and
  the ratio federated / slowest single store;
- iterating every account of a federated search page by page (``userName pr``, pages of
  ``--page``): accounts per second and this process's RSS at the first page, the last page and
  its peak (flat memory: the last and the peak stay near the first), then each store's own
  ``iter_accounts`` of the same filter and the ratio of the walk to the three run in turn.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from idconnect_ldap.testing import Slapd
from idconnect_sql.demo import seed_demo
from ldap_store import write_ldif
from sql_reads import open_store, rss_mb, spread

import idconnect

PASSWORD_ENV = "IDCONNECT_BENCH_FEDERATED_LDAP_PW"


def seeded_directory(stack: ExitStack, n: int) -> tuple[Slapd, dict[str, Any]]:
    """Start a slapd holding ``n`` accounts under ``ou=people``; return it and store settings."""
    server = stack.enter_context(Slapd())
    ldif = server.directory / "bench.ldif"
    write_ldif(ldif, server.suffix, n)
    started = time.perf_counter()
    server.load_ldif(ldif)
    print(f"slapd: loaded {n:,} entries with slapadd in {time.perf_counter() - started:.1f} s")
    server.start()
    os.environ[PASSWORD_ENV] = server.password
    return server, {
        "plugin": "ldap",
        "url": server.url,
        "bind_dn": server.root_dn,
        "bind_password_env": PASSWORD_ENV,
        "users_base": f"ou=people,{server.suffix}",
        "groups_base": f"ou=groups,{server.suffix}",
        "pool_size": 4,
    }


def exact_searches(hub: idconnect.Hub, names: list[str], rounds: int) -> None:
    """Time the federated exact search against the slowest single store, interleaved."""
    stores = [hub.store(name) for name in hub.stores]
    federated: list[float] = []
    slowest: list[float] = []
    in_turn: list[float] = []
    for r in range(rounds):
        for n, name in enumerate(names):
            text = f'userName eq "{name}"'

            def together(text: str = text) -> None:
                start = time.perf_counter()
                page = hub.search_accounts(text)
                federated.append((time.perf_counter() - start) * 1000)
                assert page.items and not page.skipped, (text, page.skipped)

            def alone(text: str = text) -> None:
                times = []
                for store in stores:
                    start = time.perf_counter()
                    store.search_accounts(text)
                    times.append((time.perf_counter() - start) * 1000)
                slowest.append(max(times))
                in_turn.append(sum(times))

            for side in (together, alone) if (r + n) % 2 == 0 else (alone, together):
                side()
    ratio = statistics.median(federated) / statistics.median(slowest)
    print(f"first page of an exact userName search ({len(federated)} calls per side):")
    print(f"  {'federated (3 stores)':<28} {spread(federated, 'ms')}")
    print(f"  {'slowest single store':<28} {spread(slowest, 'ms')}")
    print(f"  {'the three one after another':<28} {spread(in_turn, 'ms')}")
    print(f"  ratio federated / slowest single store: {ratio:.2f}x")
    turn = statistics.median(federated) / statistics.median(in_turn)
    print(f"  ratio federated / the three in turn: {turn:.2f}x")
    for store in stores:  # how much of a store's search is this process's CPU (the GIL's share)
        wall, cpu = time.perf_counter(), time.process_time()
        for name in names:
            store.search_accounts(f'userName eq "{name}"')
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"  {store.name} alone: {wall / len(names) * 1000:.3f} ms a call, of which"
            f" {cpu / len(names) * 1000:.3f} ms this process's CPU"
        )


def iterate(hub: idconnect.Hub, page_size: int, expected: int) -> None:
    """Walk every account of a federated search page by page, sampling the RSS on each page."""
    cursor = None
    seen = pages = 0
    samples: list[float] = []
    start = time.perf_counter()
    while True:
        page = hub.search_accounts("userName pr", count=page_size, cursor=cursor)
        seen += len(page.items)
        pages += 1
        samples.append(rss_mb())
        cursor = page.next_cursor
        if cursor is None:
            break
    elapsed = time.perf_counter() - start
    assert seen == expected, (seen, expected)
    print(f"iterating {seen:,} accounts of 3 stores in {pages:,} pages of {page_size}:")
    print(f"  federated: {seen / elapsed:,.0f} accounts/s ({elapsed:.1f} s)")
    alone = 0.0
    for name in hub.stores:
        start = time.perf_counter()
        found = sum(1 for _ in hub.store(name).iter_accounts("userName pr", page_size=page_size))
        took = time.perf_counter() - start
        alone += took
        print(f"  {name} alone: {found / took:,.0f} accounts/s ({took:.1f} s)")
    print(f"  ratio federated / the three stores one after the other: {elapsed / alone:.2f}x")
    print(
        f"  RSS first page {samples[0]:.0f} MiB, last page {samples[-1]:.0f} MiB,"
        f" peak {max(samples):.0f} MiB"
    )


def main() -> None:
    """Seed the three stores, then print every measurement."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts per store")
    parser.add_argument("--lookups", type=int, default=50, help="names searched per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--page", type=int, default=1000, help="page size of the walk")
    args = parser.parse_args()
    n = args.accounts
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        settings: dict[str, Any] = {}
        names: list[str] = []
        for seed, dialect in enumerate(("sqlite", "postgresql"), start=1):
            (folder / dialect).mkdir()
            store = stack.enter_context(open_store(dialect, folder / dialect))
            started = time.perf_counter()
            seed_demo(store, count=n, seed=seed)
            print(f"{dialect}: seeded {n:,} accounts in {time.perf_counter() - started:.1f} s")
            settings[dialect] = {"plugin": "sql", "url": store.config.settings["url"]}
            names += [a.user_name for a in store.search_accounts(count=1000).items]
        _, settings["ldap"] = seeded_directory(stack, n)
        names += [f"user{i:06d}" for i in range(0, n, max(1, n // 1000))]
        hub = stack.enter_context(
            idconnect.connect(
                {"hub": {"state": f"sqlite:///{folder / 'state.db'}"}, "stores": settings}
            )
        )
        rng = random.Random(7)
        picks = [rng.choice(names) for _ in range(args.lookups)]
        for name in picks[:3]:  # warm every store's pool and statement cache
            hub.search_accounts(f'userName eq "{name}"')
        exact_searches(hub, picks, args.rounds)
        iterate(hub, args.page, 3 * n)


if __name__ == "__main__":
    main()
