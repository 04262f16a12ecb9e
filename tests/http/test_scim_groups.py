"""SCIM Groups over real HTTP: renaming by PATCH and PUT, with members, If-Match and refusals.

The sql store on SQLite renames; a memory store narrowed to lack ``rename_group`` shows what a
store that cannot rename answers (501, nothing changed) and advertises (``immutable``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import idconnect
from idconnect import hookimpl
from idconnect.core.api_tokens import issue_token
from idconnect.http.app import create_app
from idconnect.http.server import serving
from idconnect.testing.memory_store import MemoryStore
from tests.http.scim_env import PATCH_OP, Scim, hub_config, scim_service


@pytest.fixture
def scim(tmp_path: Path) -> Iterator[Scim]:
    with scim_service(tmp_path) as service:
        yield service


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def _rename(name: Any) -> dict[str, Any]:
    """A PATCH body replacing the group's displayName with ``name``."""
    return _patch({"op": "replace", "path": "displayName", "value": name})


def _group(scim: Scim, name: str, *members: str) -> dict[str, Any]:
    body = {"displayName": name, "members": [{"value": m} for m in members]}
    made = scim("POST", "/Groups", json=body)
    assert made.status_code == 201, made.text
    doc: dict[str, Any] = made.json()
    return doc


def _actions(scim: Scim) -> list[str]:
    events = scim.hub.store("main").events()
    return [e.action for e in sorted(events, key=lambda e: e.at) if "group" in e.action]


def test_patch_replace_display_name_renames(scim: Scim):
    member = scim.create("gia")
    group = _group(scim, "beta", member["id"])
    answer = scim(
        "PATCH",
        f"/Groups/{group['id']}",
        json=_rename("Beta Testers"),
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert (doc["id"], doc["displayName"]) == (group["id"], "Beta Testers")
    assert [m["value"] for m in doc["members"]] == [member["id"]]
    assert doc["meta"]["version"] != group["meta"]["version"]
    assert answer.headers["ETag"] == doc["meta"]["version"]
    shown = scim("GET", f"/Users/{member['id']}").json()["groups"]
    assert [(g["value"], g["display"]) for g in shown] == [(group["id"], "Beta Testers")]
    listed = scim("GET", "/Groups", params={"filter": 'displayName eq "beta testers"'}).json()
    assert [g["id"] for g in listed["Resources"]] == [group["id"]]
    [event] = [e for e in scim.hub.store("main").events() if e.action == "rename_group"]
    assert (event.actor, event.reason, event.target) == ("alice", "scim tests", group["id"])
    assert event.changed == ("displayName",)
    no_path = scim(
        "PATCH",
        f"/Groups/{group['id']}",
        json=_patch({"op": "replace", "value": {"displayName": "b"}}),
    )
    assert no_path.status_code == 200 and no_path.json()["displayName"] == "b"


def test_one_patch_renames_first_then_changes_members(scim: Scim):
    first, second = scim.create("hal"), scim.create("ida")
    group = _group(scim, "ops", first["id"])
    answer = scim(
        "PATCH",
        f"/Groups/{group['id']}",
        json=_patch(
            {"op": "add", "path": "members", "value": [{"value": second["id"]}]},
            {"op": "remove", "path": f'members[value eq "{first["id"]}"]'},
            {"op": "replace", "path": "displayName", "value": "operations"},
        ),
        headers={"If-Match": group["meta"]["version"]},
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["displayName"] == "operations"
    assert [m["value"] for m in doc["members"]] == [second["id"]]
    assert _actions(scim) == [
        "create_group",
        "rename_group",
        "add_group_member",
        "remove_group_member",
    ]


def test_put_renames_and_replaces_members(scim: Scim):
    first, second = scim.create("jon"), scim.create("kim")
    group = _group(scim, "sales", first["id"])
    answer = scim(
        "PUT",
        f"/Groups/{group['id']}",
        json={"displayName": "Sales EMEA", "members": [{"value": second["id"]}]},
        headers={"If-Match": group["meta"]["version"]},
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert (doc["displayName"], [m["value"] for m in doc["members"]]) == (
        "Sales EMEA",
        [second["id"]],
    )
    same = scim("PUT", f"/Groups/{group['id']}", json={"displayname": "Sales EMEA", "members": []})
    assert same.status_code == 200 and same.json()["displayName"] == "Sales EMEA"
    assert _actions(scim).count("rename_group") == 1, "an unchanged name is no rename"


def test_a_stale_if_match_is_412_and_changes_nothing(scim: Scim):
    member = scim.create("lea")
    group = _group(scim, "legal")
    renamed = scim(
        "PATCH",
        f"/Groups/{group['id']}",
        json=_rename("Legal"),
    ).json()
    for method, body in (
        ("PATCH", _rename("late")),
        ("PUT", {"displayName": "late", "members": [{"value": member["id"]}]}),
    ):
        stale = scim(
            method,
            f"/Groups/{group['id']}",
            json=body,
            headers={"If-Match": group["meta"]["version"]},
        )
        assert stale.status_code == 412, stale.text
    now = scim("GET", f"/Groups/{group['id']}").json()
    assert (now["displayName"], now.get("members", [])) == ("Legal", [])
    assert now["meta"]["version"] == renamed["meta"]["version"]


@pytest.mark.parametrize(
    ("method", "body", "status", "scim_type"),
    [
        ("PATCH", _rename("taken"), 409, "uniqueness"),
        ("PATCH", _rename("TAKEN"), 409, "uniqueness"),
        ("PATCH", _rename("  "), 400, "invalidValue"),
        ("PATCH", _rename("a\nb"), 400, "invalidValue"),
        ("PATCH", _rename(7), 400, "invalidValue"),
        ("PATCH", _patch({"op": "remove", "path": "displayName"}), 400, "invalidValue"),
        ("PUT", {"displayName": "x" * 256, "members": []}, 400, "invalidValue"),
        ("PUT", {"members": []}, 400, "invalidValue"),
    ],
)
def test_refused_names_change_nothing(scim: Scim, method, body, status, scim_type):
    member = scim.create("max")
    _group(scim, "taken")
    group = _group(scim, "mine")
    if method == "PUT":
        body = {**body, "members": [{"value": member["id"]}]}
    else:
        body = {
            **body,
            "Operations": [
                *body["Operations"],
                {"op": "add", "path": "members", "value": [{"value": member["id"]}]},
            ],
        }
    answer = scim(method, f"/Groups/{group['id']}", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["scimType"] == scim_type
    now = scim("GET", f"/Groups/{group['id']}").json()
    assert (now["displayName"], now.get("members", [])) == ("mine", [])
    assert now["meta"]["version"] == group["meta"]["version"]


def test_a_reader_cannot_rename(scim: Scim):
    group = _group(scim, "readers")
    token, _ = issue_token(scim.hub, admin="bob", reason="tests")
    headers = {"Authorization": f"Bearer {token}", "Idconnect-Reason": "try"}
    body = _rename("mine now")
    denied = requests.patch(
        f"{scim.base}/Groups/{group['id']}", json=body, headers=headers, timeout=10
    )
    assert denied.status_code == 403, denied.text
    assert scim("GET", f"/Groups/{group['id']}").json()["displayName"] == "readers"


def test_the_sql_store_advertises_renaming(scim: Scim):
    schemas = {s["id"]: s for s in scim("GET", "/Schemas").json()["Resources"]}
    group = {
        a["name"]: a for a in schemas["urn:ietf:params:scim:schemas:core:2.0:Group"]["attributes"]
    }
    assert group["displayName"]["mutability"] == "readWrite"
    assert scim("GET", "/ServiceProviderConfig").json()["patch"]["supported"]


class NoRename(MemoryStore):
    """The memory store, narrowed: it cannot rename groups."""

    @hookimpl
    def idconnect_available_operations(self, implemented: frozenset[str]) -> frozenset[str]:
        return implemented - {"rename_group"}


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"no-rename": NoRename}


def test_a_store_that_cannot_rename_answers_501_and_advertises_immutable(tmp_path: Path):
    settings = hub_config(tmp_path)
    settings["stores"] = {"main": {"plugin": "no-rename"}}
    with (
        idconnect.connect(settings, plugins=[Types()]) as hub,
        serving(create_app(hub)) as url,
    ):
        scim = Scim(hub, url)
        assert "rename_group" not in hub.store("main").capabilities
        member = scim.create("ned")
        group = _group(scim, "fixed")
        body = _patch(
            {"op": "add", "path": "members", "value": [{"value": member["id"]}]},
            {"op": "replace", "path": "displayName", "value": "moved"},
        )
        refused = scim("PATCH", f"/Groups/{group['id']}", json=body)
        assert refused.status_code == 501, refused.text
        assert "rename group" in refused.json()["detail"]
        now = scim("GET", f"/Groups/{group['id']}").json()
        assert (now["displayName"], now.get("members", [])) == ("fixed", [])
        members_only = scim(
            "PUT", f"/Groups/{group['id']}", json={**now, "members": [{"value": member["id"]}]}
        )
        assert members_only.status_code == 200, members_only.text
        schemas = {s["id"]: s for s in scim("GET", "/Schemas").json()["Resources"]}
        attributes = schemas["urn:ietf:params:scim:schemas:core:2.0:Group"]["attributes"]
        assert {a["name"]: a["mutability"] for a in attributes}["displayName"] == "immutable"


def test_bulk_renames_a_group_with_its_version_as_if_match(scim: Scim):
    group = _group(scim, "bulk-before")
    rename = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName"}]}
    operations = [
        {
            "method": "PATCH",
            "path": f"/Groups/{group['id']}",
            "version": group["meta"]["version"],
            "data": {**rename, "Operations": [{**rename["Operations"][0], "value": name}]},
        }
        for name in ("bulk-after", "bulk-late")
    ]
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}
    answer = scim("POST", "/Bulk", json={**body, "Operations": operations})
    assert answer.status_code == 200, answer.text
    assert [o["status"] for o in answer.json()["Operations"]] == ["200", "412"]
    assert scim("GET", f"/Groups/{group['id']}").json()["displayName"] == "bulk-after"
