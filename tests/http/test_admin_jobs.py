"""The admin API's job endpoints over real HTTP on the sql store (SQLite): start a job over ids
or a filter, read its progress and accounts, cancel, undo; the refusals (reason, exactly one of
ids and filter, an irreversible undo, a reader's 403) and the audit events naming the token's
admin and the job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http.admin_env import BOB, Api, admin_api

REASON = {"Idconnect-Reason": "ticket 9"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with admin_api(tmp_path) as served:
        yield served


def test_start_read_and_undo_a_job(api: Api) -> None:
    store = api.hub.store("main")
    ids = [str(a.id) for a in store.iter_accounts() if a.active][:6]
    started = api(
        "POST", "/stores/main/jobs", json={"action": "disable", "ids": ids, "reason": "fraud"}
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["total"] == 6 and job["action"] == "disable" and job["actor"] == "alice"
    store.wait_job(job["id"])
    shown = api("GET", f"/stores/main/jobs/{job['id']}", params={"outcome": "ok", "count": 3})
    assert shown.status_code == 200
    doc = shown.json()
    assert doc["status"] == "done" and doc["counts"] == {"ok": 6} and doc["progress"] == 1
    assert [i["before"] for i in doc["items"]] == [True, True, True]
    assert [i["accountId"] for i in doc["items"]] == ids[:3]
    listed = api("GET", "/stores/main/jobs", params={"limit": 5})
    assert [j["id"] for j in listed.json()] == [job["id"]]
    events = [e for e in store.events(ids[0]) if e.request_id == f"job:{job['id']}"]
    assert [(e.action, e.actor, e.reason) for e in events] == [
        ("disable_account", "alice", "fraud")
    ]
    undo = api("POST", f"/stores/main/jobs/{job['id']}/undo", json={}, headers=REASON)
    assert undo.status_code == 202, undo.text
    assert undo.json()["undoOf"] == job["id"]
    store.wait_job(undo.json()["id"])
    assert all(store.get_account(i).active for i in ids)
    again = api("POST", f"/stores/main/jobs/{job['id']}/undo", json={}, headers=REASON)
    assert again.status_code == 409 and "undone already" in again.json()["detail"]


def test_a_filter_job_a_dry_run_cancel_and_refusals(api: Api) -> None:
    store = api.hub.store("main")
    dry = api(
        "POST",
        "/stores/main/jobs",
        json={"action": "delete", "filter": "active eq true", "dry_run": True},
        headers=REASON,
    )
    assert dry.status_code == 202, dry.text
    assert dry.json()["status"] == "done" and set(dry.json()["counts"]) == {"would_change"}
    no_reason = api("POST", "/stores/main/jobs", json={"action": "disable", "ids": ["x"]})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    both = api(
        "POST",
        "/stores/main/jobs",
        json={"action": "disable", "ids": ["x"], "filter": "active eq true"},
        headers=REASON,
    )
    assert both.status_code == 400
    reader = api("GET", "/stores/main/jobs", admin=BOB)
    assert reader.status_code == 403
    ids = [str(a.id) for a in store.iter_accounts()][:2]
    deleted = api(
        "POST", "/stores/main/jobs", json={"action": "delete", "ids": ids}, headers=REASON
    )
    store.wait_job(deleted.json()["id"])
    irreversible = api(
        "POST", f"/stores/main/jobs/{deleted.json()['id']}/undo", json={}, headers=REASON
    )
    assert irreversible.status_code == 501 and "irreversible" in irreversible.json()["detail"]
    late = api("POST", f"/stores/main/jobs/{deleted.json()['id']}/cancel", json={}, headers=REASON)
    assert late.status_code == 409
    missing = api("GET", "/stores/main/jobs/nosuchjob")
    assert missing.status_code == 404
    pending = store.start_job("enable", ids=ids, reason="r", runner="none", actor="alice")
    cancelled = api("POST", f"/stores/main/jobs/{pending.id}/cancel", json={"reason": "no"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelledBy"] == "alice"
