"""The account page's tabs over real HTTP on the seeded SQLite sql store: attributes (the
version, notify), activity, groups, roles, authenticators, identity verification, consents,
checked against the store's state and the audit trail."""

from __future__ import annotations

import re

import requests

from tests.console.account_env import (
    AccountConsole,
    alert,
    notice,
    session_for,
)

CUSTOM = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes"


def test_attributes_edit_with_the_version_and_notify(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh(
        emails=[{"value": "barbara@example.org", "primary": True, "verified": True}],
        **{CUSTOM: {"loyaltyTier": "bronze", "internalNote": "vip"}},
    )
    store = env.hub.store("main")
    page = alice.get(env.page("main", account_id), timeout=30).text
    version = re.search(r'name="version" value="([^"]*)"', page)
    assert version and version.group(1) == store.get_account(account_id).version
    assert 'name="attr:displayName"' in page and 'name="attr:loyaltyTier"' in page
    assert 'name="attr:internalNote"' not in page and "vip" in page  # shown, read-only
    assert 'name="attr:meta.created"' not in page
    fields = {
        "attr:displayName": "Barbara Jensen",
        "attr:loyaltyTier": "gold",
        "attr:loyaltyPoints": "120",
        "version": version.group(1),
    }
    before = len(env.inbox.messages)
    done = env.post(
        alice, "main", account_id, "attributes", reason="name change", notify="shop-web", **fields
    )
    assert "Saved: displayName, loyaltyPoints, loyaltyTier." in notice(done)
    assert "through shop-web was sent" in notice(done)
    assert len(env.inbox.messages) == before + 1
    account = store.get_account(account_id)
    assert account.display_name == "Barbara Jensen"
    assert account.attributes["loyaltyTier"] == "gold"
    assert account.attributes["loyaltyPoints"] == 120
    event = env.by_alice("main", account_id, "update_account", "name change")
    assert {"displayName", "attributes"} <= set(event.changed) or "displayName" in event.changed
    stale = env.post(
        alice,
        "main",
        account_id,
        "attributes",
        reason="second edit",
        **{**fields, "attr:displayName": "Babs"},
    )
    assert stale.status_code == 409 and "changed since this page was read" in alert(stale)
    assert store.get_account(account_id).display_name == "Barbara Jensen"
    forced = env.post(
        alice, "main", account_id, "attributes", reason="x", **{"attr:internalNote": "hacked"}
    )
    assert forced.status_code == 400 and "internalNote" in alert(forced)
    assert store.get_account(account_id).attributes["internalNote"] == "vip"
    typed = env.post(
        alice,
        "main",
        account_id,
        "attributes",
        reason="x",
        version=str(store.get_account(account_id).version),
        **{"attr:loyaltyPoints": "many"},
    )
    assert typed.status_code == 400 and "loyaltyPoints" in alert(typed)


def test_activity_shows_the_audit_trail(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh()
    env.post(alice, "main", account_id, "disable", reason="timeline check")
    tab = alice.get(env.page("main", account_id, "activity"), timeout=30).text
    assert "disable_account" in tab and "Reason: timeline check" in tab and "alice" in tab


def test_groups_add_and_remove(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh()
    group = env.group(f"gold-{account_id[:6]}")
    store = env.hub.store("main")
    tab = alice.get(env.page("main", account_id, "groups"), timeout=30).text
    assert f'<option value="{group}">' in tab and "This account is in no group" in tab
    done = env.post(alice, "main", account_id, "groups/add", group=group, reason="upgrade")
    assert "Added to group" in notice(done)
    assert [g.value for g in store.get_account(account_id).groups] == [group]
    env.by_alice("main", account_id, "add_group_member", "upgrade")
    done = env.post(alice, "main", account_id, "groups/remove", group=group, reason="downgrade")
    assert "Removed from group" in notice(done)
    assert store.get_account(account_id).groups == ()
    env.by_alice("main", account_id, "remove_group_member", "downgrade")


def test_groups_to_add_are_found_by_name(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh()
    alpha = env.group(f"find-alpha-{account_id[:6]}")
    beta = env.group(f"find-beta-{account_id[:6]}")
    tab = env.page("main", account_id, "groups")
    found = alice.get(tab + f"&group_q=alpha-{account_id[:6]}", timeout=30).text
    assert f'<option value="{alpha}">' in found and f'<option value="{beta}">' not in found
    odd = alice.get(tab, params={"group_q": '"<b>x'}, timeout=30)
    assert odd.status_code == 200 and "&lt;b&gt;x" in odd.text and "<b>x" not in odd.text
    assert "No group to add has a name containing" in odd.text


def test_roles_assign_and_unassign(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh()
    store = env.hub.store("main")
    tab = alice.get(env.page("main", account_id, "roles"), timeout=30).text
    assert '<dialog id="dialog-assign-role"' in tab and "+ Assign role" in tab
    done = env.post(
        alice, "main", account_id, "roles/assign", role="viewer", organization="Acme", reason="r1"
    )
    assert "Role viewer assigned in organization Acme" in notice(done)
    held = store.get_account(account_id).role_assignments
    assert [(a.role, a.organization) for a in held] == [("viewer", "Acme")]
    env.by_alice("main", account_id, "assign_role", "r1")
    done = env.post(
        alice, "main", account_id, "roles/unassign", role="viewer", organization="Acme", reason="r2"
    )
    assert store.get_account(account_id).role_assignments == ()
    env.by_alice("main", account_id, "unassign_role", "r2")


def test_authenticators_add_and_delete(env: AccountConsole, alice: requests.Session) -> None:
    account_id = env.fresh(
        emails=[{"value": "auth.walk@example.org", "primary": True, "verified": True}]
    )
    store = env.hub.store("main")
    tab = alice.get(env.page("main", account_id, "authenticators"), timeout=30).text
    assert '<select id="add-method-notify" name="notify">' in tab
    assert '<option value="shop-web">' in tab and '<option value="portal-web">' not in tab
    before = len(env.inbox.messages)
    done = env.post(
        alice,
        "main",
        account_id,
        "authenticators/add",
        kind="phone",
        value="+447700900456",
        verified="on",
        notify="shop-web",
        reason="new phone",
    )
    assert "Authentication method added" in notice(done)
    assert "The notification through shop-web was sent." in notice(done)
    assert len(env.inbox.messages) == before + 1
    phones = [a for a in store.list_authenticators(account_id) if a.kind.value == "phone"]
    assert len(phones) == 1 and phones[0].verified
    assert "+447700900456" not in done.text  # masked
    env.by_alice("main", account_id, "add_authenticator", "new phone")
    bad = env.post(
        alice, "main", account_id, "authenticators/add", kind="phone", value="12", reason="x"
    )
    assert bad.status_code == 400
    done = env.post(
        alice,
        "main",
        account_id,
        "authenticators/remove",
        authenticator=phones[0].id,
        reason="phone lost",
    )
    assert "deleted" in notice(done)
    assert not [a for a in store.list_authenticators(account_id) if a.kind.value == "phone"]
    env.by_alice("main", account_id, "remove_authenticator", "phone lost")


def test_identity_verification_verify_and_revoke(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh()
    store = env.hub.store("main")
    done = env.post(
        alice,
        "main",
        account_id,
        "verification/verify",
        policy="document-check",
        evidence="passport checked on call 1234",
        reason="failed the online flow",
    )
    assert "verified under policy document-check" in notice(done)
    [record] = store.verifications(account_id)
    assert (record.policy, record.verified_by, record.status.value) == (
        "document-check",
        "alice",
        "valid",
    )
    env.by_alice("main", account_id, "verify_identity", "failed the online flow")
    done = env.post(
        alice,
        "main",
        account_id,
        "verification/revoke",
        verification=record.id,
        reason="stolen identity",
    )
    assert "revoked" in notice(done)
    assert store.verifications(account_id)[0].revoked_by == "alice"
    env.by_alice("main", account_id, "revoke_verification", "stolen identity")


def test_consents_show_versions_opt_outs_and_revoke(
    env: AccountConsole, alice: requests.Session
) -> None:
    account_id = env.fresh()
    store = env.hub.store("main")
    store.record_consent(account_id, purpose="marketing-email", version="v1")
    current = store.record_consent(account_id, purpose="marketing-email", version="v2")
    tab = alice.get(env.page("main", account_id, "consents"), timeout=30).text
    assert tab.count("<td>marketing-email</td>") == 2
    assert "<td>v1</td>" in tab and "<td>v2</td>" in tab
    assert "superseded" in tab and "Holds" in tab
    assert tab.count('name="consent" value=') == 1  # only the one that holds
    done = env.post(
        alice, "main", account_id, "consents/revoke", consent=current.id, reason="asked by phone"
    )
    assert "Consent marketing-email (version v2) revoked." in notice(done)
    ended = next(c for c in store.consents(account_id) if c.id == current.id)
    assert ended.ended_how is not None and ended.ended_how.value == "revoked_by_support"
    assert ended.revoked_by == "alice"
    env.by_alice("main", account_id, "revoke_consent", "asked by phone")
    assert "revoked by support by alice" in done.text


def test_a_tab_the_admin_may_not_read_says_so_without_asking_the_store(
    env: AccountConsole,
) -> None:
    account_id = env.fresh()
    rita = session_for(env, "rita")  # accounts, groups and activity only
    for tab, permission in (("sessions", "sessions.read"), ("consents", "consents.read")):
        page = rita.get(env.page("main", account_id, tab), timeout=30)
        assert page.status_code == 200
        assert f"it needs permission {permission}" in page.text
    activity = rita.get(env.page("main", account_id, "activity"), timeout=30).text
    assert "it needs permission" not in activity and "create_account" in activity
    assert not [e for e in env.hub.state.events("main", account_id=account_id) if e.actor == "rita"]
