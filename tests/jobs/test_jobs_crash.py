"""Jobs killed (SIGKILL) at random points, then resumed: every account done exactly once.

20 trials (seeds), on a sql store over SQLite and over PostgreSQL, alternating a disable job and
an add-to-group job of 24 accounts (some already in the state the job leaves) in chunks of 4. A
child process runs the job and is killed at a random chunk: before the store's write, between
the store's write and its audit event, between the audit event and the job's outcome rows, or
at a random instant. The test's process then resumes the job (the dead runner's chunk is taken
over at once: its process is gone) and checks:

- 0 outcomes missing: every account is done;
- 0 accounts acted on twice: at most one audit event of the job per account;
- the audit trail equals the outcomes: the accounts with an event are exactly those acted on,
  each event's outcome is the account's;
- the store holds what the job leaves, for every account.
"""

from __future__ import annotations

import collections
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect.core.jobs import ACTED
from tests.jobs.job_env import job_config, seed

CHILD = Path(__file__).with_name("crash_child.py")
PHASES = ("before", "unaudited", "unrecorded", "instant")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("trial", range(10))
def test_a_job_killed_at_a_random_point_resumes_and_acts_on_each_account_once(
    backend: str, trial: int, tmp_path: Path
) -> None:
    rng = random.Random(f"{backend}-{trial}")
    phase = PHASES[trial % len(PHASES)]
    action = "disable" if trial % 2 == 0 else "add_to_group"
    with job_config(backend, tmp_path) as config, idconnect.connect(config) as hub:
        store = hub.store("main")
        store.provision()
        ids = seed(store, 24)
        arguments: dict[str, Any] = {}
        if action == "disable":
            store.disable_accounts(ids[:3], reason="before")
        else:
            group = store.create_group({"displayName": "crash"}, reason="setup")
            assert group.id is not None
            arguments["group_id"] = group.id
            store.add_to_group(group.id, ids[:3], reason="before")
        job = store.start_job(
            action, ids=ids, reason="crash test", chunk_size=4, runner="none", **arguments
        )
        child = subprocess.Popen(
            [sys.executable, str(CHILD), json.dumps(config), job.id, phase, str(rng.randint(1, 5))],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline() == "running\n"
        if phase == "instant":
            time.sleep(rng.uniform(0, 0.2))
            child.send_signal(signal.SIGKILL)
        code = child.wait(timeout=60)
        assert code == -signal.SIGKILL or (phase == "instant" and code == 0)
        store.run_job(job.id)

        job = store.job(job.id)
        assert job.status == "done" and job.done == job.total == 24
        items = {i.account_id: i for _, i in store.job_items(job.id)}
        assert all(i.status == "done" for i in items.values())
        events = [
            e
            for e in hub.state.events("main", limit=100_000)
            if e.request_id == job.request_id and e.account_id is not None
        ]
        per_account = collections.Counter(e.account_id for e in events)
        assert max(per_account.values()) == 1
        acted = {a for a, i in items.items() if i.outcome in ACTED}
        assert set(per_account) == acted
        assert all(items[e.account_id].outcome == "ok" and e.outcome == "success" for e in events)
        assert {a for a, i in items.items() if i.outcome == "unchanged"} == set(ids[:3])
        assert all(
            items[a].before is (a in ids[:3]) if action == "add_to_group" else True for a in ids
        )
        if action == "disable":
            assert not any(store.get_account(a).active for a in ids)
        else:
            assert set(store.get_group(arguments["group_id"]).members) == set(ids)
