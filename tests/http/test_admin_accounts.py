"""The admin API's stores, bulk actions, groups and roles over real HTTP on the sql store; and
the OpenAPI document holding exactly the routes that are served."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from starlette.routing import Route

from idconnect.core.api_tokens import issue_token
from idconnect.http.admin import admin_routes
from tests.http.admin_env import BOB, Api, admin_api

REASON = {"Idconnect-Reason": "ticket 4711"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with admin_api(tmp_path) as served:
        yield served


def _ids(api: Api, filter_text: str | None = None) -> list[str]:
    return [str(a.id) for a in api.hub.store("main").iter_accounts(filter_text)]


def test_stores_lists_plugins_and_capabilities(api: Api) -> None:
    answer = api("GET", "/stores", admin=BOB)
    assert answer.status_code == 200
    rows = {row["name"]: row for row in answer.json()["stores"]}
    assert list(rows) == ["main", "ghost", "orgs", "sealed"]
    assert rows["sealed"]["available"] is False and rows["sealed"]["capabilities"] == []
    assert "IDCONNECT_TEST_NEVER_SET" in rows["sealed"]["error"]
    assert rows["main"]["plugin"] == "sql" and rows["main"]["available"] is True
    assert {"search_accounts", "set_account_enabled"} <= set(rows["main"]["capabilities"])
    assert "list_organizations" not in rows["main"]["capabilities"]
    token, _ = issue_token(api.hub, admin=BOB, store="orgs", reason="tests")
    limited = requests.get(
        api.base + "/api/stores", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert [row["name"] for row in limited.json()["stores"]] == ["orgs"]


def test_bulk_disable_by_ids_reports_each_account(api: Api) -> None:
    first, second = _ids(api, "active eq true")[:2]
    body = {"action": "disable", "ids": [first, second, "nobody-1"], "reason": "fraud ring"}
    answer = api("POST", "/stores/main/accounts/bulk", json=body)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert (doc["action"], doc["total"], doc["succeeded"], doc["failed"]) == (
        "disable_account",
        3,
        2,
        1,
    )
    by_id = {o["accountId"]: o for o in doc["outcomes"]}
    assert by_id[first]["status"] == by_id[second]["status"] == "ok"
    assert by_id["nobody-1"]["status"] == "failed"
    assert by_id["nobody-1"]["error"]["status"] == "404"
    store = api.hub.store("main")
    assert not store.get_account(first).active and not store.get_account(second).active
    events = store.events(first, action="disable_account")
    assert [(e.actor, e.reason) for e in events] == [("alice", "fraud ring")]


def test_a_dry_run_by_filter_lists_the_accounts_and_changes_nothing(api: Api) -> None:
    active = _ids(api, "active eq true")
    body = {"action": "delete", "filter": "active eq true", "dry_run": True}
    answer = api("POST", "/stores/main/accounts/bulk", json=body)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["dryRun"] is True and doc["count"] == len(active) > 0
    assert sorted(a["id"] for a in doc["accounts"]) == sorted(active)
    assert _ids(api, "active eq true") == active
    assert api.hub.store("main").events(action="delete_account") == []


def test_a_dry_run_by_ids_names_the_unknown_ones(api: Api) -> None:
    known = _ids(api)[0]
    body = {"action": "enable", "ids": [known, "nobody-2"], "dry_run": True}
    doc = api("POST", "/stores/main/accounts/bulk", json=body).json()
    assert [a["id"] for a in doc["accounts"]] == [known]
    assert doc["unknown"] == ["nobody-2"]


def test_a_selection_over_max_changes_nothing(api: Api) -> None:
    body = {"action": "disable", "filter": "userName pr", "max": 3}
    answer = api("POST", "/stores/main/accounts/bulk", json=body, headers=REASON)
    assert answer.status_code == 400 and "over the limit" in answer.json()["detail"]
    assert api.hub.store("main").events(action="disable_account") == []


def test_groups_create_fill_show_empty_and_delete(api: Api) -> None:
    made = api("POST", "/stores/main/groups", json={"displayName": "pilot group"}, headers=REASON)
    assert made.status_code == 201, made.text
    group = made.json()
    assert group["displayName"] == "pilot group" and group["meta"]["resourceType"] == "Group"
    members = _ids(api)[:3]
    body = {"action": "add-to-group", "group": group["id"], "ids": members, "reason": "beta"}
    added = api("POST", "/stores/main/accounts/bulk", json=body)
    assert added.json()["succeeded"] == 3, added.text
    shown = api("GET", f"/stores/main/groups/{group['id']}").json()
    assert sorted(m["value"] for m in shown["members"]) == sorted(members)
    found = api("GET", "/stores/main/groups", params={"filter": 'displayName eq "pilot group"'})
    assert [g["id"] for g in found.json()["Resources"]] == [group["id"]]
    body = {**body, "action": "remove-from-group", "ids": members[:1]}
    assert api("POST", "/stores/main/accounts/bulk", json=body).json()["succeeded"] == 1
    shown = api("GET", f"/stores/main/groups/{group['id']}").json()
    assert len(shown["members"]) == 2
    assert api("DELETE", f"/stores/main/groups/{group['id']}", headers=REASON).status_code == 204
    assert api("GET", f"/stores/main/groups/{group['id']}").status_code == 404


def test_groups_page_with_a_cursor(api: Api) -> None:
    first = api("GET", "/stores/main/groups", params={"count": 5}).json()
    assert len(first["Resources"]) == 5 and "nextCursor" in first
    rest = api("GET", "/stores/main/groups", params={"cursor": first["nextCursor"]}).json()
    names = [g["displayName"] for g in first["Resources"] + rest["Resources"]]
    assert len(names) == len(set(names)) == 8


def test_roles_list_assign_and_unassign(api: Api) -> None:
    roles = api("GET", "/stores/main/roles").json()
    assert {"billing-admin", "member"} <= {r["name"] for r in roles}
    account = next(a for a in api.hub.store("main").iter_accounts() if not a.role_assignments)
    path = f"/stores/main/accounts/{account.id}/roles"
    assigned = api("POST", path, json={"role": "member", "reason": "onboarding"})
    assert assigned.status_code == 204, assigned.text
    held = api.hub.store("main").get_account(str(account.id)).role_assignments
    assert [(r.role, r.organization) for r in held] == [("member", None)]
    assert api("DELETE", path + "/member", headers=REASON).status_code == 204
    assert api.hub.store("main").get_account(str(account.id)).role_assignments == ()
    assert api("DELETE", path + "/member", headers=REASON).status_code == 404


def test_a_store_whose_secret_cannot_be_read_is_503(api: Api) -> None:
    answer = api("GET", "/stores/sealed/roles")
    assert answer.status_code == 503
    assert "IDCONNECT_TEST_NEVER_SET" in answer.json()["detail"]


def test_organizations_where_the_store_keeps_them_and_501_where_not(api: Api) -> None:
    assert api("GET", "/stores/orgs/organizations").json() == ["Acme", "Globex"]
    answer = api("GET", "/stores/main/organizations")
    assert answer.status_code == 501
    assert answer.json()["error"] == "not_supported"


def test_the_document_describes_exactly_the_served_routes(api: Api) -> None:
    doc = api("GET", "/openapi.json", admin=BOB).json()
    assert doc["openapi"] == "3.1.0"
    documented = {
        (method.upper(), path) for path, operations in doc["paths"].items() for method in operations
    }
    served = {
        (method, "/api" + r.path)
        for r in admin_routes(api.hub)
        if isinstance(r, Route) and r.path != "/openapi.json"
        for method in (r.methods or ()) - {"HEAD"}
    }
    assert documented == served
    bulk = doc["paths"]["/api/stores/{store}/accounts/bulk"]["post"]
    body = bulk["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False and body["required"] == ["action"]
    assert body["oneOf"] == [{"required": ["ids"]}, {"required": ["filter"]}]
    assert {"200", "400", "401", "403", "404"} <= set(bulk["responses"])
    headers = [p["name"] for p in bulk["parameters"] if p["in"] == "header"]
    assert headers == ["Idconnect-Reason"]
    listing = doc["paths"]["/api/stores/{store}/groups"]["get"]
    assert all(p["in"] != "header" for p in listing["parameters"])
