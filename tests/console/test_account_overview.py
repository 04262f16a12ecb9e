"""The account page's overview panel over real HTTP (uvicorn, the console's cookie session and
CSRF token) on the seeded SQLite sql stores: its facts and every action, checked against the
store's state and the audit trail; refusals (no reason, no permission, no confirmation, no CSRF
token) change nothing; hostile values render inert."""

from __future__ import annotations

import html
import json
import re

import pytest
import requests

from idconnect.core.notification import MASK
from tests.console.account_env import (
    HOSTILE,
    AccountConsole,
    alert,
    notice,
    session_for,
)

CUSTOM = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes"


@pytest.fixture(scope="module")
def sam(env: AccountConsole) -> requests.Session:
    return session_for(env, "sam")


def test_overview_shows_the_facts_labels_and_every_tab(
    env: AccountConsole, alice: requests.Session
) -> None:
    account = env.demo("failedAttempts.password gt 0 and organization pr")
    page = alice.get(env.page("demo", str(account.id)), timeout=30)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f'<dd id="organization">{account.organization}</dd>' in text
    assert (
        f"Password: {account.failed_attempts.password}, OTP: {account.failed_attempts.otp}" in text
    )
    assert "Enabled" in text and "Not disabled" in text
    for title in ("Attributes", "Activity", "Notifications", "Groups", "Roles"):
        assert f">{title}</a>" in text
    for tab in ("authenticators", "sessions", "verification", "consents", "activity"):
        other = alice.get(env.page("demo", str(account.id), tab), timeout=30)
        assert other.status_code == 200 and 'id="failed-attempts"' in other.text  # the panel


def test_dialogs_open_in_the_page_without_javascript(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh()
    closed = alice.get(env.page("main", account_id), timeout=30).text
    assert '<dialog id="dialog-disable" aria-labelledby="dialog-disable-title">' in closed
    opener = re.search(r'<a class="button" href="([^"]+)"\s+data-dialog="dialog-disable"', closed)
    assert opener, closed
    shown = alice.get(env.url + html.unescape(opener.group(1)), timeout=30).text
    assert '<dialog id="dialog-disable" aria-labelledby="dialog-disable-title" open>' in shown
    assert '<dialog id="dialog-delete" aria-labelledby="dialog-delete-title">' in shown


def test_reset_failed_attempts_needs_a_reason_and_is_audited(
    env: AccountConsole, alice: requests.Session
) -> None:
    account = env.demo("failedAttempts.password gt 0")
    refused = env.post(alice, "demo", str(account.id), "unlock", reason="")
    assert refused.status_code == 400 and "reason" in alert(refused)
    store = env.hub.store("demo")
    assert store.get_account(str(account.id)).failed_attempts.password > 0
    done = env.post(alice, "demo", str(account.id), "unlock", reason="customer called")
    assert done.status_code == 200 and "Failed attempts reset" in notice(done)
    after = store.get_account(str(account.id)).failed_attempts
    assert (after.password, after.otp) == (0, 0)
    env.by_alice("demo", str(account.id), "reset_failed_attempts", "customer called")


@pytest.mark.parametrize(
    ("action", "fields", "audited"),
    [
        ("disable", {}, "disable_account"),
        ("delete", {"confirm": "ID"}, "delete_account"),
        ("attributes", {"attr:displayName": "No Reason"}, "update_account"),
        ("password", {"password": "Pass-word-123", "confirm": "Pass-word-123"}, "set_password"),
        ("reset-link", {"client": "shop-web"}, "send_password_reset"),
        ("export", {"format": "json"}, "export_account"),
        ("impersonate", {"client": "shop-web"}, "impersonate"),
        ("roles/assign", {"role": "viewer"}, "assign_role"),
        ("authenticators/add", {"kind": "email", "value": "x@example.org"}, "add_authenticator"),
        ("verification/verify", {"policy": "document-check", "evidence": "e"}, "verify_identity"),
    ],
)
def test_every_action_needs_a_reason(
    env: AccountConsole,
    alice: requests.Session,
    action: str,
    fields: dict[str, str],
    audited: str,
) -> None:
    account_id = env.fresh()
    fields = {k: account_id if v == "ID" else v for k, v in fields.items()}
    for reason in ("", "   "):
        refused = env.post(alice, "main", account_id, action, reason=reason, **fields)
        assert refused.status_code == 400 and "a reason" in alert(refused)
    assert not env.events("main", account_id, audited)
    account = env.hub.store("main").get_account(account_id)
    assert account.active and account.display_name != "No Reason"


def test_set_password_directly_never_echoes_it(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh()
    secret = "Brand-new-secret-42"
    differ = env.post(
        alice, "main", account_id, "password", password=secret, confirm="other", reason="r"
    )
    assert differ.status_code == 400 and "differ" in alert(differ)
    assert not env.events("main", account_id, "set_password")
    done = env.post(
        alice, "main", account_id, "password", password=secret, confirm=secret, reason="locked out"
    )
    assert done.status_code == 200 and "Password changed" in notice(done)
    assert secret not in done.text
    event = env.by_alice("main", account_id, "set_password", "locked out")
    assert secret not in repr(event)


def test_reset_link_goes_through_a_client_of_the_organization_rules(
    env: AccountConsole, alice: requests.Session
) -> None:
    member = env.demo("organization pr")
    loner = env.demo("not (organization pr)")
    member_page = alice.get(env.page("demo", str(member.id)), timeout=30).text
    loner_page = alice.get(env.page("demo", str(loner.id)), timeout=30).text
    assert '<option value="portal-web">' in member_page
    assert '<option value="shop-web">' not in member_page
    assert '<option value="shop-web">' in loner_page
    assert '<option value="portal-web">' not in loner_page
    before = len(env.inbox.messages)
    done = env.post(
        alice, "demo", str(loner.id), "reset-link", client="shop-web", reason="forgot password"
    )
    assert done.status_code == 200 and "reset link sent" in notice(done)
    assert len(env.inbox.messages) == before + 1
    link = env.inbox.link()
    assert link.split("=", 1)[1] not in done.text
    env.by_alice("demo", str(loner.id), "send_password_reset", "forgot password")
    wrong = env.post(
        alice, "demo", str(loner.id), "reset-link", client="portal-web", reason="wrong client"
    )
    assert wrong.status_code == 400 and "portal-web" in alert(wrong)
    assert len(env.inbox.messages) == before + 1
    log = alice.get(env.page("demo", str(loner.id), "notifications"), timeout=30).text
    entry = re.search(r'show=([0-9a-f]+)"', log)
    assert entry, log
    shown = alice.get(
        env.page("demo", str(loner.id), "notifications") + f"&show={entry.group(1)}", timeout=30
    ).text
    content = re.search(r'<pre class="content" id="notification-content">(.*?)</pre>', shown, re.S)
    assert content and link.split("=", 1)[1] not in shown
    assert f"new password: {MASK}" in html.unescape(content.group(1))


def test_export_downloads_json_and_html_and_is_audited(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh()
    as_json = env.post(alice, "main", account_id, "export", format="json", reason="data request")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert "attachment" in as_json.headers["content-disposition"]
    assert json.loads(as_json.text)["account"]["id"] == account_id
    as_html = env.post(alice, "main", account_id, "export", format="html", reason="data request")
    assert as_html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in as_html.headers["content-security-policy"]
    assert len(env.events("main", account_id, "export_account")) == 2
    env.by_alice("main", account_id, "export_account", "data request")


def test_impersonation_link_is_shown_once(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh()
    done = env.post(
        alice, "main", account_id, "impersonate", client="shop-web", reason="reproduce a bug"
    )
    assert done.status_code == 200
    link = re.search(r'<code id="impersonation-link">(.*?)</code>', done.text)
    assert link and html.unescape(link.group(1)).startswith(
        "https://shop.example.com/login?impersonation_token="
    )
    again = alice.get(env.page("main", account_id), timeout=30)
    assert "impersonation_token" not in again.text
    grants = env.hub.store("main").impersonations(account_id)
    assert [(g.admin, g.client, g.reason) for g in grants] == [
        ("alice", "shop-web", "reproduce a bug")
    ]
    env.by_alice("main", account_id, "impersonate", "reproduce a bug")


def test_disable_and_enable(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh()
    store = env.hub.store("main")
    done = env.post(alice, "main", account_id, "disable", reason="fraud suspected")
    assert "Account disabled" in notice(done)
    account = store.get_account(account_id)
    assert not account.active and account.disabled_at is not None
    assert "Enable account" in done.text and "Disabled" in done.text
    env.by_alice("main", account_id, "disable_account", "fraud suspected")
    done = env.post(alice, "main", account_id, "enable", reason="cleared")
    assert store.get_account(account_id).active
    env.by_alice("main", account_id, "enable_account", "cleared")


def test_sessions_revoke_one_then_all(env: AccountConsole, alice: requests.Session) -> None:
    store = env.hub.store("demo")
    account = next(a for a in store.iter_accounts() if len(store.list_sessions(str(a.id))) > 1)
    account_id = str(account.id)
    sessions = store.list_sessions(account_id)
    tab = alice.get(env.page("demo", account_id, "sessions"), timeout=30).text
    for session in sessions:
        assert html.escape(session.ip_address or "unknown") in tab
        assert f'name="session" value="{session.id}"' in tab
    done = env.post(
        alice, "demo", account_id, "sessions/revoke", session=sessions[0].id, reason="lost phone"
    )
    assert "Session revoked" in notice(done)
    assert [s.id for s in store.list_sessions(account_id)] == [s.id for s in sessions[1:]]
    env.by_alice("demo", account_id, "revoke_session", "lost phone")
    done = env.post(alice, "demo", account_id, "sessions/revoke-all", reason="account takeover")
    assert f"{len(sessions) - 1} session(s) deleted" in notice(done)
    assert store.list_sessions(account_id) == []
    env.by_alice("demo", account_id, "revoke_sessions", "account takeover")


def test_delete_needs_the_id_typed_and_is_irreversible(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh()
    store = env.hub.store("main")
    refused = env.post(alice, "main", account_id, "delete", confirm="yes", reason="gdpr")
    assert refused.status_code == 400 and "confirm" in alert(refused)
    assert store.get_account(account_id).id == account_id
    done = env.post(alice, "main", account_id, "delete", confirm=account_id, reason="gdpr")
    assert done.status_code == 200 and "Account deleted" in done.text
    assert "/console/stores/main/accounts" in done.text
    assert alice.get(env.page("main", account_id), timeout=30).status_code == 404
    env.by_alice("main", account_id, "delete_account", "gdpr")


def test_an_admin_without_the_permission_is_not_offered_and_is_refused(
    env: AccountConsole, sam: requests.Session
) -> None:
    account_id = env.fresh()
    page = sam.get(env.page("main", account_id), timeout=30).text
    for absent in (
        "Delete account",
        "Download account information",
        "Impersonate",
        "Update password",
    ):
        assert absent not in page
    assert "Disable account" in page  # sam may enable and disable
    assert 'name="attr:displayName"' not in page  # no accounts.update
    store = env.hub.store("main")
    for action, fields in (
        ("delete", {"confirm": account_id}),
        ("export", {"format": "json"}),
        ("impersonate", {"client": "shop-web"}),
        ("password", {"password": "Another-pass-99", "confirm": "Another-pass-99"}),
        ("attributes", {"attr:displayName": "Sam was here"}),
    ):
        forced = env.post(sam, "main", account_id, action, reason="forced", **fields)
        assert forced.status_code == 403, action
        assert "sam" in alert(forced) and "lacks permission" in alert(forced)
    account = store.get_account(account_id)
    assert account.display_name != "Sam was here"
    assert store.impersonations(account_id) == []
    denied = [e for e in env.hub.state.events("main", account_id=account_id) if e.actor == "sam"]
    assert {e.outcome for e in denied} == {"denied"} and len(denied) >= 4
    done = env.post(sam, "main", account_id, "disable", reason="allowed")
    assert done.status_code == 200 and not store.get_account(account_id).active


def test_a_post_without_the_csrf_token_changes_nothing(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh()
    refused = alice.post(
        env.page("main", account_id) + "/disable", data={"reason": "csrf"}, timeout=30
    )
    assert refused.status_code == 403
    assert env.hub.store("main").get_account(account_id).active
    assert not env.events("main", account_id, "disable_account")


def test_hostile_values_render_inert(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh(
        displayName=HOSTILE,
        **{CUSTOM: {"loyaltyTier": HOSTILE, "profileUrl": "javascript:alert(3)"}},
    )
    rita = session_for(env, "rita")  # reads only: values as text and links, not fields
    for http in (alice, rita):
        page = http.get(env.page("main", account_id), timeout=30).text
        assert "<script>alert" not in page and '" onmouseover="alert' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert 'href="javascript:' not in page and "javascript:alert(3)" in page
    store = env.hub.store("main")
    group = env.group(f"{HOSTILE} {account_id[:6]}")
    store.add_to_group(group, [account_id], reason="hostile")
    store.assign_role(account_id, HOSTILE, organization=HOSTILE, reason="hostile")
    for tab in ("groups", "roles", "activity"):
        page = alice.get(env.page("main", account_id, tab), timeout=30).text
        assert "<script>alert" not in page and '" onmouseover="alert' not in page, tab
    roles = alice.get(env.page("main", account_id, "roles"), timeout=30).text
    assert 'name="role" value="&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=' in roles
    safe = env.fresh(**{CUSTOM: {"profileUrl": "https://example.org/p/1"}})
    linked = rita.get(env.page("main", safe), timeout=30).text
    assert 'href="https://example.org/p/1"' in linked


def test_unknown_store_and_account_are_error_pages(
    env: AccountConsole, alice: requests.Session
) -> None:
    assert alice.get(env.page("nowhere", "x"), timeout=30).status_code == 404
    assert alice.get(env.page("main", "no-such-account"), timeout=30).status_code == 404
