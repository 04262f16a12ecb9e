"""SCIM Users over real HTTP: CRUD, ETags, listing (filters, sorting, index and cursor pages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from idconnect.core.api_tokens import issue_token
from tests.http.scim_env import ERROR, Scim, scim_service


@pytest.fixture
def scim(tmp_path: Path) -> Iterator[Scim]:
    with scim_service(tmp_path) as service:
        yield service


def test_create_read_replace_delete(scim: Scim):
    made = scim.create("ann", emails=[{"value": "ann@example.org", "type": "work"}])
    assert made["meta"]["location"] == f"{scim.base}/Users/{made['id']}"
    read = scim("GET", f"/Users/{made['id']}")
    assert read.status_code == 200
    assert read.headers["ETag"] == made["meta"]["version"]
    assert read.headers["Content-Type"].startswith("application/scim+json")
    assert read.json()["emails"][0]["value"] == "ann@example.org"
    put = scim(
        "PUT",
        f"/Users/{made['id']}",
        json={"userName": "ann", "displayName": "Ann A", "active": False},
        headers={"If-Match": made["meta"]["version"]},
    )
    assert put.status_code == 200, put.text
    replaced = put.json()
    assert replaced["displayName"] == "Ann A" and replaced["active"] is False
    assert "emails" not in replaced
    assert replaced["meta"]["version"] != made["meta"]["version"]
    assert scim("DELETE", f"/Users/{made['id']}").status_code == 204
    gone = scim("GET", f"/Users/{made['id']}")
    assert gone.status_code == 404 and gone.json()["schemas"] == [ERROR]


def test_if_none_match_is_304_while_unchanged_and_if_match_stale_is_412(scim: Scim):
    made = scim.create("ben")
    tag = made["meta"]["version"]
    assert scim("GET", f"/Users/{made['id']}", headers={"If-None-Match": tag}).status_code == 304
    changed = scim.patch(
        made["id"],
        {"op": "replace", "path": "displayName", "value": "Ben"},
        headers={"If-Match": tag},
    )
    assert changed.status_code == 200
    stale = scim.patch(
        made["id"],
        {"op": "replace", "path": "displayName", "value": "B"},
        headers={"If-Match": tag},
    )
    assert stale.status_code == 412 and stale.json()["status"] == "412"
    assert scim("GET", f"/Users/{made['id']}").json()["displayName"] == "Ben"
    assert scim("GET", f"/Users/{made['id']}", headers={"If-None-Match": tag}).status_code == 200
    assert scim("DELETE", f"/Users/{made['id']}", headers={"If-Match": tag}).status_code == 412


def test_changes_need_a_reason_and_are_audited_as_the_tokens_admin(scim: Scim):
    del scim.session.headers["Idconnect-Reason"]
    refused = scim("POST", "/Users", json={"userName": "cal"})
    assert refused.status_code == 400 and "Idconnect-Reason" in refused.json()["detail"]
    scim.session.headers["Idconnect-Reason"] = "ticket 9"
    made = scim.create("cal")
    [event] = scim.hub.store("main").events(made["id"])
    assert (event.action, event.actor, event.reason) == ("create_account", "alice", "ticket 9")


def test_a_taken_user_name_is_409_uniqueness(scim: Scim):
    scim.create("dan")
    taken = scim("POST", "/Users", json={"userName": "DAN"})
    assert taken.status_code == 409 and taken.json()["scimType"] == "uniqueness"


def test_filter_sort_projection_and_index_pages(scim: Scim):
    for n in range(7):
        scim.create(f"user{n}", displayName=f"U {6 - n}", emails=[{"value": f"u{n}@x.org"}])
    listed = scim(
        "GET",
        "/Users",
        params={
            "filter": 'userName sw "user" and not (userName eq "user3")',
            "sortBy": "displayName",
            "sortOrder": "descending",
            "startIndex": 2,
            "count": 3,
            "attributes": "userName",
        },
    ).json()
    assert listed["totalResults"] == 6 and listed["startIndex"] == 2
    assert [r["userName"] for r in listed["Resources"]] == ["user1", "user2", "user4"]
    assert all(set(r) == {"schemas", "id", "meta", "userName"} for r in listed["Resources"])
    excluded = scim(
        "GET", "/Users", params={"excludedAttributes": "emails,meta", "count": 1}
    ).json()
    assert "emails" not in excluded["Resources"][0] and "meta" in excluded["Resources"][0]
    searched = scim(
        "POST",
        "/Users/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'emails.value ew "@x.org"',
            "count": 0,
        },
    ).json()
    assert searched["totalResults"] == 7 and searched["Resources"] == []


def test_cursor_pages_walk_every_user_once(scim: Scim):
    made = {scim.create(f"c{n:02}")["id"] for n in range(11)}
    seen: list[str] = []
    params = {"cursor": "", "count": 4}
    while True:
        page = scim("GET", "/Users", params=params).json()
        seen += [r["id"] for r in page["Resources"]]
        assert page["itemsPerPage"] <= 4
        if "nextCursor" not in page:
            break
        params = {"cursor": page["nextCursor"], "count": 4}
    assert sorted(seen) == sorted(made) and len(seen) == 11
    bad = scim("GET", "/Users", params={"cursor": "not-a-cursor", "count": 4})
    assert bad.status_code == 400


def test_password_is_write_only(scim: Scim):
    made = scim.create("eve", password="correct horse battery")
    assert "password" not in made
    events = scim.hub.store("main").events(made["id"])
    assert [e.action for e in events] == ["create_account", "set_password"]
    short = scim.patch(made["id"], {"op": "replace", "path": "password", "value": "x"})
    assert short.status_code == 400


def test_unknown_store_is_404_and_reader_cannot_write(scim: Scim):
    assert scim.session.get(f"{scim.url}/scim/v2/nope/Users", timeout=10).status_code == 404
    token, _ = issue_token(scim.hub, admin="bob", reason="tests")
    headers = {"Authorization": f"Bearer {token}", "Idconnect-Reason": "try"}
    assert requests.get(f"{scim.base}/Users", headers=headers, timeout=10).status_code == 200
    denied = requests.post(
        f"{scim.base}/Users", json={"userName": "x"}, headers=headers, timeout=10
    )
    assert denied.status_code == 403 and denied.json()["schemas"] == [ERROR]


@pytest.mark.parametrize(
    ("scheme", "server", "host", "root"),
    [
        ("http", ("10.0.0.5", 8080), b"idconnect.example:8443", ""),
        ("https", ("10.0.0.5", 443), None, "/idc"),
        ("http", ("10.0.0.5", 80), None, ""),
        ("http", ("10.0.0.5", 8080), None, ""),
        ("https", ("10.0.0.5", 8443), None, ""),
    ],
)
def test_base_url_is_the_url_starlette_gives(scheme, server, host, root):
    from starlette.requests import Request

    from idconnect.http.calls import ROOT_KEY
    from idconnect.http.scim.users import base_url

    scope = {
        ROOT_KEY: root,  # as the access log sets it
        "type": "http",
        "scheme": scheme,
        "server": server,
        "root_path": root,
        "path": f"{root}/scim/v2/main/Users",
        "query_string": b"",
        "headers": [] if host is None else [(b"host", host)],
        "path_params": {"store": "main"},
    }
    request = Request(scope)
    expected = f"{request.url.scheme}://{request.url.netloc}{root}/scim/v2/main"
    assert base_url(request) == expected
