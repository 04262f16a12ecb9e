"""SCIM Bulk over real HTTP: bulkId references, failOnErrors, per-operation errors, limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idconnect.http.limits import Limits
from tests.http.scim_env import ERROR, PATCH_OP, Scim, scim_service

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


@pytest.fixture
def scim(tmp_path: Path) -> Iterator[Scim]:
    with scim_service(tmp_path, limits=Limits(max_bulk_operations=5)) as service:
        yield service


def bulk(scim: Scim, *operations: dict, **extra):
    return scim(
        "POST", "/Bulk", json={"schemas": [BULK_REQUEST], "Operations": list(operations), **extra}
    )


def test_bulk_ids_link_a_new_user_into_a_new_group(scim: Scim):
    answer = bulk(
        scim,
        {"method": "POST", "path": "/Users", "bulkId": "u1", "data": {"userName": "hal"}},
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "g1",
            "data": {"displayName": "team", "members": [{"value": "bulkId:u1"}]},
        },
        {
            "method": "PATCH",
            "path": "/Users/bulkId:u1",
            "data": {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            },
        },
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["schemas"] == [BULK_RESPONSE]
    assert [o["status"] for o in doc["Operations"]] == ["201", "201", "200"]
    user_id = doc["Operations"][0]["location"].rsplit("/", 1)[1]
    group = scim("GET", doc["Operations"][1]["location"].removeprefix(scim.base)).json()
    assert [m["value"] for m in group["members"]] == [user_id]
    assert scim("GET", f"/Users/{user_id}").json()["active"] is False
    events = scim.hub.store("main").events(user_id)
    assert {e.reason for e in events} == {"scim tests"} and {e.actor for e in events} == {"alice"}


def test_errors_are_per_operation_and_fail_on_errors_stops(scim: Scim):
    scim.create("ida")
    answer = bulk(
        scim,
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "ida"}},
        {"method": "DELETE", "path": "/Users/nobody"},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"userName": "jon"}},
        failOnErrors=2,
    )
    ops = answer.json()["Operations"]
    assert [o["status"] for o in ops] == ["409", "404"]
    assert ops[0]["response"]["scimType"] == "uniqueness" and ops[0]["response"]["schemas"] == [
        ERROR
    ]
    assert scim("GET", "/Users", params={"filter": 'userName eq "jon"'}).json()["totalResults"] == 0
    unknown = bulk(scim, {"method": "DELETE", "path": "/Users/bulkId:nope"})
    assert unknown.json()["Operations"][0]["status"] == "400"


def test_stale_versions_are_412_inside_bulk(scim: Scim):
    made = scim.create("kim")
    scim.patch(made["id"], {"op": "replace", "path": "displayName", "value": "K"})
    answer = bulk(
        scim,
        {"method": "DELETE", "path": f"/Users/{made['id']}", "version": made["meta"]["version"]},
    )
    assert answer.json()["Operations"][0]["status"] == "412"
    assert scim("GET", f"/Users/{made['id']}").status_code == 200


def test_limits_and_bad_requests(scim: Scim):
    six = [{"method": "DELETE", "path": f"/Users/x{n}"} for n in range(6)]
    too_many = bulk(scim, *six)
    assert too_many.status_code == 413 and too_many.json()["scimType"] == "tooMany"
    assert scim("POST", "/Bulk", json={"Operations": []}).json()["scimType"] == "invalidSyntax"
    del scim.session.headers["Idconnect-Reason"]
    assert bulk(scim, {"method": "DELETE", "path": "/Users/x"}).status_code == 400
