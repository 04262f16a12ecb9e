"""Benchmark the console's account listing: 50 rows of a large store, server time.

    python benchmarks/console.py [--accounts 100000] [--rounds 200]

Seeds N demo accounts (``idconnect_sql.demo.seed_demo``) into a new SQLite sql store, serves
``create_app(hub)`` with uvicorn in this process, logs an admin in through the login form and
requests listing pages of 50 rows over one keep-alive connection: the first page, a page reached
by cursor, an identifier filter (``emails.value`` starts with), a date range (``meta.created``)
and an advanced SCIM filter. Server time is measured by an ASGI wrapper around the whole
application (from the request's arrival to the response's last byte: session check, facade
search, template); the client's round trip is printed next to it. The issue's target: p50 under
150 ms. Not part of CI.
"""

from __future__ import annotations

import argparse
import getpass
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from idconnect_sql.demo import seed_demo
from starlette.types import ASGIApp, Receive, Scope, Send

import idconnect
from idconnect.core.admin_login import set_admin_password
from idconnect.http.app import create_app
from idconnect.http.server import serving

PASSWORD = "benchmark-password-1"


class ServerTime:
    """Record each HTTP request's server time, in milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.times.append((time.perf_counter() - start) * 1000)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="idconnect-console-bench-"))
    config: dict[str, Any] = {
        "hub": {"state": f"sqlite:///{tmp / 'state.db'}"},
        "stores": {"s": {"plugin": "sql", "url": f"sqlite:///{tmp / 's.db'}"}},
        "admins": {
            "roles": {"support": {"permissions": ["*"]}},
            "members": {getpass.getuser(): ["owner"], "alice": ["support"]},
        },
    }
    with idconnect.connect(config) as hub:
        started = time.perf_counter()
        seed_demo(hub.store("s"), count=args.accounts, seed=1)
        print(f"seeded {args.accounts} accounts in {time.perf_counter() - started:.1f} s")
        set_admin_password(hub, "alice", PASSWORD, by=getpass.getuser(), reason="benchmark")
        app = ServerTime(create_app(hub))
        with serving(app) as url:
            http = requests.Session()
            page = http.get(f"{url}/console/login", timeout=30)
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            login = {"csrf_token": token, "name": "alice", "password": PASSWORD}
            assert http.post(f"{url}/console/login", data=login, timeout=30).ok
            listing = f"{url}/console/stores/s/accounts"
            first = http.get(listing, timeout=30).text
            cursor_url = first.split('id="next-page"', 1)[0].rsplit('href="', 1)[1].split('"')[0]
            cursor_url = url + cursor_url.replace("&amp;", "&")
            cases = {
                "first page": listing,
                "page 2 by cursor": cursor_url,
                "email starts with": f"{listing}?pin=emails.value&op.emails.value=sw"
                "&v.emails.value=a",
                "created in 2025": f"{listing}?pin=meta.created&from.meta.created=2025-01-01"
                "&to.meta.created=2025-12-31",
                "advanced filter": f"{listing}?filter=active+eq+false",
            }
            print(f"{'case':<20} {'server p50':>11} {'p99':>8} {'round trip p50':>15}  rows")
            for name, target in cases.items():
                app.times.clear()
                trips: list[float] = []
                rows = 0
                for _ in range(args.rounds):
                    t = time.perf_counter()
                    answer = http.get(target, timeout=30)
                    trips.append((time.perf_counter() - t) * 1000)
                    assert answer.status_code == 200, answer.text[:500]
                    rows = answer.text.count('class="row-select"')
                server = app.times[-args.rounds :]
                print(
                    f"{name:<20} {statistics.median(server):>8.1f} ms {_pct(server, 0.99):>5.1f} ms"
                    f" {statistics.median(trips):>12.1f} ms  {rows}"
                )


if __name__ == "__main__":
    main()
