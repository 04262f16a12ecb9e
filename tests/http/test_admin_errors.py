"""The admin API's refusals, family by family: a permission the admin lacks is 403 before any
I/O, a mutation without a reason is 400 with nothing changed, an unknown account is 404, and
bad input (unknown fields, wrong types, limits) is 400 naming the field.

The ``ghost`` store's database cannot be opened: whatever reaches it fails with 503, so a 403
there shows the refusal came before the store was touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.http.admin_env import ALICE, BOB, Api, admin_api

A = "/stores/{store}/accounts/some-id"

REFUSED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/stores/{store}/accounts/bulk", {"action": "disable", "ids": ["x"]}),
    ("POST", "/stores/{store}/groups", {"displayName": "beta"}),
    ("GET", "/stores/{store}/groups", None),
    ("GET", "/stores/{store}/roles", None),
    ("POST", A + "/roles", {"role": "member"}),
    ("GET", A + "/authenticators", None),
    ("POST", A + "/authenticators", {"kind": "email", "value": "a@example.org"}),
    ("PUT", A + "/password", {"password": "correct horse battery"}),
    ("POST", A + "/failed-attempts/reset", {}),
    ("POST", A + "/password-reset", {"client": "shop-web"}),
    ("GET", A + "/sessions", None),
    ("DELETE", A + "/sessions", None),
    ("GET", A + "/verifications", None),
    ("POST", A + "/verifications", {"policy": "document-check", "evidence": "passport"}),
    ("GET", A + "/consents", None),
    ("POST", A + "/consents", {"purpose": "marketing", "version": "1"}),
    ("GET", A + "/activity", None),
    ("GET", A + "/notifications", None),
    ("POST", A + "/notifications", {"event": "password_changed", "client": "shop-web"}),
    ("POST", A + "/impersonations", {"client": "shop-web"}),
    ("GET", "/stores/{store}/impersonations", None),
    ("POST", A + "/export", {"format": "json"}),
]

MUTATIONS = [(m, p, b) for m, p, b in REFUSED if m != "GET" and not p.endswith("/consents")]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with admin_api(Path(tmp_path_factory.mktemp("errors"))) as served:
        yield served


def _send(
    api: Api, method: str, path: str, body: dict[str, Any] | None, **kw: Any
) -> requests.Response:
    return api(method, path, json=body, **kw)


@pytest.mark.parametrize(("method", "path", "body"), REFUSED)
def test_a_permission_the_admin_lacks_is_403_before_any_io(
    api: Api, method: str, path: str, body: dict[str, Any] | None
) -> None:
    ghost = path.format(store="ghost")
    refused = _send(api, method, ghost, body, admin=BOB, headers={"Idconnect-Reason": "t"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "permission_denied"
    assert "bob" in refused.json()["detail"]


def test_the_ghost_store_fails_whatever_reaches_it(api: Api) -> None:
    """The contrast of the 403s: the same request by an admin who may is answered by I/O."""
    path = (A + "/sessions").format(store="ghost")
    assert api("GET", path, admin=ALICE).status_code == 503
    dry = {"action": "disable", "ids": ["x"], "dry_run": True}
    answer = api("POST", "/stores/ghost/accounts/bulk", json=dry, admin=BOB)
    assert answer.status_code == 503, answer.text  # a dry run only reads: bob may


@pytest.mark.parametrize(("method", "path", "body"), MUTATIONS)
def test_a_mutation_without_a_reason_is_400_and_changes_nothing(
    api: Api, method: str, path: str, body: dict[str, Any] | None
) -> None:
    account = next(iter(api.hub.store("main").iter_accounts()))
    target = path.format(store="main").replace("some-id", str(account.id))
    before = len(api.hub.store("main").events(limit=100_000))
    answer = _send(api, method, target, body)
    assert answer.status_code == 400, answer.text
    assert "reason is required" in answer.json()["detail"]
    assert len(api.hub.store("main").events(limit=100_000)) == before


def test_an_overlong_reason_is_400(api: Api) -> None:
    long = {"Idconnect-Reason": "x" * 513}
    assert api("DELETE", "/stores/main/accounts/1/sessions", headers=long).status_code == 400
    body = {"action": "disable", "ids": ["1"], "reason": "x" * 513}
    answer = api("POST", "/stores/main/accounts/bulk", json=body)
    assert answer.status_code == 400 and "reason" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    # the notification log is the hub's: it stays readable for an account deleted since
    [
        (m, p, b)
        for m, p, b in REFUSED
        if "some-id" in p and (m, p[-14:]) != ("GET", "/notifications")
    ],
)
def test_an_unknown_account_is_404(
    api: Api, method: str, path: str, body: dict[str, Any] | None
) -> None:
    target = path.format(store="main").replace("some-id", "nobody-4711")
    answer = _send(api, method, target, body, headers={"Idconnect-Reason": "ticket 1"})
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "not_found"


def test_an_unknown_store_is_404(api: Api) -> None:
    answer = api("GET", "/stores/nowhere/roles")
    assert answer.status_code == 404
    assert "nowhere" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"action": "disable", "ids": ["1"], "colour": "red"}, "unknown field 'colour'"),
        ({"action": "explode", "ids": ["1"]}, "action must be one of"),
        ({"action": "disable", "ids": "1"}, "ids must be a list"),
        ({"action": "disable", "ids": [7]}, "ids[0] must be text"),
        ({"action": "disable", "ids": ["1"], "dry_run": "yes"}, "dry_run must be true or false"),
        ({"action": "disable", "ids": ["1"], "max": 0}, "max must be at least 1"),
        ({"action": "disable", "ids": ["x"] * 1001}, "at most 1000 items"),
        ({"action": "disable"}, "exactly one of ids or filter"),
        ({"action": "disable", "ids": ["1"], "filter": "active pr"}, "exactly one of ids"),
        ({"action": "add-to-group", "ids": ["1"]}, "group is required"),
        ({"ids": ["1"]}, "action is required"),
    ],
)
def test_bad_input_is_400_naming_the_field(api: Api, body: dict[str, Any], says: str) -> None:
    answer = api("POST", "/stores/main/accounts/bulk", json=body, headers={"Idconnect-Reason": "t"})
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["detail"]


def test_bad_query_parameters_and_bodies_are_400(api: Api) -> None:
    assert api("GET", "/stores/main/groups?count=0").status_code == 400
    assert api("GET", "/stores/main/groups?count=many").status_code == 400
    unknown = api("GET", "/stores/main/groups?colour=red")
    assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]
    not_json = api("POST", "/stores/main/groups", data=b"{", headers={"Idconnect-Reason": "t"})
    assert not_json.status_code == 400 and "JSON object" in not_json.json()["detail"]
    listed = api("POST", "/stores/main/groups", json=[1], headers={"Idconnect-Reason": "t"})
    assert listed.status_code == 400


def test_without_a_token_every_family_is_401(api: Api) -> None:
    # one endpoint in three: ten refusals from one address are rate-limited (429)
    for method, path, body in REFUSED[::3]:
        answer = requests.request(
            method, api.base + "/api" + path.format(store="main"), json=body, timeout=30
        )
        assert answer.status_code == 401, (method, path)
