"""The admin API renames groups (PATCH /api/stores/{store}/groups/{group}) over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http.admin_env import BOB, Api, admin_api

REASON = {"Idconnect-Reason": "ticket 4712"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with admin_api(tmp_path) as served:
        yield served


def _group(api: Api, name: str) -> str:
    made = api("POST", "/stores/main/groups", json={"displayName": name}, headers=REASON)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_rename_keeps_the_id_and_is_audited(api: Api) -> None:
    group_id = _group(api, "pilot")
    answer = api(
        "PATCH",
        f"/stores/main/groups/{group_id}",
        json={"displayName": "pilot 2", "reason": "renamed in ticket"},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["id"], answer.json()["displayName"]) == (group_id, "pilot 2")
    assert api("GET", f"/stores/main/groups/{group_id}").json()["displayName"] == "pilot 2"
    [event] = api.hub.store("main").events(action="rename_group")
    assert (event.actor, event.reason, event.target) == ("alice", "renamed in ticket", group_id)


def test_rename_refusals(api: Api) -> None:
    group_id = _group(api, "mine")
    _group(api, "taken")
    path = f"/stores/main/groups/{group_id}"
    taken = api("PATCH", path, json={"displayName": "Taken"}, headers=REASON)
    assert taken.status_code == 409, taken.text
    long = api("PATCH", path, json={"displayName": "x" * 300}, headers=REASON)
    assert long.status_code == 400 and "displayName" in long.json()["detail"]
    no_reason = api("PATCH", path, json={"displayName": "other"})
    assert no_reason.status_code == 400, no_reason.text
    denied = api("PATCH", path, json={"displayName": "other"}, headers=REASON, admin=BOB)
    assert denied.status_code == 403, denied.text
    unknown = api("PATCH", "/stores/main/groups/nope", json={"displayName": "x"}, headers=REASON)
    assert unknown.status_code == 404, unknown.text
    assert api("GET", path).json()["displayName"] == "mine"
