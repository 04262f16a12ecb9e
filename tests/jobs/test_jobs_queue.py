"""Jobs on the task queue (procrastinate on the PostgreSQL state database): two worker
processes (``idconnect jobs worker``) share one job in chunks; one is killed (SIGKILL) mid-job
and the job still completes with every account done exactly once.
"""

from __future__ import annotations

import collections
import importlib.util
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import idconnect
from idconnect.core.errors import InvalidInput
from idconnect.core.jobs import ACTED
from idconnect.testing.databases import fresh_database
from idconnect.testing.servers import require_server
from tests.jobs.job_env import seed


@pytest.fixture(autouse=True)
def _procrastinate_installed() -> None:
    if importlib.util.find_spec("procrastinate") is None:
        require_server("procrastinate is not installed", "pip install -e '.[jobs]'")


def _worker(config: Path) -> subprocess.Popen[bytes]:
    idconnect_cli = [sys.executable, "-m", "idconnect.cli"]
    return subprocess.Popen(
        [*idconnect_cli, "--config", str(config), "jobs", "worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait(until: object, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.parametrize("seed_value", [1])
def test_two_workers_share_a_job_and_one_killed_mid_job_loses_nothing(
    tmp_path: Path, seed_value: int
) -> None:
    rng = random.Random(seed_value)
    with fresh_database("postgresql", "idc_test_queue") as url:
        config = tmp_path / "idconnect.toml"
        config.write_text(
            f'[hub]\nstate = "{url}"\n\n[stores.main]\nplugin = "sql"\nurl = "{url}"\n'
        )
        with idconnect.connect(config) as hub:
            store = hub.store("main")
            store.provision()
            ids = seed(store, 3000)
            job = store.start_job(
                "disable", ids=ids, reason="queue test", runner="queue", chunk_size=50
            )
            assert job.runner == "queue" and job.total == 3000
            workers = [_worker(config), _worker(config)]
            try:
                threshold = rng.randint(300, 1500)
                _wait(lambda: store.job(job.id).done >= threshold, f"{threshold} accounts done")
                workers[0].send_signal(signal.SIGKILL)
                assert workers[0].wait(timeout=30) == -signal.SIGKILL
                _wait(lambda: store.job(job.id).finished, "the job to finish")
            finally:
                for w in workers:
                    if w.poll() is None:
                        w.send_signal(signal.SIGTERM)
                        w.wait(timeout=30)
            job = store.job(job.id)
            assert job.status == "done" and job.counts == {"ok": 3000}
            items = {i.account_id: i for _, i in store.job_items(job.id, count=10_000)}
            assert len(items) == 3000 and all(i.status == "done" for i in items.values())
            events = [
                e
                for e in hub.state.events("main", limit=100_000)
                if e.request_id == job.request_id and e.account_id is not None
            ]
            per_account = collections.Counter(e.account_id for e in events)
            assert max(per_account.values()) == 1
            assert set(per_account) == {a for a, i in items.items() if i.outcome in ACTED}
            assert not any(a.active for a in store.iter_accounts(page_size=1000))
            with hub.state.engine.connect() as conn:
                owners = conn.execute(
                    sa.text("SELECT owner FROM idconnect_job_chunks WHERE job_id = :j"),
                    {"j": job.id},
                ).scalars()
                pids = {owner.split(":")[1] for owner in owners}
            assert {str(w.pid) for w in workers} <= pids


def test_the_queue_needs_a_postgresql_state_database(tmp_path: Path) -> None:
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'store.db'}"}},
    }
    with idconnect.connect(config) as hub:
        store = hub.store("main")
        store.provision()
        ids = seed(store, 1)
        with pytest.raises(InvalidInput, match="state database on PostgreSQL"):
            store.start_job("disable", ids=ids, reason="r", runner="queue")
        assert store.jobs() == []
