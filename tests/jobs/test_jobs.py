"""Durable bulk jobs through the facade, on a sql store over SQLite and over PostgreSQL.

Each job's selection is snapshotted, every account's previous state and outcome are rows of the
state database, each account acted on has exactly one audit event carrying ``job:<id>``, and an
undo restores what the job changed, skipping accounts changed since by someone else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect.core.errors import Conflict, InvalidInput, NotSupported, PermissionDenied
from idconnect.core.facade.store import Store
from idconnect.core.job_state import JobState
from tests.jobs.job_env import job_config, seed


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with job_config(request.param, tmp_path) as config, idconnect.connect(config) as hub:
        main = hub.store("main")
        main.provision()
        yield main


def job_events(store: Store, job_id: str) -> list[Any]:
    return [
        e
        for e in store.hub.state.events("main", limit=100_000)
        if e.request_id == f"job:{job_id}" and e.account_id is not None
    ]


def outcomes(store: Store, job_id: str) -> dict[str, str | None]:
    return {i.account_id: i.outcome for _, i in store.job_items(job_id, count=10_000)}


def test_a_disable_job_acts_once_per_account_and_records_each_previous_state(store: Store) -> None:
    ids = seed(store, 23)
    store.disable_accounts(ids[:3], reason="disabled before")
    job = store.start_job("disable", ids=ids, reason="fraud wave", chunk_size=5)
    assert job.total == 23 and job.action == "disable"
    job = store.wait_job(job.id)
    assert job.status == "done" and job.counts == {"ok": 20, "unchanged": 3}
    assert job.progress == 1.0 and job.done == 23
    items = dict(store.job_items(job.id))
    assert [items[n].before for n in range(5)] == [False, False, False, True, True]
    assert all(not a.active for a in store.iter_accounts())
    events = job_events(store, job.id)
    assert sorted(e.account_id for e in events) == sorted(ids[3:])
    assert {(e.action, e.outcome, e.reason) for e in events} == {
        ("disable_account", "success", "fraud wave")
    }
    started = [e for e in store.hub.state.events("main") if e.action == "start_job"]
    assert [e.target for e in started] == [job.id]
    assert [j.id for j in store.jobs()] == [job.id]


def test_each_account_keeps_its_own_previous_state_and_outcome_in_a_mixed_chunk(
    store: Store,
) -> None:
    ids = seed(store, 9)
    store.disable_accounts(ids[1::2], reason="disabled before")  # every other one
    store.delete_accounts([ids[6]], reason="gone before")
    job = store.wait_job(store.start_job("disable", ids=ids, reason="r", chunk_size=9).id)
    assert job.counts == {"ok": 4, "unchanged": 4, "failed": 1}
    items = [item for _, item in store.job_items(job.id)]
    assert [i.before for i in items] == [True, False, True, False, True, False, None, False, True]
    assert [i.outcome for i in items] == ["ok", "unchanged"] * 3 + ["failed", "unchanged", "ok"]
    assert items[6].error_code == "not_found" and items[0].error_code is None
    assert sorted(e.account_id for e in job_events(store, job.id)) == sorted(ids[::2])


def test_the_selection_of_a_filter_is_snapshotted_at_start(store: Store) -> None:
    seed(store, 6)
    job = store.start_job("disable", filter='userName sw "u"', reason="r", runner="none")
    late = seed(store, 2, prefix="u9")
    store.run_job(job.id)
    job = store.job(job.id)
    assert job.total == 6 and job.counts == {"ok": 6}
    assert all(store.get_account(i).active for i in late)


def test_undo_restores_what_the_job_changed_and_skips_accounts_changed_since(store: Store) -> None:
    ids = seed(store, 8)
    store.disable_accounts(ids[:2], reason="disabled before")
    job = store.wait_job(store.start_job("disable", ids=ids, reason="r").id)
    with pytest.raises(Conflict, match="still running"):
        store.undo_job(
            store.start_job("disable", ids=ids[:1], reason="r", runner="none").id, reason="x"
        )
    undo = store.undo_job(job.id, reason="wrong selection", runner="none")
    assert undo.undo_of == job.id and undo.action == "enable" and undo.total == 6
    store.enable_accounts([ids[2]], reason="someone else")
    store.delete_accounts([ids[3]], reason="someone else")
    store.run_job(undo.id)
    undo = store.job(undo.id)
    assert undo.counts == {"ok": 4, "skipped": 2}
    got = outcomes(store, undo.id)
    assert got[ids[2]] == got[ids[3]] == "skipped"
    skipped = {i.account_id: i.error for _, i in store.job_items(undo.id, outcome="skipped")}
    assert "changed since" in skipped[ids[2]] and "no longer exists" in skipped[ids[3]]
    assert [store.get_account(i).active for i in ids[:3]] == [False, False, True]
    assert all(store.get_account(i).active for i in ids[4:])
    assert sorted(e.account_id for e in job_events(store, undo.id)) == sorted(ids[4:])
    assert store.job(job.id).undone_by == undo.id
    with pytest.raises(Conflict, match="undone already"):
        store.undo_job(job.id, reason="again")


def test_group_and_role_jobs_undo_to_the_previous_membership(store: Store) -> None:
    ids = seed(store, 5)
    group = store.create_group({"displayName": "beta"}, reason="r")
    assert group.id is not None
    store.add_to_group(group.id, ids[:1], reason="member before")
    added = store.wait_job(
        store.start_job("add_to_group", ids=ids, group_id=group.id, reason="r").id
    )
    assert added.counts == {"ok": 4, "unchanged": 1}
    assert set(store.get_group(group.id).members) == set(ids)
    store.wait_job(store.undo_job(added.id, reason="undo").id)
    assert set(store.get_group(group.id).members) == {ids[0]}
    role = store.wait_job(
        store.start_job("assign_role", ids=ids[:2], role="auditor", reason="r").id
    )
    assert role.counts == {"ok": 2}
    assert [r.role for r in store.get_account(ids[0]).role_assignments] == ["auditor"]
    store.wait_job(store.undo_job(role.id, reason="undo").id)
    assert store.get_account(ids[0]).role_assignments == ()


def test_irreversible_jobs_say_so_and_dry_runs_change_nothing(store: Store) -> None:
    ids = seed(store, 4)
    dry = store.start_job("delete", ids=ids, reason="r", dry_run=True)
    assert dry.status == "done" and dry.counts == {"would_change": 4}
    assert job_events(store, dry.id) == []
    assert len(list(store.iter_accounts())) == 4
    deleted = store.wait_job(store.start_job("delete", ids=ids[:2], reason="gdpr").id)
    assert deleted.counts == {"ok": 2}
    with pytest.raises(NotSupported, match="irreversible"):
        store.undo_job(deleted.id, reason="oops")
    revoked = store.wait_job(store.start_job("revoke_sessions", ids=ids[2:], reason="r").id)
    assert revoked.counts == {"ok": 2}
    with pytest.raises(NotSupported, match="irreversible"):
        store.undo_job(revoked.id, reason="oops")


def test_a_cancelled_job_starts_no_further_chunk(store: Store) -> None:
    ids = seed(store, 6)
    job = store.start_job("disable", ids=ids, reason="r", runner="none", chunk_size=2)
    cancelled = store.cancel_job(job.id, reason="wrong store")
    assert cancelled.status == "cancelled" and cancelled.cancelled_by == store.hub.actor
    store.run_job(job.id)
    assert store.job(job.id).done == 0 and all(a.active for a in store.iter_accounts())
    with pytest.raises(Conflict, match="finished already"):
        store.cancel_job(job.id, reason="again")
    assert [e.target for e in store.hub.state.events("main") if e.action == "cancel_job"] == [
        job.id
    ]


def test_bad_input_is_refused_before_anything_is_stored(store: Store) -> None:
    ids = seed(store, 1)
    with pytest.raises(InvalidInput, match="unknown job action 'freeze'"):
        store.start_job("freeze", ids=ids, reason="r")
    with pytest.raises(InvalidInput, match="exactly one of ids and filter"):
        store.start_job("disable", ids=ids, filter="active eq true", reason="r")
    with pytest.raises(InvalidInput, match="needs group_id"):
        store.start_job("add_to_group", ids=ids, reason="r")
    with pytest.raises(InvalidInput, match="takes no argument role"):
        store.start_job("disable", ids=ids, reason="r", role="x")
    with pytest.raises(InvalidInput, match="reason"):
        store.start_job("disable", ids=ids, reason="")
    assert store.jobs() == []


def test_permissions_of_jobs(tmp_path: Path) -> None:
    config: dict[str, Any] = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'store.db'}"}},
        "admins": {
            "roles": {
                "owner-ish": {"permissions": ["*"]},
                "blind": {"permissions": ["accounts.enable"]},
                "agent": {"permissions": ["accounts.enable", "accounts.read"]},
            },
            "members": {"root": ["owner-ish"], "bob": ["blind"], "ann": ["agent"]},
        },
    }
    with idconnect.connect(config) as hub:
        store = hub.store("main")
        store.provision(actor="root")
        ids = seed(store, 2)
        with pytest.raises(PermissionDenied, match=r"accounts\.read"):
            store.start_job("disable", ids=ids, reason="r", actor="bob")
        job = store.start_job("disable", ids=ids, reason="r", actor="ann")
        assert store.wait_job(job.id).counts == {"ok": 2}
        with pytest.raises(PermissionDenied, match=r"jobs\.read"):
            store.job(job.id, actor="ann")
        with pytest.raises(PermissionDenied, match=r"jobs\.cancel"):
            store.cancel_job(job.id, reason="r", actor="ann")
        assert store.job(job.id, actor="root").actor == "ann"


def test_an_action_the_store_lacks_is_not_supported_before_any_io(tmp_path: Path) -> None:
    config = {
        "stores": {"web": {"plugin": "json", "path": str(tmp_path / "web.json")}},
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
    }
    with idconnect.connect(config) as hub:
        store = hub.store("web")
        with pytest.raises(NotSupported, match="add group member"):
            store.start_job("add_to_group", ids=["a"], group_id="g", reason="r")
        assert store.jobs() == []


def test_a_runner_renews_its_lease_while_acting(store: Store) -> None:
    ids = seed(store, 6)
    job = store.start_job("disable", ids=ids, reason="r", runner="none", chunk_size=3)
    store.run_job(job.id, lease=timedelta(0))  # every progress renews (the lease is always due)
    assert store.job(job.id).counts == {"ok": 6}
    assert len(job_events(store, job.id)) == 6


def test_a_chunk_held_elsewhere_is_left_alone_until_its_lease_expires(store: Store) -> None:
    ids = seed(store, 4)
    job = store.start_job("disable", ids=ids, reason="r", runner="none", chunk_size=2)
    jobs = JobState(store.hub.state)
    never = lambda owner: False  # noqa: E731 (another host: its process table is not ours)
    held = jobs.claim(job.id, "elsewhere:1:live", timedelta(hours=1), never)
    lapsed = jobs.claim(job.id, "elsewhere:2:gone", timedelta(seconds=-1), never)  # expired
    assert held is not None and lapsed is not None and {held.chunk, lapsed.chunk} == {0, 1}
    store.run_job(job.id, wait=False)  # takes the lapsed chunk over, leaves the held one
    job = store.job(job.id)
    assert job.status == "running" and job.counts == {"ok": 2}
    done = {i.account_id for _, i in store.job_items(job.id, outcome="ok")}
    assert done == set(ids[2:] if held.chunk == 0 else ids[:2])
