"""The account page over real HTTP on the LDAP store (a throwaway slapd): the sections the
browser walk does not repeat, checked against the directory and the audit trail, and every
section the store lacks saying so instead of failing."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
import requests

from tests.console.account_env import AccountConsole, account_console, notice
from tests.console.conftest import require_ldap


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountConsole]:
    with account_console(tmp_path_factory.mktemp("account-ldap")) as made:
        require_ldap(made)
        yield made


def _account(env: AccountConsole) -> str:
    return env.fresh(
        "directory",
        emails=[{"value": "dir.person@example.org", "primary": True, "verified": True}],
    )


def test_sections_the_directory_lacks_say_so(env: AccountConsole, alice: requests.Session) -> None:
    account_id = _account(env)
    for tab in ("sessions", "authenticators"):
        page = alice.get(env.page("directory", account_id, tab), timeout=30)
        assert page.status_code == 200
        assert '<p class="unsupported">Not supported by this store.</p>' in page.text
    roles = alice.get(env.page("directory", account_id, "roles"), timeout=30).text
    assert "Assigning roles is not supported by this store." in roles
    assert 'id="open-sessions"' not in roles  # no "Delete sessions" on a store without them
    forced = env.post(alice, "directory", account_id, "sessions/revoke-all", reason="forced")
    assert forced.status_code == 501 and "cannot revoke sessions" in forced.text
    forced = env.post(alice, "directory", account_id, "roles/assign", role="x", reason="forced")
    assert forced.status_code == 501


def test_unlock_enable_export_impersonate_and_reset_link(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = _account(env)
    store = env.hub.store("directory")
    assert "Failed attempts reset" in notice(
        env.post(alice, "directory", account_id, "unlock", reason="locked out")
    )
    env.by_alice("directory", account_id, "reset_failed_attempts", "locked out")
    env.post(alice, "directory", account_id, "disable", reason="leave")
    assert not store.get_account(account_id).active
    assert "Account enabled" in notice(
        env.post(alice, "directory", account_id, "enable", reason="back from leave")
    )
    assert store.get_account(account_id).active
    env.by_alice("directory", account_id, "enable_account", "back from leave")
    exported = env.post(
        alice, "directory", account_id, "export", format="json", reason="data request"
    )
    assert json.loads(exported.text)["account"]["id"] == account_id
    env.by_alice("directory", account_id, "export_account", "data request")
    done = env.post(
        alice, "directory", account_id, "impersonate", client="shop-web", reason="see the bug"
    )
    assert "impersonation_token=" in done.text
    assert [g.admin for g in store.impersonations(account_id)] == ["alice"]
    before = len(env.inbox.messages)
    sent = env.post(
        alice, "directory", account_id, "reset-link", client="shop-web", reason="forgot it"
    )
    alert = re.search(r'<p class="error" role="alert" id="action-error">(.*?)</p>', sent.text)
    assert alert and "could not be sent: the account has no verified email" in alert.group(1)
    assert len(env.inbox.messages) == before  # the directory keeps no verified flag
    env.by_alice("directory", account_id, "send_password_reset", "forgot it")
    log = alice.get(env.page("directory", account_id, "notifications"), timeout=30).text
    assert "failed: the account has no verified email address" in log


def test_groups_remove_verification_revoke_and_the_timeline(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = _account(env)
    store = env.hub.store("directory")
    group = env.group("ldap-http", store="directory")
    env.post(alice, "directory", account_id, "groups/add", group=group, reason="join")
    assert [g.value for g in store.get_account(account_id).groups] == [group]
    done = env.post(alice, "directory", account_id, "groups/remove", group=group, reason="leave")
    assert "Removed from group" in notice(done)
    assert store.get_account(account_id).groups == ()
    env.by_alice("directory", account_id, "remove_group_member", "leave")
    env.post(
        alice,
        "directory",
        account_id,
        "verification/verify",
        policy="document-check",
        evidence="id card",
        reason="branch visit",
    )
    [record] = store.verifications(account_id)
    done = env.post(
        alice,
        "directory",
        account_id,
        "verification/revoke",
        verification=record.id,
        reason="card reported stolen",
    )
    assert "revoked" in notice(done)
    assert store.verifications(account_id)[0].revoke_reason == "card reported stolen"
    env.by_alice("directory", account_id, "revoke_verification", "card reported stolen")
    timeline = alice.get(env.page("directory", account_id, "activity"), timeout=30).text
    for action in ("add_group_member", "remove_group_member", "revoke_verification"):
        assert action in timeline
    assert "Reason: card reported stolen" in html.unescape(timeline)
