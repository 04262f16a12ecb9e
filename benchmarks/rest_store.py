"""Benchmark the rest store against a local scim2-server run as a separate process.

Prints facade/raw ratios measured in the same run:

- get and search through the facade vs the same raw ``requests`` call (target <= 1.2x);
- creating N accounts through the store's bulk path vs the same raw ``/Bulk`` requests, batched
  by the server's ``maxOperations`` as the store batches them;
- walking every account in pages of 200 through the facade (which checks each answer:
  deadline, size cap, page and cursor guards) vs the same keyset requests sent and parsed with
  ``requests`` (target <= 1.2x).

Calls interleave facade and raw one by one (alternating which goes first; the server drifts);
every line prints each side's median with its spread (10th-90th percentile, or the range for
fewer than ten samples) and the ratio of the medians.

With ``--hostile``, instead: against the hostile test server
(``idconnect_rest.testing.hostile``), each big-body case in a fresh process with its peak
memory (target < 200 MiB) and each slow case with its time to the store's error against the
configured deadline (target: never past it).

Run: python benchmarks/rest_store.py [--accounts 1000] [--repeat 200] [--bulk-rounds 5]
[--hostile]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time

import requests

import idconnect
from idconnect import Account, Email, Name

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scim2_server.testserver.cli", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/v2/ServiceProviderConfig", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("scim2-server did not start")


def compare(facade, raw, repeat: int) -> tuple[list[float], list[float]]:
    """Time facade and raw calls interleaved one by one, alternating which goes first.

    :returns: each side's per-call seconds (after one warm-up call each).
    """
    facade()
    raw()
    f: list[float] = []
    r: list[float] = []
    for n in range(repeat):
        sides = [(facade, f), (raw, r)]
        for fn, times in sides if n % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return f, r


def spread(seconds: list[float], scale: float = 1e3) -> str:
    """Median and spread (10th-90th percentile, the range under ten samples) of timings."""
    values = sorted(x * scale for x in seconds)
    if len(values) >= 10:
        deciles = statistics.quantiles(values, n=10)
        low, high, what = deciles[0], deciles[-1], "p10-p90"
    else:
        low, high, what = values[0], values[-1], "range"
    return f"{statistics.median(values):.3f} ({what} {low:.3f}-{high:.3f})"


def ratio(facade: list[float], raw: list[float]) -> float:
    """The ratio of the medians."""
    return statistics.median(facade) / statistics.median(raw)


def account(n: int, prefix: str) -> Account:
    return Account(
        user_name=f"{prefix}{n:05d}",
        name=Name(given_name="Bench", family_name=str(n)),
        emails=(Email(value=f"{prefix}{n}@example.org", type="work", primary=True),),
    )


def hostile() -> None:
    """Print peak memory of the big-body cases and time-to-error of the slow ones."""
    from idconnect_rest.testing.hostile import HostileServer, search_in_subprocess

    server = HostileServer()
    try:
        baseline = search_in_subprocess([server.url("ok")])["peak_kib"]
        print(
            f"{'case':<16}{'peak MiB':>10}  outcome (baseline, a search that succeeds:"
            f" {baseline / 1024:.1f} MiB)"
        )
        for case in ("big", "big-chunked", "gzip-bomb", "endless", "huge-page"):
            got = search_in_subprocess([server.url(case)])
            outcome = got[server.url(case)]
            said = outcome.partition(" sent ")[2] or outcome
            print(f"{case:<16}{got['peak_kib'] / 1024:>10.1f}  {said[:70]}")
        deadline = 2.0
        print(f"{'case':<16}{'seconds':>10}  (deadline {deadline:g} s per request)")
        for case in ("trickle-headers", "trickle-body", "loop-cursor", "lying-total"):
            hub = idconnect.connect(
                {
                    "hub": {"state": "sqlite://"},
                    "stores": {
                        "scim": {
                            "plugin": "rest",
                            "url": server.url(case),
                            "deadline": deadline,
                            "read_timeout": 1.0,
                        }
                    },
                }
            )
            store = hub.store("scim")
            store.refresh()
            start = time.perf_counter()
            said = "no error"
            try:
                sum(1 for _ in store.iter_accounts(page_size=50))
            except idconnect.IdconnectError as exc:
                said = f"{type(exc).__name__}: {exc.message.rpartition('/Users ')[2]}"
            print(f"{case:<16}{time.perf_counter() - start:>10.2f}  {said[:70]}")
            hub.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--bulk-rounds", type=int, default=5, help="interleaved bulk rounds")
    parser.add_argument("--hostile", action="store_true")
    args = parser.parse_args()
    if args.hostile:
        hostile()
        return
    port = free_port()
    proc = start_server(port)
    base = f"http://127.0.0.1:{port}/v2"
    try:
        hub = idconnect.connect(
            {"hub": {"state": "sqlite://"}, "stores": {"scim": {"plugin": "rest", "url": base}}}
        )
        store = hub.store("scim")
        raw = requests.Session()
        raw.headers["Accept"] = "application/scim+json"
        seed = [store.create_account(account(n, "seed")) for n in range(200)]
        target = seed[100]
        flt = 'userName sw "seed001"'

        def raw_get() -> None:
            r = raw.get(f"{base}/Users/{target.id}", timeout=30)
            r.raise_for_status()
            r.json()

        def raw_search() -> None:
            r = raw.get(
                f"{base}/Users",
                params={"filter": flt, "count": 50, "startIndex": 1, "sortBy": "id"},
                timeout=30,
            )
            r.raise_for_status()
            r.json()

        rows = [
            ("get_account", *compare(lambda: store.get_account(target.id), raw_get, args.repeat)),
            (
                "search_accounts",
                *compare(lambda: store.search_accounts(flt, count=50), raw_search, args.repeat),
            ),
        ]
        print(f"scim2-server subprocess at {base}; {args.repeat} interleaved calls per side")
        print(f"{'operation':<18}{'facade ms (spread)':>32}{'raw ms (spread)':>32}{'ratio':>8}")
        for name, facade, direct in rows:
            line = f"{name:<18}{spread(facade):>32}{spread(direct):>32}"
            print(f"{line}{ratio(facade, direct):>8.2f}")

        config = raw.get(f"{base}/ServiceProviderConfig", timeout=30).json()
        max_ops = int(config.get("bulk", {}).get("maxOperations") or 100)

        def raw_bulk(prefix: str) -> None:
            """The same creations as raw /Bulk requests, batched like the store batches them."""
            docs = [
                {
                    "schemas": [USER],
                    "userName": f"{prefix}{n:05d}",
                    "name": {"givenName": "Bench", "familyName": str(n)},
                    "emails": [
                        {"value": f"{prefix}{n}@example.org", "type": "work", "primary": True}
                    ],
                }
                for n in range(args.accounts)
            ]
            for start in range(0, len(docs), max_ops):
                operations = [
                    {"method": "POST", "path": "/Users", "bulkId": f"op{start + n}", "data": doc}
                    for n, doc in enumerate(docs[start : start + max_ops])
                ]
                r = raw.post(
                    f"{base}/Bulk",
                    json={"schemas": [BULK], "Operations": operations},
                    timeout=60,
                    headers={"Content-Type": "application/scim+json"},
                )
                r.raise_for_status()
                answers = r.json()["Operations"]
                assert all(str(a["status"]).startswith("2") for a in answers), answers[:3]

        def facade_bulk(prefix: str) -> None:
            batch = [account(n, prefix) for n in range(args.accounts)]
            result = store.create_accounts(batch, reason="benchmark")
            assert result.ok, result.failed[:3]

        bulk: dict[str, list[float]] = {"facade": [], "raw": []}
        for n in range(args.bulk_rounds):
            sides = [("facade", facade_bulk), ("raw", raw_bulk)]
            for name, fn in sides if n % 2 == 0 else sides[::-1]:
                start = time.perf_counter()
                fn(f"b{n}{name[0]}")
                bulk[name].append(time.perf_counter() - start)
        print(
            f"create {args.accounts} accounts through /Bulk (batches of {max_ops}),"
            f" {args.bulk_rounds} interleaved rounds, seconds median (spread):"
            f" facade bulk path {spread(bulk['facade'], 1)}, raw /Bulk {spread(bulk['raw'], 1)},"
            f" ratio {ratio(bulk['facade'], bulk['raw']):.2f}"
        )

        def raw_walk() -> None:
            """The requests the store sends on this server: keyset pages on ``id``."""
            params: dict[str, object] = {"sortBy": "id", "count": 200}
            while True:
                r = raw.get(f"{base}/Users", params=params, timeout=30)
                r.raise_for_status()
                doc = r.json()
                resources = doc["Resources"]
                if not resources or len(resources) >= doc["totalResults"]:
                    return
                params["filter"] = f'id gt "{resources[-1]["id"]}"'

        walked = sum(1 for _ in store.iter_accounts(page_size=200))
        facade_walk, raw_walk_s = compare(
            lambda: sum(1 for _ in store.iter_accounts(page_size=200)), raw_walk, 10
        )
        print(
            f"walk {walked} accounts in pages of 200, {len(facade_walk)} interleaved walks, ms"
            f" median (spread): facade {spread(facade_walk)}, raw {spread(raw_walk_s)},"
            f" ratio {ratio(facade_walk, raw_walk_s):.2f}"
        )
        hub.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
