"""A disable job on slapd killed (SIGKILL) at random points, then resumed: every account done
once. The same child as the sql crash tests (``tests/jobs/crash_child.py``): killed before the
directory's write, between it and its audit event, between the event and the outcome rows, or
at a random instant; the test's process resumes the job and checks that every account is done,
has at most one event of the job, that the events equal the accounts acted on, and that the
directory holds every account disabled."""

from __future__ import annotations

import collections
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from idconnect.core.jobs import ACTED

CHILD = Path(__file__).resolve().parents[3] / "tests" / "jobs" / "crash_child.py"
PHASES = ("before", "unaudited", "unrecorded", "instant")


@pytest.mark.parametrize("trial", range(4))
def test_a_job_killed_on_slapd_resumes_once_per_account(slapd_server, store_factory, trial) -> None:
    rng = random.Random(f"ldap-{trial}")
    store = store_factory(slapd_server, "openldap")
    docs = [{"userName": f"crash{trial}-{n:02d}"} for n in range(16)]
    created = store.create_accounts(docs, reason="seed")
    ids = [o.account_id for o in created.outcomes]
    store.disable_accounts(ids[:2], reason="before")
    job = store.start_job("disable", ids=ids, reason="crash", chunk_size=4, runner="none")
    config = {
        "hub": {"state": store.hub.state.url},
        "stores": {store.name: {"plugin": store.config.plugin, **store.config.settings}},
    }
    phase = PHASES[trial]
    child = subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            json.dumps(config),
            job.id,
            phase,
            str(rng.randint(1, 4)),
            store.name,
        ],
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
    assert job.status == "done" and job.done == 16
    items = {i.account_id: i for _, i in store.job_items(job.id)}
    events = [
        e
        for e in store.hub.state.events(store.name, limit=100_000)
        if e.request_id == job.request_id and e.account_id is not None
    ]
    per_account = collections.Counter(e.account_id for e in events)
    assert max(per_account.values()) == 1
    assert set(per_account) == {a for a, i in items.items() if i.outcome in ACTED}
    assert {a for a, i in items.items() if i.outcome == "unchanged"} == set(ids[:2])
    assert not any(store.get_account(a).active for a in ids)
