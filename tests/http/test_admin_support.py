"""The admin API's support-desk families over real HTTP on the sql store: credentials, sessions,
verifications, consents, activity, notifications, reset links, impersonation and export; no
secret (password, token, link) in any answer but the one impersonation link, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from idconnect.core.model import Account
from tests.http.admin_env import Api, admin_api

REASON = {"Idconnect-Reason": "call 88"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with admin_api(tmp_path) as served:
        yield served


def _customer(api: Api, *, sessions: bool = False) -> Account:
    """A seeded account without an organization (told through shop-web), or one with sessions."""
    store = api.hub.store("main")
    if sessions:
        return next(a for a in store.iter_accounts() if len(store.list_sessions(str(a.id))) > 1)
    return next(a for a in store.iter_accounts() if a.organization is None)


def test_authenticators_password_and_failed_attempts(api: Api) -> None:
    account = _customer(api)
    base = f"/stores/main/accounts/{account.id}"
    before = api("GET", base + "/authenticators").json()
    body = {"kind": "phone", "value": "+447700900123", "verified": True, "reason": "call 88"}
    added = api("POST", base + "/authenticators", json=body)
    assert added.status_code == 201, added.text
    method = added.json()
    assert method["kind"] == "phone" and method["verified"] is True
    assert "+447700900123" not in added.text  # the label is masked
    assert len(api("GET", base + "/authenticators").json()) == len(before) + 1
    removed = api("DELETE", f"{base}/authenticators/{method['id']}", headers=REASON)
    assert removed.status_code == 204
    assert len(api("GET", base + "/authenticators").json()) == len(before)
    secret = "correct horse battery staple"
    changed = api("PUT", base + "/password", json={"password": secret}, headers=REASON)
    assert changed.status_code == 204 and changed.content == b""
    events = api.hub.store("main").events(str(account.id), action="set_password")
    assert [e.reason for e in events] == ["call 88"]
    assert all(secret not in repr(e) for e in api.hub.store("main").events(str(account.id)))
    short = api("PUT", base + "/password", json={"password": "tiny7"}, headers=REASON)
    assert short.status_code == 400 and "tiny7" not in short.text
    unlocked = api("POST", base + "/failed-attempts/reset", json={"reason": "locked out"})
    assert unlocked.status_code == 204


def test_a_reset_link_goes_to_the_customer_never_into_the_answer(api: Api) -> None:
    account = _customer(api)
    base = f"/stores/main/accounts/{account.id}"
    sent = api("POST", base + "/password-reset", json={"client": "shop-web", "reason": "r"})
    assert sent.status_code == 202, sent.text
    doc = sent.json()
    assert doc["event"] == "password_reset_requested" and doc["client"] == "shop-web"
    assert doc["status"] == "failed" and doc["cause"]  # nobody listens on the SMTP port
    assert "[hidden]" in doc["content"] and "reset?token=" not in sent.text
    refused = api("POST", base + "/password-reset", json={"client": "portal-web", "reason": "r"})
    assert refused.status_code == 400  # the selection rules: no organization, no portal


def test_sessions_list_revoke_one_and_all(api: Api) -> None:
    account = _customer(api, sessions=True)
    base = f"/stores/main/accounts/{account.id}/sessions"
    listed = api("GET", base).json()
    assert len(listed) > 1 and all("id" in s for s in listed)
    assert api("DELETE", f"{base}/{listed[0]['id']}", headers=REASON).status_code == 204
    assert len(api("GET", base).json()) == len(listed) - 1
    ended = api("DELETE", base, headers=REASON)
    assert ended.status_code == 200 and ended.json() == {"revoked": len(listed) - 1}
    assert api("GET", base).json() == []


def test_verifications_verify_list_and_revoke(api: Api) -> None:
    base = f"/stores/main/accounts/{_customer(api).id}/verifications"
    body = {"policy": "document-check", "evidence": "passport, ref 4711", "reason": "call 88"}
    made = api("POST", base, json=body)
    assert made.status_code == 201, made.text
    record = made.json()
    assert (record["status"], record["level"], record["verifiedBy"]) == (
        "valid",
        "substantial",
        "alice",
    )
    unknown = api("POST", base, json={**body, "policy": "palm-reading"})
    assert unknown.status_code == 400 and "palm-reading" in unknown.json()["detail"]
    revoked = api("POST", f"{base}/{record['id']}/revoke", json={"reason": "identity at risk"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert api("POST", f"{base}/{record['id']}/revoke", json={"reason": "x"}).status_code == 409
    assert [v["status"] for v in api("GET", base).json()] == ["revoked"]


def test_consents_record_list_and_revoke(api: Api) -> None:
    base = f"/stores/main/accounts/{_customer(api).id}/consents"
    first = api("POST", base, json={"purpose": "marketing-email", "version": "1"})
    assert first.status_code == 201, first.text
    again = {"purpose": "marketing-email", "version": "2", "agreedAt": "2030-01-01T00:00:00Z"}
    assert api("POST", base, json=again).status_code == 400  # not in the future
    second = api("POST", base, json={"purpose": "marketing-email", "version": "2"}).json()
    body = {"byCustomer": True, "reason": "opted out in app"}
    ended = api("POST", f"{base}/{second['id']}/revoke", json=body)
    assert ended.status_code == 200 and ended.json()["endedHow"] == "revoked_by_customer"
    log = api("GET", base).json()
    assert [c["endedHow"] for c in log] == ["revoked_by_customer", "superseded"]


def test_activity_merges_the_audit_trail_and_pages_with_a_cursor(api: Api) -> None:
    account = _customer(api)
    base = f"/stores/main/accounts/{account.id}"
    for n in range(3):
        api("POST", base + "/failed-attempts/reset", json={"reason": f"call {n}"})
    first = api("GET", base + "/activity", params={"kind": "admin", "count": 2}).json()
    assert [r["reason"] for r in first["items"]] == ["call 2", "call 1"]
    rest = api("GET", base + "/activity", params={"kind": "admin", "cursor": first["nextCursor"]})
    assert [r["reason"] for r in rest.json()["items"]] == ["call 0"]
    assert "nextCursor" not in rest.json()
    bad = api("GET", base + "/activity", params={"kind": "teleported"})
    assert bad.status_code == 400


def test_notifications_clients_notify_list_and_show(api: Api) -> None:
    base = f"/stores/main/accounts/{_customer(api).id}"
    clients = api("GET", base + "/clients").json()
    assert clients == [{"name": "shop-web", "application": "shop"}]
    body = {"event": "password_changed", "client": "shop-web", "reason": "told on the phone"}
    sent = api("POST", base + "/notifications", json=body)
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "failed" and "cause" in sent.json()
    page = api("GET", base + "/notifications", params={"count": 10}).json()
    assert [n["id"] for n in page["Resources"]] == [sent.json()["id"]]
    shown = api("GET", f"{base}/notifications/{sent.json()['id']}")
    assert shown.status_code == 200 and shown.json()["event"] == "password_changed"


def test_impersonation_answers_the_link_once(api: Api) -> None:
    account = _customer(api)
    base = f"/stores/main/accounts/{account.id}"
    issued = api("POST", base + "/impersonations", json={"client": "shop-web", "reason": "t 1"})
    assert issued.status_code == 201, issued.text
    grant = issued.json()
    query = parse_qs(urlsplit(grant["link"]).query)
    token = query["impersonation_token"][0]
    assert grant["status"] == "pending" and grant["admin"] == "alice"
    listed = api("GET", "/stores/main/impersonations", params={"account": str(account.id)})
    assert [g["id"] for g in listed.json()] == [grant["id"]]
    assert token not in listed.text and "link" not in listed.json()[0]
    revoked = api("POST", f"/stores/main/impersonations/{grant['id']}/revoke", headers=REASON)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert token not in revoked.text


def test_export_as_json_and_as_an_html_page(api: Api) -> None:
    account = _customer(api)
    base = f"/stores/main/accounts/{account.id}/export"
    doc = api("POST", base, json={"reason": "data request 7"})
    assert doc.status_code == 200, doc.text
    assert doc.json()["account"]["id"] == account.id and "sessions" in doc.json()
    page = api("POST", base, json={"format": "html", "reason": "data request 7"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert account.user_name in page.text
    events = api.hub.store("main").events(str(account.id), action="export_account")
    assert [e.reason for e in events] == ["data request 7", "data request 7"]


def test_notify_after_a_change_reports_each_message_and_the_change_stands(api: Api) -> None:
    store = api.hub.store("main")
    targets = [str(a.id) for a in store.iter_accounts() if a.organization is None][:2]
    body = {"action": "disable", "ids": targets, "notify": "shop-web", "reason": "fraud"}
    answer = api("POST", "/stores/main/accounts/bulk", json=body)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["succeeded"] == 2
    assert sorted(n["accountId"] for n in doc["notifications"]) == sorted(targets)
    assert all(n["status"] == "failed" and n["cause"] for n in doc["notifications"])
    assert not any(store.get_account(t).active for t in targets)
    added = api(
        "POST",
        f"/stores/main/accounts/{targets[0]}/authenticators",
        json={"kind": "email", "value": "new@example.org", "notify": "shop-web", "reason": "r"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["result"]["kind"] == "email"
    assert [n["event"] for n in added.json()["notifications"]] == ["authenticator_added"]
    # a client these customers may not be told through: each message fails, naming the rule
    refused = {**body, "action": "enable", "notify": "portal-web"}
    answer = api("POST", "/stores/main/accounts/bulk", json=refused)
    assert answer.json()["succeeded"] == 2
    causes = [n["cause"] for n in answer.json()["notifications"]]
    assert len(causes) == 2 and all("organization" in c for c in causes), causes
    assert all(store.get_account(t).active for t in targets)
