"""Benchmark durable jobs on PostgreSQL: disable N accounts as a job with 1 and 2 queue workers.

    python benchmarks/jobs.py --accounts 1000000
    python benchmarks/jobs.py --accounts 10000 --chunk-size 500

One fresh PostgreSQL database holds the sql store and the hub's state (the jobs, the audit
trail and procrastinate's queue). After seeding N demo accounts (the store's native seeder) and
enabling them all, the same run measures, re-enabling every account between them:

- ``plain``: the facade's bulk call, ``store.disable_accounts(ids)`` (set-based hook per batch,
  one audit event per account);
- ``job xW``: ``store.start_job("disable", ids=ids, runner="queue")`` with W worker processes
  (``idconnect jobs worker``) already running and registered with the queue, as in a
  deployment: from the call until the job is done, split into the snapshot (``start_job``
  storing the selection) and the run. The job's status is looked at every 50 ms (its status
  alone: counting outcomes each time would load the database the workers write to). Each
  worker's peak RSS is its ``VmHWM`` read from ``/proc`` just before it is stopped.

It prints accounts/s of each, and each job's rate as a ratio to the plain call's. Needs
``idconnect[jobs]`` and the sql plugin. Not part of CI.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

import idconnect

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _enable_all(store: idconnect.Store, ids: list[str]) -> None:
    result = store.enable_accounts(ids, reason="benchmark reset")
    assert result.ok, "re-enabling failed"


def _await_workers(engine: sa.Engine, count: int, procs: list[subprocess.Popen[bytes]]) -> None:
    """Wait until ``count`` workers are registered with the queue (its tables made by them)."""
    made = sa.text("SELECT to_regclass('procrastinate_workers') IS NOT NULL")
    registered = sa.text("SELECT count(*) FROM procrastinate_workers")
    deadline = time.monotonic() + 120
    while True:
        with engine.connect() as c:
            if c.execute(made).scalar_one() and c.execute(registered).scalar_one() >= count:
                return
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            raise SystemExit("the queue workers did not start")
        time.sleep(0.1)


def _job(
    store: idconnect.Store,
    engine: sa.Engine,
    config: Path,
    ids: list[str],
    workers: int,
    chunk_size: int | None,
) -> tuple[float, float, list[float]]:
    """Run one job on ``workers`` worker processes: (snapshot s, run s, peak RSS MiB each)."""
    command = [sys.executable, "-m", "idconnect.cli", "--config", str(config), "jobs", "worker"]
    procs = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for _ in range(workers)]
    try:
        _await_workers(engine, workers, procs)
        started = time.perf_counter()
        sized = {} if chunk_size is None else {"chunk_size": chunk_size}
        job = store.start_job("disable", ids=ids, reason="benchmark", runner="queue", **sized)
        queued = time.perf_counter()
        while store._jobs.status(job.id) not in ("done", "cancelled"):
            time.sleep(0.05)
        done = time.perf_counter()
        peaks = [_peak_rss_mib(p.pid) for p in procs]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
    final = store.job(job.id)
    assert final.counts == {"ok": len(ids)}, final.counts
    return queued - started, done - queued, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, help="accounts per chunk (the store's default)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    args = parser.parse_args()

    admin_url = sa.make_url(os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or PG_DEFAULT)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"idc_bench_jobs_{secrets.token_hex(4)}"
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "idconnect.toml"
            config.write_text(
                f'[hub]\nstate = "{url}"\n\n[stores.s]\nplugin = "sql"\nurl = "{url}"\n'
            )
            with idconnect.connect(config) as hub:
                store = hub.store("s")
                store.provision()
                t0 = time.perf_counter()
                store.seed_demo(args.accounts, 1)
                ids = [str(a.id) for a in store.iter_accounts(page_size=1000)]
                print(f"seeded {len(ids):,} accounts in {time.perf_counter() - t0:.1f}s")
                _enable_all(store, ids)

                t0 = time.perf_counter()
                plain = store.disable_accounts(ids, reason="benchmark")
                plain_s = time.perf_counter() - t0
                assert plain.ok
                plain_rate = len(ids) / plain_s
                print(f"plain bulk disable: {plain_s:.1f}s, {plain_rate:,.0f} accounts/s")

                for workers in (int(w) for w in args.workers.split(",")):
                    _enable_all(store, ids)
                    snapshot, run, peaks = _job(
                        store, engine, config, ids, workers, args.chunk_size
                    )
                    total = snapshot + run
                    rate = len(ids) / total
                    print(
                        f"job x{workers} worker(s): {total:.1f}s (snapshot {snapshot:.1f}s,"
                        f" run {run:.1f}s), {rate:,.0f} accounts/s"
                        f" ({len(ids) / run:,.0f}/s after the snapshot),"
                        f" ratio to plain {rate / plain_rate:.2f};"
                        f" peak RSS per worker {', '.join(f'{p:.0f} MiB' for p in peaks)}"
                    )
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
