"""The audit trail on PostgreSQL survives its connections being terminated (issue 10 §3).

The hub's state shares the store's database; a helper thread terminates the state engine's
backends (``pg_terminate_backend``, found by the ``idconnect-state`` application name) while a
bulk disable runs: every 3 ms (retries give up, events go to the local spool and are replayed)
and every 50 ms (retries on a fresh connection succeed). Every applied change must end with its
event: none missing, none twice, and every outcome equal to what the store holds.
``IDCONNECT_STRESS_TRIALS`` (default 1) and ``IDCONNECT_STRESS_ACCOUNTS`` (default 5,000) scale
it; ``tests/stress/audit_pg_terminate.py`` runs 10 trials.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import idconnect
from idconnect.core.instants import utc_now
from idconnect.core.state import StateDatabase, new_event_ids
from idconnect.testing.databases import fresh_database
from idconnect.testing.servers import require_server

PG_URL = os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TRIALS = int(os.environ.get("IDCONNECT_STRESS_TRIALS", "1"))
ACCOUNTS = int(os.environ.get("IDCONNECT_STRESS_ACCOUNTS", "5000"))


@pytest.fixture
def database() -> Iterator[tuple[sa.Engine, str]]:
    """A fresh PostgreSQL database; yields an AUTOCOMMIT engine on it and the database's URL."""
    with fresh_database("postgresql", "idc_test_audit") as url:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            yield engine, url
        finally:
            engine.dispose()


def _terminate_state_backends(admin: sa.Engine, url: str) -> int:
    with admin.connect() as c:
        return len(
            c.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :db AND application_name = 'idconnect-state'"
                ),
                {"db": sa.make_url(url).database},
            ).all()
        )


class Terminator(threading.Thread):
    """Terminates the state engine's backends every few milliseconds until stopped."""

    def __init__(self, admin: sa.Engine, url: str, pause: float) -> None:
        super().__init__(daemon=True)
        self.admin, self.url, self.pause = admin, url, pause
        self.stop = threading.Event()
        self.killed = 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.killed += _terminate_state_backends(self.admin, self.url)
            time.sleep(self.pause)


def test_a_terminated_state_connection_is_retried_on_a_fresh_one(
    database: tuple[sa.Engine, str], tmp_path: Path
) -> None:
    admin, url = database
    state = StateDatabase(url, spool=tmp_path / "spool.jsonl")
    try:
        at = utc_now()
        rows = [
            (i, at, "ann", "s", "disable_account", "success", "r", f"a{k}", "why", *(None,) * 4)
            for k, i in enumerate(new_event_ids(20))
        ]
        state.write(rows[:10])
        assert _terminate_state_backends(admin, url) == 1  # the pooled, idle connection
        state.write(rows[10:])
        assert state.pending() == 0  # retried, not spooled
        assert _terminate_state_backends(admin, url) == 1
        assert [e.id for e in state.events("s")] == [r[0] for r in rows]  # a read retries too
    finally:
        state.close()


def _trial(admin: sa.Engine, url: str, pause: float) -> dict[str, Any]:
    import idconnect_sql
    from idconnect_sql.demo import seed_demo

    idconnect_sql.init_store(url)
    config = {
        "hub": {"state": url},
        "stores": {"s": {"plugin": "sql", "url": url, "batch_size": 250}},
    }
    with idconnect.connect(config) as hub:
        store = hub.store("s")
        seed_demo(store, count=ACCOUNTS, seed=7)
        accounts = store.backend.tables.accounts
        with store.backend.engine.connect() as c:
            ids = list(c.execute(sa.select(accounts.c.id).order_by(accounts.c.id)).scalars())
        store.enable_accounts(ids, reason="known state")
        terminator = Terminator(admin, url, pause)
        terminator.start()
        try:
            result = store.disable_accounts(ids, reason="terminated mid-way")
        finally:
            terminator.stop.set()
            terminator.join()
        with store.backend.engine.connect() as c:
            active = dict(c.execute(sa.select(accounts.c.id, accounts.c.active)).all())
        spooled = hub.state.pending()  # written locally while the database refused them
        events = store.events(action="disable_account", limit=10 * ACCOUNTS)  # replays those
        mine = [e for e in events if e.reason == "terminated mid-way"]
        ok = {o.account_id for o in result.outcomes if o.ok}
        return {
            "accounts": len(ids),
            "terminated": terminator.killed,
            "ok": len(ok),
            "outcome_differs_from_state": sum(
                (o.ok and active[o.account_id]) or (not o.ok and not active[o.account_id])
                for o in result.outcomes
            ),
            "missing_events": len(set(ids) - {e.account_id for e in mine}),
            "duplicate_events": len(mine) - len({e.account_id for e in mine}),
            "event_outcome_differs": sum(
                (e.outcome == "success") != (e.account_id in ok) for e in mine
            ),
            "spooled": spooled,
            "left_in_spool": hub.state.pending(),
        }


@pytest.mark.parametrize("trial", range(TRIALS))
@pytest.mark.parametrize(
    "pause",
    [0.003, 0.05],
    ids=["relentless", "intermittent"],  # retries give up and spool / retries succeed
)
def test_no_audit_event_is_lost_when_state_backends_are_terminated_mid_bulk(
    database: tuple[sa.Engine, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    trial: int,
    pause: float,
) -> None:
    try:
        import idconnect_sql  # noqa: F401
    except ImportError:
        require_server("the sql store plugin is not installed", "pip install -e plugins/sql_store")
    monkeypatch.setenv("IDCONNECT_HOME", str(tmp_path))
    admin, url = database
    got = _trial(admin, url, pause)
    print(f"trial {trial}, a termination every {pause * 1000:.0f} ms: {got}")
    assert got["terminated"] > 0  # the faults really happened during the bulk
    assert got == {
        **got,
        "ok": ACCOUNTS,
        "outcome_differs_from_state": 0,
        "missing_events": 0,
        "duplicate_events": 0,
        "event_outcome_differs": 0,
        "left_in_spool": 0,
    }
