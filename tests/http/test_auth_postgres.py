"""API tokens on a PostgreSQL hub state shared by two app instances (two workers' stand-in).

A token issued through one hub works through both; revoked through the other, it is refused
by both at the next request; its expiry and last use are judged by the hubs' clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import requests
import sqlalchemy as sa

import idconnect
from idconnect.core.api_tokens import authenticate, issue_token, list_tokens, revoke_token
from idconnect.core.state import StateDatabase
from idconnect.http.token_reads import APPLICATION_NAME, READ_CONNECTIONS, LoopTokenReads
from idconnect.testing.databases import fresh_database
from tests.http.auth_server import make_app, serving

PG_URL = os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def state_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the hub state, dropped afterwards."""
    with fresh_database("postgresql", "idc_test_tokens") as url:
        yield url


def test_two_workers_on_one_postgres_state_refuse_a_revoked_token_at_once(
    state_url: str,
) -> None:
    config: dict[str, Any] = {
        "hub": {"state": state_url},
        "stores": {"main": {"plugin": "memory"}},
    }
    clock = Clock()
    with (
        idconnect.connect(config, clock=clock) as first,
        idconnect.connect(config, clock=clock) as second,
        serving(make_app(first)) as one,
        serving(make_app(second)) as two,
    ):
        token, record = issue_token(
            first, admin="alice", store="main", expires=timedelta(days=30), reason="tests"
        )
        headers = {"Authorization": f"Bearer {token}"}
        for base in (one, two):
            answer = requests.get(f"{base}/scim/v2/main/Users", headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.json()["actor"] == "alice"
        [kept] = list_tokens(second)
        assert (kept.created, kept.expires) == (clock.now, clock.now + timedelta(days=30))
        assert kept.last_used_at == clock.now
        revoke_token(second, record.id, reason="leaked")
        for base in (one, two):
            answer = requests.get(f"{base}/scim/v2/main/Users", headers=headers, timeout=10)
            assert answer.status_code == 401, base
            assert answer.json()["detail"] == f"API token {record.id} is revoked"
        refused = [
            e for e in first.audit.state.events("(hub)") if e.action == "authenticate_api_token"
        ]
        assert [(e.actor, e.target) for e in refused] == [("alice", record.id)] * 2


def test_a_token_is_read_in_one_round_trip_and_the_reader_closes_with_the_hub(
    state_url: str, tmp_path: Any
) -> None:
    trace = tmp_path / "libpq.trace"
    with idconnect.connect(config={"hub": {"state": state_url}, "stores": {}}) as hub:
        token, _ = issue_token(hub, admin="alice", reason="tests")
        authenticate(hub, token)  # records the first use (a write, through the main engine)
        reader = hub.state.reader
        assert reader is not hub.state.engine
        with reader.connect() as connection:  # the one connection the read will borrow
            driver = connection.connection.dbapi_connection
            assert driver.autocommit is True
        with trace.open("w") as out:
            driver.pgconn.trace(out.fileno())
            driver.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            assert authenticate(hub, token).admin == "alice"
            driver.pgconn.untrace()
    sent = trace.read_text().splitlines()
    assert sum("\tReadyForQuery" in line for line in sent) == 1, sent  # one round trip
    [query] = [line for line in sent if "\tParse\t" in line or "\tQuery\t" in line]
    assert "SELECT" in query.upper() and "idconnect_api_tokens" in query, query
    probe = sa.create_engine(state_url)
    with probe.connect() as c:
        left = c.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'idconnect-state'"
            )
        ).scalar_one()
    probe.dispose()
    assert left == 0, "closing the hub must close the reader's connections too"


def _readers(url: str, *, terminate: bool = False) -> int:
    probe = sa.create_engine(url)
    with probe.connect() as c:
        pids = (
            c.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = :name"
                ),
                {"name": APPLICATION_NAME},
            )
            .scalars()
            .all()
        )
        for pid in pids if terminate else ():
            c.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    probe.dispose()
    return len(pids)


def test_tokens_read_on_the_event_loop_survive_a_dropped_connection_and_see_a_revocation(
    state_url: str, tmp_path: Any
) -> None:
    assert LoopTokenReads.for_state(StateDatabase(f"sqlite:///{tmp_path / 's.db'}")) is None
    config: dict[str, Any] = {"hub": {"state": state_url}, "stores": {"main": {"plugin": "memory"}}}
    with (
        idconnect.connect(config) as hub,
        idconnect.connect(config) as other,
    ):
        reads = LoopTokenReads.for_state(hub.state)
        assert reads is not None
        with serving(make_app(hub, token_reads=reads)) as base:
            token, record = issue_token(hub, admin="alice", reason="tests")
            headers = {"Authorization": f"Bearer {token}"}

            def status() -> int:
                answer = requests.get(f"{base}/scim/v2/main/Users", headers=headers, timeout=10)
                return answer.status_code

            assert status() == 200  # the first use is written (through the hub's engine)
            assert status() == 200 and _readers(state_url) == 1, "the second is read on the loop"
            assert _readers(state_url, terminate=True) == 1
            assert status() == 200, "a connection the server dropped is replaced, not an error"
            assert _readers(state_url) == 1
            revoke_token(other, record.id, reason="leaked")
            assert status() == 401, "a revocation by another process counts at the next request"


def test_an_unknown_token_on_a_fresh_state_database_is_refused_not_unavailable(
    state_url: str,
) -> None:
    config: dict[str, Any] = {"hub": {"state": state_url}, "stores": {"main": {"plugin": "memory"}}}
    with idconnect.connect(config) as hub:
        reads = LoopTokenReads.for_state(hub.state)
        with serving(make_app(hub, token_reads=reads)) as base:  # no token issued: no table yet
            headers = {"Authorization": "Bearer idc_api_" + "x" * 43}
            answer = requests.get(f"{base}/scim/v2/main/Users", headers=headers, timeout=10)
    assert answer.status_code == 401, answer.text
    assert answer.json()["detail"] == "the API token is unknown"


def test_the_loop_read_answers_as_the_engine_does_and_a_failed_read_is_unavailable(
    state_url: str,
) -> None:
    import asyncio

    from idconnect.core.errors import StoreUnavailable

    config: dict[str, Any] = {"hub": {"state": state_url}, "stores": {"main": {"plugin": "memory"}}}
    with idconnect.connect(config) as hub:
        token, _ = issue_token(hub, admin="alice", store="main", reason="tests")
        by_engine = authenticate(hub, token)
        reads = LoopTokenReads.for_state(hub.state)
        assert reads is not None

        async def reading() -> None:
            try:
                assert await reads.find(token) == by_engine
                assert await reads.find("idc_api_" + "y" * 43) is None
                assert _readers(state_url) == 1, "the second read reuses the connection"
                # the table locked, twelve reads wait at once: four of them, each on a connection
                locker = hub.state.engine.connect()
                locking = locker.begin()
                locker.exec_driver_sql("LOCK TABLE idconnect_api_tokens IN ACCESS EXCLUSIVE MODE")
                waiting = [asyncio.create_task(reads.find(token)) for _ in range(12)]
                for _ in range(400):
                    if _readers(state_url) == READ_CONNECTIONS:
                        break
                    await asyncio.sleep(0.025)
                assert _readers(state_url) == READ_CONNECTIONS, "reads at once share 4 connections"
                assert not any(task.done() for task in waiting)
                locking.rollback()
                locker.close()
                assert await asyncio.gather(*waiting) == [by_engine] * 12
                assert _readers(state_url) == READ_CONNECTIONS
                assert _readers(state_url, terminate=True) == READ_CONNECTIONS  # a restart
                assert await reads.find(token) == by_engine, "read again on a new connection"
                assert _readers(state_url) == 1
                with hub.state.engine.begin() as c:
                    c.exec_driver_sql("ALTER TABLE idconnect_api_tokens RENAME TO moved")
                with pytest.raises(StoreUnavailable, match="cannot read the hub's API tokens"):
                    await reads.find(token)
                assert _readers(state_url) == 0, "after a failed read no connection is kept"
                with hub.state.engine.begin() as c:
                    c.exec_driver_sql("ALTER TABLE moved RENAME TO idconnect_api_tokens")
                assert await reads.find(token) == by_engine
            finally:
                await reads.close()

        asyncio.run(reading())
