"""Durable jobs on an LDAP store (slapd): a disable job records each previous state and acts
once per account, its undo skips an account changed since, a group job and its undo restore the
membership the directory held, and an action the directory lacks is NotSupported before any
job is stored."""

from __future__ import annotations

import collections

import pytest

from idconnect.core.errors import NotSupported


def _seed(store, count):
    docs = [
        {"userName": f"job{n:03d}", "emails": [{"value": f"job{n:03d}@example.org"}]}
        for n in range(count)
    ]
    result = store.create_accounts(docs, reason="seed")
    assert result.ok
    return [o.account_id for o in result.outcomes]


def _events(store, job):
    return [
        e
        for e in store.hub.state.events(store.name, limit=100_000)
        if e.request_id == job.request_id and e.account_id is not None
    ]


def test_a_disable_job_and_its_undo_on_slapd(slapd_server, store_factory) -> None:
    store = store_factory(slapd_server, "openldap")
    ids = _seed(store, 12)
    store.disable_accounts(ids[:2], reason="before")
    job = store.start_job("disable", ids=ids, reason="fraud", chunk_size=5)
    job = store.wait_job(job.id)
    assert job.status == "done" and job.counts == {"ok": 10, "unchanged": 2}
    assert [i.before for _, i in store.job_items(job.id)][:3] == [False, False, True]
    per_account = collections.Counter(e.account_id for e in _events(store, job))
    assert set(per_account) == set(ids[2:]) and max(per_account.values()) == 1
    assert not any(store.get_account(i).active for i in ids)
    undo = store.undo_job(job.id, reason="wrong selection", runner="none")
    store.enable_accounts([ids[2]], reason="someone else")
    store.disable_accounts([ids[2]], reason="someone else")
    store.enable_accounts([ids[3]], reason="someone else")
    store.run_job(undo.id)
    undo = store.job(undo.id)
    assert undo.counts == {"ok": 9, "skipped": 1}
    assert [i.account_id for _, i in store.job_items(undo.id, outcome="skipped")] == [ids[3]]
    assert [store.get_account(i).active for i in ids[:3]] == [False, False, True]


def test_a_group_job_and_its_undo_on_slapd(slapd_server, store_factory) -> None:
    store = store_factory(slapd_server, "openldap")
    ids = _seed(store, 4)
    group = store.create_group({"displayName": "job-vip"}, reason="setup")
    store.add_to_group(group.id, ids[:1], reason="before")
    added = store.wait_job(
        store.start_job("add_to_group", ids=ids, group_id=group.id, reason="r").id
    )
    assert added.counts == {"ok": 3, "unchanged": 1}
    assert set(store.get_group(group.id).members) == set(ids)
    store.wait_job(store.undo_job(added.id, reason="undo").id)
    assert set(store.get_group(group.id).members) == {ids[0]}


def test_an_action_the_directory_lacks_is_refused_before_any_job(
    slapd_server, store_factory
) -> None:
    store = store_factory(slapd_server, "openldap")
    if "revoke_sessions" in store.capabilities:
        pytest.skip("this directory profile keeps sessions")
    with pytest.raises(NotSupported, match="revoke sessions"):
        store.start_job("revoke_sessions", ids=["x"], reason="r")
    assert store.jobs() == []
