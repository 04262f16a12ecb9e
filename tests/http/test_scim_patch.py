"""SCIM PATCH (RFC 7644 §3.5.2) over real HTTP: add/replace/remove, value paths, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idconnect.core.schema import CUSTOM_SCHEMA, EXTENSION_SCHEMA
from tests.http.scim_env import PATCH_OP, Scim, scim_service

ATTRIBUTES = {
    "loyaltyTier": {"type": "string"},
    "interests": {"type": "string", "multi_valued": True},
    "accountCode": {"type": "string", "editable": False},
}


@pytest.fixture
def scim(tmp_path: Path) -> Iterator[Scim]:
    with scim_service(tmp_path, attributes=ATTRIBUTES) as service:
        yield service


@pytest.fixture
def user(scim: Scim) -> dict:
    return scim.create(
        "fay",
        name={"givenName": "Fay", "familyName": "Ray"},
        emails=[
            {"value": "fay@work.example", "type": "work"},
            {"value": "fay@home.example", "type": "home"},
        ],
    )


def test_value_path_replace_and_remove(scim: Scim, user: dict):
    answer = scim.patch(
        user["id"],
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "fay@new.example"},
        {"op": "remove", "path": 'emails[value ew "home.example"]'},
        {"op": "replace", "path": "name.givenName", "value": "Faye"},
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert [e["value"] for e in doc["emails"]] == ["fay@new.example"]
    assert doc["name"]["givenName"] == "Faye" and doc["name"]["familyName"] == "Ray"
    [event] = [e for e in scim.hub.store("main").events(user["id"]) if e.action == "update_account"]
    assert set(event.changed) >= {"emails", "name"}


def test_add_without_path_extension_and_custom_attributes(scim: Scim, user: dict):
    answer = scim.patch(
        user["id"],
        {"op": "add", "value": {"displayName": "F. Ray", f"{EXTENSION_SCHEMA}:organization": None}},
        {"op": "add", "path": "organization", "value": "Acme"},
        {"op": "add", "path": f"{CUSTOM_SCHEMA}:loyaltyTier", "value": "gold"},
        {"op": "add", "path": "interests", "value": ["ski", "golf"]},
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["displayName"] == "F. Ray"
    assert doc[EXTENSION_SCHEMA]["organization"] == "Acme"
    assert doc[CUSTOM_SCHEMA] == {"loyaltyTier": "gold", "interests": ["ski", "golf"]}
    removed = scim.patch(user["id"], {"op": "remove", "path": 'interests[value eq "ski"]'})
    assert removed.json()[CUSTOM_SCHEMA]["interests"] == ["golf"]
    found = scim("GET", "/Users", params={"filter": 'loyaltyTier eq "GOLD"'}).json()
    assert [r["id"] for r in found["Resources"]] == [user["id"]]


def test_active_through_patch_disables_and_enables(scim: Scim, user: dict):
    off = scim.patch(user["id"], {"op": "replace", "path": "active", "value": False})
    assert off.json()["active"] is False
    on = scim.patch(user["id"], {"op": "replace", "value": {"active": True}})
    assert on.json()["active"] is True
    actions = [e.action for e in scim.hub.store("main").events(user["id"])]
    assert actions[-2:] == ["disable_account", "enable_account"]


@pytest.mark.parametrize(
    ("operation", "status", "scim_type"),
    [
        ({"op": "replace", "path": "groups", "value": []}, 400, "mutability"),
        ({"op": "replace", "path": "id", "value": "x"}, 400, "mutability"),
        ({"op": "replace", "path": "accountCode", "value": "X"}, 400, "invalidValue"),
        ({"op": "remove"}, 400, "noTarget"),
        (
            {"op": "replace", "path": 'emails[type eq "fax"].value', "value": "a@b.c"},
            400,
            "noTarget",
        ),
        ({"op": "replace", "path": 'emails[type eq "work"', "value": "a"}, 400, "invalidPath"),
        ({"op": "replace", "path": "emails[type eq]", "value": "a"}, 400, "invalidFilter"),
        ({"op": "move", "path": "displayName", "value": "a"}, 400, "invalidValue"),
        ({"op": "replace", "path": "active", "value": "yes"}, 400, "invalidValue"),
        (
            {"op": "replace", "path": "emails", "value": [{"value": "not an address"}]},
            400,
            "invalidValue",
        ),
    ],
)
def test_refused_operations_change_nothing(scim: Scim, user: dict, operation, status, scim_type):
    answer = scim.patch(user["id"], operation)
    assert answer.status_code == status, answer.text
    assert answer.json()["scimType"] == scim_type
    assert scim("GET", f"/Users/{user['id']}").json()["meta"]["version"] == user["meta"]["version"]


def test_a_body_that_is_not_a_patch_op_is_invalid_syntax(scim: Scim, user: dict):
    answer = scim("PATCH", f"/Users/{user['id']}", json={"Operations": []})
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidSyntax"
    broken = scim(
        "PATCH",
        f"/Users/{user['id']}",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["scimType"] == "invalidSyntax"


def test_group_members_by_patch(scim: Scim, user: dict):
    other = scim.create("gus")
    group = scim("POST", "/Groups", json={"displayName": "beta"}).json()
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": user["id"]}, {"value": other["id"]}],
            }
        ],
    }
    added = scim("PATCH", f"/Groups/{group['id']}", json=body)
    assert sorted(m["value"] for m in added.json()["members"]) == sorted([user["id"], other["id"]])
    body["Operations"] = [{"op": "remove", "path": f'members[value eq "{user["id"]}"]'}]
    removed = scim("PATCH", f"/Groups/{group['id']}", json=body)
    assert [m["value"] for m in removed.json()["members"]] == [other["id"]]
    member_of = scim("GET", f"/Users/{other['id']}").json()["groups"]
    assert [g["value"] for g in member_of] == [group["id"]]
    listed = scim("GET", "/Groups", params={"filter": 'displayName eq "beta"'}).json()
    assert [g["id"] for g in listed["Resources"]] == [group["id"]]
    assert scim("DELETE", f"/Groups/{group['id']}").status_code == 204
    assert scim("GET", f"/Groups/{group['id']}").status_code == 404
