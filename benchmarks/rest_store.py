"""Benchmark the rest store against a local scim2-server run as a separate process.

Prints facade/raw ratios measured in the same run:

- get and search through the facade vs the same raw ``requests`` call (target <= 1.2x);
- creating N accounts through the store's bulk path (/Bulk) vs a sequential raw POST loop
  (target: bulk >= 2x faster);
- walking every account (2N + 200) in pages of 200 through the facade (which checks each
  answer: deadline, size cap, page and cursor guards) vs the same keyset requests sent and
  parsed with ``requests`` (target <= 1.2x).

With ``--hostile``, instead: against the hostile test server
(``idconnect_rest.testing.hostile``), each big-body case in a fresh process with its peak
memory (target < 200 MiB) and each slow case with its time to the store's error against the
configured deadline (target: never past it).

Run: python benchmarks/rest_store.py [--accounts 1000] [--repeat 200] [--hostile]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

import requests

import idconnect
from idconnect import Account, Email, Name

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


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


def timed(fn, repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def compare(facade, raw, repeat: int, rounds: int = 5) -> tuple[float, float]:
    """Alternate facade and raw rounds (the server drifts) and keep each side's best round."""
    f, r = [], []
    for _ in range(rounds):
        f.append(timed(facade, repeat // rounds))
        r.append(timed(raw, repeat // rounds))
    return min(f), min(r)


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
        print(f"scim2-server subprocess at {base}; repeat={args.repeat}")
        print(f"{'operation':<28}{'facade ms':>12}{'raw ms':>12}{'facade/raw':>12}")
        for name, facade, direct in rows:
            print(f"{name:<28}{facade * 1e3:>12.3f}{direct * 1e3:>12.3f}{facade / direct:>12.2f}")

        batch = [account(n, "bulk") for n in range(args.accounts)]
        start = time.perf_counter()
        result = store.create_accounts(batch, reason="benchmark")
        bulk_s = time.perf_counter() - start
        assert result.ok, result.failed[:3]

        docs = [
            {
                "schemas": [USER],
                "userName": f"loop{n:05d}",
                "active": True,
                "name": {"givenName": "Bench", "familyName": str(n)},
                "emails": [{"value": f"loop{n}@example.org", "type": "work", "primary": True}],
            }
            for n in range(args.accounts)
        ]
        start = time.perf_counter()
        for doc in docs:
            raw.post(
                f"{base}/Users",
                json=doc,
                timeout=30,
                headers={"Content-Type": "application/scim+json"},
            ).raise_for_status()
        loop_s = time.perf_counter() - start
        print(
            f"create {args.accounts} accounts: bulk path {bulk_s:.2f}s, sequential raw loop"
            f" {loop_s:.2f}s, speed-up {loop_s / bulk_s:.2f}x"
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
            f"walk {walked} accounts in pages of 200: facade {facade_walk * 1e3:.1f} ms,"
            f" raw {raw_walk_s * 1e3:.1f} ms, facade/raw {facade_walk / raw_walk_s:.2f}"
        )
        hub.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
