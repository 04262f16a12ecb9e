"""Benchmark the LDAP store against raw ldap3 on a throwaway slapd (not part of CI).

    python benchmarks/ldap_store.py --entries 100000 --disable 10000

Loads N inetOrgPerson entries offline with slapadd, then measures in the same run:

- exact search by uid and by mail: the facade (``search_accounts('userName eq "..."',
  count=10)``) vs the same raw ldap3 search (same base, ``(&(objectClass=inetOrgPerson)(uid=...))``,
  the same attribute list the backend reads, no controls), in interleaved rounds;
- a first page of 50 of every entry: the facade (id windows) against raw ldap3 with the Server
  Side Sort control and raw ldap3 unsorted, wall time and the CPU time slapd spent on it
  (``/proc/<pid>/stat``);
- listing every entry page by page (time and peak RSS);
- disabling accounts: both sides start from account ids (entryUUIDs). The facade's bulk hook
  resolves them with OR-filters and pipelines the modifies; the raw ldap3 loop looks up each
  DN by entryUUID and modifies it, one account after the other.

Then, on a second directory without overlays (no sort control: only Simple Paged Results,
``python benchmarks/ldap_store.py --plain-only`` runs just this part):

- walking every entry with resumable cursors (id windows on entryUUID) vs one raw ldap3
  Simple Paged Results search (unsorted, not resumable in another process), same page size and
  attributes; the process's RSS is sampled on every page (flat memory: it must not grow);
- resuming one page from a cursor in the middle vs the raw paged search's next page.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import ldap3
from idconnect_ldap.protocol import sort_by
from idconnect_ldap.testing import Slapd

import idconnect

warnings.simplefilter("ignore", DeprecationWarning)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_ldif(path: Path, suffix: str, n: int) -> None:
    with path.open("w") as out:
        out.write(f"dn: ou=people,{suffix}\nobjectClass: organizationalUnit\nou: people\n\n")
        out.write(f"dn: ou=groups,{suffix}\nobjectClass: organizationalUnit\nou: groups\n\n")
        for i in range(n):
            out.write(
                f"dn: uid=user{i:06d},ou=people,{suffix}\nobjectClass: inetOrgPerson\n"
                f"uid: user{i:06d}\ncn: user{i:06d}\nsn: Family{i % 997}\n"
                f"givenName: Given{i}\nmail: user{i:06d}@example.org\n\n"
            )


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def plain_paging(args: argparse.Namespace) -> None:
    server = Slapd(overlays=False)
    try:
        ldif = server.directory / "bench.ldif"
        write_ldif(ldif, server.suffix, args.entries)
        server.load_ldif(ldif)
        server.start()
        os.environ["BENCH_LDAP_PW"] = server.password
        hub = idconnect.connect(
            {
                "hub": {"state": "sqlite://"},
                "stores": {
                    "plain": {
                        "plugin": "ldap",
                        "url": server.url,
                        "bind_dn": server.root_dn,
                        "bind_password_env": "BENCH_LDAP_PW",
                        "users_base": f"ou=people,{server.suffix}",
                        "groups_base": f"ou=groups,{server.suffix}",
                    }
                },
            }
        )
        store = hub.store("plain")
        attrs = store.backend.view.account_attributes
        base = f"ou=people,{server.suffix}"
        raw_server = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
        raw = ldap3.Connection(raw_server, server.root_dn, server.password, auto_bind=True)
        size = args.page

        def raw_pages():
            cookie = None
            while True:
                raw.search(
                    base,
                    "(objectClass=inetOrgPerson)",
                    attributes=attrs,
                    paged_size=size,
                    paged_cookie=cookie,
                )
                yield sum(1 for e in raw.response if e["type"] == "searchResEntry")
                cookie = raw.result["controls"]["1.2.840.113556.1.4.319"]["value"]["cookie"]
                if not cookie:
                    return

        # the two walks advance page by page in turn, so load from other processes falls on
        # both alike
        raw_walk = raw_pages()
        t_raw = t_facade = 0.0
        samples: list[float] = []
        cursor = None
        seen = raw_seen = 0
        cursors: list[str] = []
        done = False
        while not done:
            started = time.perf_counter()
            page = store.search_accounts(count=size, cursor=cursor)
            t_facade += time.perf_counter() - started
            seen += len(page.items)
            samples.append(current_rss_mb())
            cursor = page.next_cursor
            done = cursor is None
            if cursor is not None:
                cursors.append(cursor)
            started = time.perf_counter()
            raw_seen += next(raw_walk, 0)
            t_raw += time.perf_counter() - started
        raw_seen += sum(raw_walk)
        assert seen == raw_seen == args.entries, (seen, raw_seen)
        print(
            f"plain directory, walk {seen} entries with cursors ({size}/page, no sort control):"
            f" facade {t_facade:.1f}s, raw ldap3 paged search {t_raw:.1f}s (pages in turn),"
            f" ratio {t_facade / t_raw:.2f}x; RSS per page {min(samples):.0f}-{max(samples):.0f} MB"
            f" (first page {samples[0]:.0f} MB)"
        )
        middle = cursors[len(cursors) // 2]
        rounds = 20
        started = time.perf_counter()
        for _ in range(rounds):
            store.search_accounts(count=size, cursor=middle)
        t_page = (time.perf_counter() - started) / rounds
        raw_page = t_raw / (args.entries / size)
        print(
            f"plain directory, one page resumed from a cursor in the middle: {t_page * 1e3:.0f} ms;"
            f" a raw paged-search page takes {raw_page * 1e3:.0f} ms on average"
            f" (ratio {t_page / raw_page:.2f}x)"
        )
        hub.close()
        raw.unbind()
    finally:
        server.close()


def slapd_cpu(server: Slapd) -> float:
    """The CPU seconds (user + system) the slapd process has used so far."""
    assert server._process is not None
    fields = Path(f"/proc/{server._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_page(store, raw: ldap3.Connection, server: Slapd, base: str, attrs, rounds: int) -> None:
    """Time a first page of 50 of every account, with the CPU time slapd spent on it.

    The facade (id windows on entryUUID; no sort control although the directory offers it)
    against raw ldap3 asking the same page with the Server Side Sort control on entryUUID (the
    server sorts every entry to answer) and raw ldap3 reading 50 entries unsorted (the floor).
    """
    sort = [sort_by("entryUUID")]

    def facade() -> None:
        assert len(store.search_accounts(count=50).items) == 50

    def sorted_raw() -> None:
        raw.search(
            base, "(objectClass=inetOrgPerson)", attributes=attrs, paged_size=50, controls=sort
        )
        assert len(raw.response) == 50

    def unsorted_raw() -> None:
        raw.search(base, "(objectClass=inetOrgPerson)", attributes=attrs, paged_size=50)
        assert len(raw.response) == 50

    sides = [
        ("facade (id windows)", facade),
        ("raw ldap3, sort control", sorted_raw),
        ("raw ldap3, unsorted", unsorted_raw),
    ]
    wall: dict[str, list[float]] = {name: [] for name, _ in sides}
    cpu: dict[str, list[float]] = {name: [] for name, _ in sides}
    for r in range(rounds):
        for name, fn in sides if r % 2 == 0 else sides[::-1]:
            c0, t0 = slapd_cpu(server), time.perf_counter()
            fn()
            wall[name].append((time.perf_counter() - t0) * 1e3)
            cpu[name].append((slapd_cpu(server) - c0) * 1e3)
    print(f"first page of 50 of every account ({rounds} interleaved rounds; median, range):")
    for name, _ in sides:
        print(
            f"  {name:<26} {statistics.median(wall[name]):6.1f} ms wall"
            f" ({min(wall[name]):.1f}-{max(wall[name]):.1f}),"
            f" slapd CPU {statistics.median(cpu[name]):5.0f} ms"
            f" ({min(cpu[name]):.0f}-{max(cpu[name]):.0f}, clock ticks of 10 ms)"
        )


def timed(fn, repeat: int) -> float:
    start = time.perf_counter()
    for i in range(repeat):
        fn(i)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--disable", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--page", type=int, default=1000, help="page size of the cursor walks")
    parser.add_argument("--plain-only", action="store_true", help="only the plain directory")
    args = parser.parse_args()
    if args.plain_only:
        plain_paging(args)
        return
    server = Slapd()
    try:
        ldif = server.directory / "bench.ldif"
        write_ldif(ldif, server.suffix, args.entries)
        started = time.perf_counter()
        server.load_ldif(ldif)
        print(f"loaded {args.entries} entries with slapadd in {time.perf_counter() - started:.1f}s")
        server.start()
        os.environ["BENCH_LDAP_PW"] = server.password
        state = tempfile.mkdtemp()
        hub = idconnect.connect(
            {
                "hub": {"state": f"sqlite:///{state}/state.db"},
                "stores": {
                    "dir": {
                        "plugin": "ldap",
                        "url": server.url,
                        "bind_dn": server.root_dn,
                        "bind_password_env": "BENCH_LDAP_PW",
                        "users_base": f"ou=people,{server.suffix}",
                        "groups_base": f"ou=groups,{server.suffix}",
                        "pool_size": args.pool,
                    }
                },
            }
        )
        store = hub.store("dir")
        raw_server = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
        raw = ldap3.Connection(raw_server, server.root_dn, server.password, auto_bind=True)
        backend = store.backend
        attrs = backend.view.account_attributes  # the same attributes the facade reads
        rng = random.Random(7)
        picks = [rng.randrange(args.entries) for _ in range(args.lookups)]
        base = f"ou=people,{server.suffix}"

        for label, attr, fmt in (
            ("uid", "userName", "user{:06d}"),
            ("mail", "emails.value", "user{:06d}@example.org"),
        ):
            ldap_attr = {"userName": "uid", "emails.value": "mail"}[attr]

            def facade(i: int, attr: str = attr, fmt: str = fmt) -> None:
                page = store.search_accounts(f'{attr} eq "{fmt.format(picks[i])}"', count=10)
                assert len(page.items) == 1

            def direct(i: int, ldap_attr: str = ldap_attr, fmt: str = fmt) -> None:
                value = ldap3.utils.conv.escape_filter_chars(fmt.format(picks[i]))
                raw.search(
                    base,
                    f"(&(objectClass=inetOrgPerson)({ldap_attr}={value}))",
                    attributes=attrs,
                )
                assert len(raw.response) == 1

            facade(0), direct(0)
            # interleaved rounds, alternating which side goes first, so that load from other
            # processes falls on both sides alike; the spread of the per-round ratios is printed
            t_raw = t_facade = 0.0
            ratios: list[float] = []
            per_round = max(1, args.lookups // args.rounds)
            for r in range(args.rounds):
                chunk = range(r * per_round, (r + 1) * per_round)
                pair = [(direct, "raw"), (facade, "facade")]
                took = {}
                for fn, side in pair if r % 2 == 0 else reversed(pair):
                    took[side] = timed(lambda i, fn=fn, c=chunk: fn(c[i]), per_round)
                t_raw += took["raw"]
                t_facade += took["facade"]
                ratios.append(took["facade"] / took["raw"])
            done = per_round * args.rounds
            print(
                f"exact search by {label}: facade {t_facade / done * 1e3:.3f} ms,"
                f" raw ldap3 {t_raw / done * 1e3:.3f} ms,"
                f" ratio {t_facade / t_raw:.2f}x ({done} lookups each in {args.rounds}"
                f" interleaved rounds; per-round ratios {min(ratios):.2f}x-{max(ratios):.2f}x)"
            )

        first_page(store, raw, server, base, attrs, args.rounds)

        before = rss_mb()
        started = time.perf_counter()
        count = sum(1 for _ in store.iter_accounts(page_size=1000))
        took = time.perf_counter() - started
        print(
            f"listed {count} accounts page by page (1000/page) in {took:.1f}s;"
            f" peak RSS {rss_mb():.0f} MB (was {before:.0f} MB before listing)"
        )

        n = min(args.disable, args.entries // 2)
        ids: list[str] = []
        raw.search(base, "(objectClass=inetOrgPerson)", attributes=["entryUUID"], paged_size=1000)
        cookie = raw.result["controls"]["1.2.840.113556.1.4.319"]["value"]["cookie"]
        ids += [e["raw_attributes"]["entryUUID"][0].decode() for e in raw.response]
        while len(ids) < 2 * n and cookie:
            raw.search(
                base,
                "(objectClass=inetOrgPerson)",
                attributes=["entryUUID"],
                paged_size=1000,
                paged_cookie=cookie,
            )
            cookie = raw.result["controls"]["1.2.840.113556.1.4.319"]["value"]["cookie"]
            ids += [e["raw_attributes"]["entryUUID"][0].decode() for e in raw.response]
        mine, theirs = ids[:n], ids[n : 2 * n]

        started = time.perf_counter()
        for account_id in theirs:
            raw.search(base, f"(entryUUID={account_id})", attributes=["1.1"])
            dn = raw.response[0]["dn"]
            raw.modify(dn, {"pwdAccountLockedTime": [(ldap3.MODIFY_REPLACE, ["000001010000Z"])]})
            assert raw.result["result"] == 0
        t_raw = time.perf_counter() - started
        started = time.perf_counter()
        result = store.disable_accounts(mine, reason="benchmark")
        t_facade = time.perf_counter() - started
        print(
            f"disable {n} accounts: facade {t_facade:.1f}s ({len(result.succeeded)} ok,"
            f" {len(result.failed)} failed, pool {args.pool}), sequential raw ldap3 loop"
            f" {t_raw:.1f}s: facade is {t_raw / t_facade:.2f}x faster"
        )
        hub.close()
        raw.unbind()
    finally:
        server.close()
    plain_paging(args)


if __name__ == "__main__":
    main()
