"""Benchmark the HTTP service against the same facade call in-process, in the same run.

    python benchmarks/http_service.py --accounts 100000 --dialects sqlite,postgresql [--workers 2]

Per dialect: seeds N demo accounts (``idconnect_sql.demo.seed_demo``) into a new database,
starts ``idconnect serve --workers W`` as a real process on a free port (the hub's state in a
SQLite file the workers share for the SQLite store, in PostgreSQL for the PostgreSQL one),
issues an API token, and measures exact lookups
``GET /scim/v2/s/Users?filter=userName eq "..."``:

- concurrency 1: requests one after the other on one keep-alive connection, from
  ``http.client`` and from a raw socket client (:class:`RawClient`: the request written once,
  the answer read by its length), interleaved with the same ``store.search_accounts(...)`` in
  this process (rounds alternate which goes first); medians, p50/p99 and the
  HTTP-minus-facade difference at p50 for each client;
- concurrency 16: 16 keep-alive connections driven from one asyncio loop (a plain HTTP/1.1
  client, so the client takes little of the two cores it shares with the server's workers),
  for a fixed number of requests; requests/s and p50/p99;
- the same at concurrency 16 from wrk (Debian's ``wrk``, a C load generator), when installed:
  the client then takes least of the two cores, so the rate is the server's;
- paging through every user with ``cursor`` (count 1000): users/s and each worker's RSS
  sampled from ``/proc`` on every page (flat server memory).

Not part of CI.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
import sqlalchemy as sa
from idconnect_sql.demo import seed_demo

import idconnect
from idconnect.core.api_tokens import issue_token

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONCURRENCY = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"p50 {statistics.median(ms):.3f} ms, p99 {q[98]:.3f} ms"


def new_database(admin: sa.Engine, url: sa.URL, created: list[str]) -> str:
    name = f"idc_httpbench_{secrets.token_hex(4)}"
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    created.append(name)
    return url.set(database=name).render_as_string(hide_password=False)


def server_rss(pid: int) -> float:
    """RSS (MiB) of the server process and its worker processes (its children)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(entry) != pid and int(stat[1]) != pid:
                continue
            pages = int(Path(f"/proc/{entry}/statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        total += pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return total


def run(dialect: str, n: int, workers: int, lookups: int, burst: int) -> None:
    print(f"\n=== {dialect}: {n:,} accounts, {workers} workers ===")
    admin_url = sa.make_url(os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or PG_DEFAULT)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if dialect == "sqlite":
            url = f"sqlite:///{folder / 'bench.db'}"
        else:
            url = new_database(admin, admin_url, created)
            import idconnect_sql

            idconnect_sql.init_store(url)
        # The embedded deployment keeps its state in a SQLite file, which the workers of one
        # machine share (WAL); the PostgreSQL one keeps it in PostgreSQL.
        if dialect == "sqlite":
            state = f"sqlite:///{folder / 'state.db'}"
        else:
            state = new_database(admin, admin_url, created)
        print(f"hub state: {sa.make_url(state).get_backend_name()}")
        config = folder / "idconnect.toml"
        config.write_text(
            f'[hub]\nstate = "{state}"\n\n[stores.s]\nplugin = "sql"\nurl = "{url}"\n'
        )
        os.environ["IDCONNECT_CONFIG"] = str(config)
        server = None
        try:
            with idconnect.connect(str(config)) as hub:
                store = hub.store("s")
                start = time.perf_counter()
                seed_demo(store, count=n, seed=1)
                print(f"seeded in {time.perf_counter() - start:.1f} s")
                token, _ = issue_token(hub, admin=hub.actor, reason="benchmark")
                with store.backend.engine.connect() as c:  # type: ignore[attr-defined]
                    names = (
                        c.execute(
                            sa.select(store.backend.tables.accounts.c.user_name)  # type: ignore[attr-defined]
                        )
                        .scalars()
                        .all()
                    )
                sample = random.Random(5).sample(names, lookups)
                port = free_port()
                server = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "idconnect.cli",
                        "serve",
                        "--port",
                        str(port),
                        "--workers",
                        str(workers),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "IDCONNECT_CONFIG": str(config)},
                )
                base = f"http://127.0.0.1:{port}"
                for _ in range(300):
                    try:
                        if requests.get(f"{base}/healthz", timeout=1).ok:
                            break
                    except requests.ConnectionError:
                        time.sleep(0.1)
                headers = {"Authorization": f"Bearer {token}"}
                measure(store, base, headers, sample, burst)
                page_all(base, headers, server.pid, n)
        finally:
            if server is not None:
                server.terminate()
                server.wait(30)
            for name in created:
                with admin.connect() as c:
                    c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def lookup_target(name: str) -> str:
    return "/scim/v2/s/Users?" + urlencode({"filter": f'userName eq "{name}"'})


class RawClient:
    """A minimal blocking HTTP/1.1 client on one keep-alive socket (what wrk does, in Python).

    It sends a request written once per target and reads the answer by its Content-Length,
    so it costs the measurement less than ``http.client``, whose header parsing alone takes
    about 0.1 ms a request here.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = f"Host: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.buffer = b""

    def get(self, target: str) -> tuple[bytes, bytes]:
        """Send ``GET target``; return the status line and headers, and the body."""
        self.sock.sendall(f"GET {target} HTTP/1.1\r\n{self.head}\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.buffer = rest[length:]
        return head, rest[:length]

    def close(self) -> None:
        self.sock.close()


def measure(store: Any, base: str, headers: dict[str, str], sample: list[str], burst: int) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    raw = RawClient(host, int(port), headers)

    def http_lookup(name: str) -> None:
        connection.request("GET", lookup_target(name), headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        assert answer.status == 200 and b'"totalResults":1,' in body, body

    def raw_lookup(name: str) -> None:
        head, body = raw.get(lookup_target(name))
        assert head.startswith(b"HTTP/1.1 200") and b'"totalResults":1,' in body, body

    def facade(name: str) -> None:
        assert len(store.search_accounts(f'userName eq "{name}"').items) == 1

    for name in sample[:20]:  # warm every side
        http_lookup(name)
        raw_lookup(name)
        facade(name)
    times: dict[str, list[float]] = {"http": [], "raw": [], "facade": []}
    sides = [("http", http_lookup), ("raw", raw_lookup), ("facade", facade)]
    for n, name in enumerate(sample):
        for side, fn in sides if n % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            fn(name)
            times[side].append((time.perf_counter() - start) * 1000)
    connection.close()
    raw.close()
    h, r, f = (statistics.median(times[side]) for side in ("http", "raw", "facade"))
    print(f"exact lookup, concurrency 1, {len(sample)} interleaved calls per side:")
    print(f"  HTTP GET /Users?filter  {percentiles(times['http'])}, {1000 / h:,.0f} req/s")
    print(f"    (raw socket client)   {percentiles(times['raw'])}, {1000 / r:,.0f} req/s")
    print(f"  facade in-process       {percentiles(times['facade'])}")
    print(f"  HTTP adds {h - f:.3f} ms at p50 (ratio {h / f:.2f}x) with http.client;")
    print(f"    {r - f:.3f} ms (ratio {r / f:.2f}x) with the raw socket client")
    latencies, took = asyncio.run(concurrent_lookups(host, int(port), headers, sample, burst))
    print(
        f"exact lookup, concurrency {CONCURRENCY} (Python asyncio client): {len(latencies):,}"
        f" requests in {took:.1f} s = {len(latencies) / took:,.0f} req/s; {percentiles(latencies)}"
    )
    if shutil.which("wrk"):
        figures = wrk_lookups(base, headers, sample)
        print(f"exact lookup, concurrency {CONCURRENCY} (wrk, 2 threads): {figures}")
    else:
        print("wrk is not installed (apt-get install -y wrk): no load from a C client")


def wrk_lookups(base: str, headers: dict[str, str], sample: list[str], seconds: int = 10) -> str:
    """Drive the same lookups with wrk (a C load generator): the client takes least CPU.

    :returns: wrk's rate and latency percentiles, with any non-200 answers counted.
    """
    paths = ",\n".join(json.dumps(lookup_target(name)) for name in sample)
    auth = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    script = f"""local paths = {{
{paths}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {{{auth}}})
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        run = subprocess.run(
            ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency", "-s", lua.name, base],
            capture_output=True,
            text=True,
            check=True,
        )
    out = run.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert rate and p50 and p99, out
    return (
        f"{float(rate.group(1)):,.0f} req/s; p50 {p50.group(1)}, p99 {p99.group(1)};"
        f" non-200 answers: {bad.group(1) if bad else 0}"
    )


async def concurrent_lookups(
    host: str, port: int, headers: dict[str, str], sample: list[str], burst: int
) -> tuple[list[float], float]:
    """Send ``burst`` lookups over CONCURRENCY keep-alive connections from one event loop.

    A plain HTTP/1.1 client on asyncio streams: it costs the shared cores far less than 16
    threads of ``requests`` would, so the rate measures the server rather than the client.
    """
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    latencies: list[float] = []

    async def client(names: list[str]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for name in names:
            start = time.perf_counter()
            writer.write(
                f"GET {lookup_target(name)} HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode()
            )
            status_and_headers = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in status_and_headers.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            assert status_and_headers.startswith(b"HTTP/1.1 200") and b'"totalResults":1,' in body
            latencies.append((time.perf_counter() - start) * 1000)
        writer.close()

    chunks = [
        [sample[(i * CONCURRENCY + j) % len(sample)] for i in range(burst // CONCURRENCY)]
        for j in range(CONCURRENCY)
    ]
    start = time.perf_counter()
    await asyncio.gather(*(client(chunk) for chunk in chunks))
    return latencies, time.perf_counter() - start


def page_all(base: str, headers: dict[str, str], pid: int, n: int) -> None:
    session = requests.Session()
    session.headers.update(headers)
    cursor, seen, rss = "", 0, []
    start = time.perf_counter()
    while True:
        params = {"count": "1000", "cursor": cursor}
        page = session.get(f"{base}/scim/v2/s/Users", params=params, timeout=60).json()
        seen += len(page.get("Resources", []))
        rss.append(server_rss(pid))
        cursor = page.get("nextCursor") or ""
        if not cursor:
            break
    took = time.perf_counter() - start
    print(
        f"paged through {seen:,} users with cursor (1000 per page) in {took:.1f} s"
        f" ({seen / took:,.0f} users/s); server RSS (all its processes) first page"
        f" {rss[0]:.0f} MiB, last {rss[-1]:.0f} MiB, peak {max(rss):.0f} MiB"
    )
    assert seen == n, (seen, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lookups", type=int, default=500, help="interleaved lookups per side")
    parser.add_argument("--burst", type=int, default=4000, help="requests at concurrency 16")
    args = parser.parse_args()
    for dialect in args.dialects.split(","):
        run(dialect, args.accounts, args.workers, args.lookups, args.burst)


if __name__ == "__main__":
    main()
