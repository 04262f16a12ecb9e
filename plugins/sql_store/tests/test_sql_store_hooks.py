from __future__ import annotations

import pytest

from idconnect import (
    Account,
    Conflict,
    Email,
    ExternalIdentity,
    Group,
    Name,
    NotFound,
    PhoneNumber,
)
from idconnect.backend import USER_CATALOGUE, bind, evaluate, parse


def _bob() -> Account:
    return Account(
        user_name="Bob.Jensen",
        name=Name(given_name="Bøb", family_name="Jensen"),
        display_name="Bob J",
        emails=[
            Email(value="bob@Example.org", type="work", primary=True, verified=True),
            Email(value="bob@home.example", type="home"),
        ],
        phone_numbers=[PhoneNumber(value="+447700900123", type="mobile")],
        organization="acme",
        external_identities=[ExternalIdentity(provider="google", subject="G-123")],
    )


def test_create_get_roundtrip(store):
    created = store.create_account(_bob())
    got = store.get_account(created.id)
    assert got == created
    assert got.version == "1"
    assert got.emails[0] == Email(value="bob@Example.org", type="work", primary=True, verified=True)
    assert got.external_identities == (ExternalIdentity(provider="google", subject="G-123"),)
    assert got.created is not None and got.created.tzinfo is not None


def test_user_name_unique_ignoring_case(store):
    store.create_account(_bob())
    with pytest.raises(Conflict) as info:
        store.create_account(Account(user_name="BOB.JENSEN"))
    assert info.value.details["attribute"] == "userName"
    assert info.value.store == "s"


def test_update_bumps_version_and_replaces_children(store):
    created = store.create_account(_bob())
    updated = store.update_account(
        created.id,
        {"emails": [{"value": "new@example.com"}], "displayName": None, "name.givenName": "Rob"},
    )
    assert updated.version == "2"
    assert [e.value for e in updated.emails] == ["new@example.com"]
    assert updated.display_name is None
    assert updated.name is not None and updated.name.given_name == "Rob"
    assert updated.phone_numbers == created.phone_numbers
    assert store.search_accounts('name.givenName eq "rob"').items[0].id == created.id


def test_stale_version_conflicts_and_changes_nothing(store):
    created = store.create_account(_bob())
    store.update_account(created.id, {"displayName": "first"}, expected_version="1")
    with pytest.raises(Conflict, match="stale"):
        store.update_account(created.id, {"displayName": "second"}, expected_version="1")
    after = store.get_account(created.id)
    assert after.display_name == "first"
    assert after.version == "2"


def test_update_unknown_account(store):
    with pytest.raises(NotFound):
        store.update_account("nope", {"displayName": "x"})


def test_rename_to_taken_user_name_conflicts(store):
    store.create_account(Account(user_name="alice"))
    bob = store.create_account(Account(user_name="bob"))
    with pytest.raises(Conflict):
        store.update_account(bob.id, {"userName": "ALICE"})
    assert store.get_account(bob.id).user_name == "bob"


def test_disable_enable_and_bulk_outcomes(store):
    a = store.create_account(Account(user_name="a"))
    b = store.create_account(Account(user_name="b"))
    result = store.disable_accounts([a.id, "missing", b.id], reason="ticket 1")
    assert result.succeeded == (a.id, b.id)
    assert [o.account_id for o in result.failed] == ["missing"]
    assert isinstance(result.failed[0].error, NotFound)
    got = store.get_account(a.id)
    assert got.active is False and got.disabled_at is not None
    store.enable_accounts([a.id], reason="ticket 2")
    got = store.get_account(a.id)
    assert got.active is True and got.disabled_at is None


def test_delete_cascades(store, seed_sessions):
    a = store.create_account(_bob())
    group = store.create_group(Group(display_name="staff", members=[a.id]))
    seed_sessions(store, a.id)
    store.set_password(a.id, "correct horse battery", reason="reset")
    result = store.delete_accounts([a.id, "missing"], reason="gdpr")
    assert result.succeeded == (a.id,)
    with pytest.raises(NotFound):
        store.get_account(a.id)
    assert store.get_group(group.id).members == ()


def test_groups(store):
    a = store.create_account(Account(user_name="a"))
    b = store.create_account(Account(user_name="b"))
    group = store.create_group(Group(display_name="Beta Testers"))
    with pytest.raises(Conflict):
        store.create_group(Group(display_name="beta testers"))
    result = store.add_to_group(group.id, [a.id, b.id, "missing", a.id], reason="r")
    assert result.succeeded == (a.id, b.id)
    assert store.add_to_group(group.id, [a.id], reason="twice is fine").ok
    assert set(store.get_group(group.id).members) == {a.id, b.id}
    got = store.get_account(a.id)
    assert [(g.value, g.display) for g in got.groups] == [(group.id, "Beta Testers")]
    assert store.search_accounts('groups.display eq "beta testers"').items[0].id in (a.id, b.id)
    store.remove_from_group(group.id, [a.id], reason="r")
    assert store.get_group(group.id).members == (b.id,)
    page = store.search_groups('displayName sw "BETA"')
    assert [g.id for g in page.items] == [group.id]
    assert store.add_to_group("no-group", [a.id], reason="r").failed
    store.delete_group(group.id, reason="r")
    with pytest.raises(NotFound):
        store.get_group(group.id)


def test_roles(store):
    a = store.create_account(Account(user_name="a"))
    store.assign_role(a.id, "billing-admin", organization="acme", reason="r")
    store.assign_role(a.id, "billing-admin", organization="acme", reason="twice")
    store.assign_role(a.id, "viewer", reason="r")
    got = store.get_account(a.id)
    assert {(r.role, r.organization) for r in got.role_assignments} == {
        ("billing-admin", "acme"),
        ("viewer", None),
    }
    assert [r.name for r in store.list_roles()] == ["billing-admin", "viewer"]
    found = store.search_accounts(
        'roleAssignments[role eq "BILLING-ADMIN" and organization eq "Acme"]'
    )
    assert [x.id for x in found.items] == [a.id]
    store.unassign_role(a.id, "billing-admin", organization="acme", reason="r")
    with pytest.raises(NotFound):
        store.unassign_role(a.id, "billing-admin", organization="acme", reason="r")


def test_authenticators_and_password(store):
    a = store.create_account(Account(user_name="a"))
    added = store.add_authenticator(a.id, "email", "barbara@example.com", verified=True, reason="r")
    assert added.label == "b******@example.com"
    store.set_password(a.id, "s3cret-pass", reason="r")
    kinds = [m.kind for m in store.list_authenticators(a.id)]
    assert sorted(kinds) == ["email", "password"]
    backend = store.backend
    import sqlalchemy as sa
    from idconnect_sql.passwords import verify_password

    with backend.engine.connect() as connection:
        encoded = connection.execute(
            sa.select(backend.tables.authenticators.c.secret_hash).where(
                backend.tables.authenticators.c.kind == "password"
            )
        ).scalar_one()
    assert encoded.startswith("$argon2id$")
    assert verify_password(encoded, "s3cret-pass") and not verify_password(encoded, "wrong")
    store.remove_authenticator(a.id, added.id, reason="lost mailbox")
    with pytest.raises(NotFound):
        store.remove_authenticator(a.id, added.id, reason="again")


def test_sessions(store, seed_sessions):
    a = store.create_account(Account(user_name="a"))
    ids = seed_sessions(store, a.id)
    listed = store.list_sessions(a.id)
    assert [s.id for s in listed] == ids  # most recently seen first
    store.revoke_session(a.id, ids[0], reason="stolen laptop")
    assert [s.id for s in store.list_sessions(a.id)] == [ids[1]]
    with pytest.raises(NotFound):
        store.revoke_session(a.id, ids[0], reason="again")
    assert store.revoke_sessions(a.id, reason="all") == 1
    assert store.list_sessions(a.id) == []


def test_failed_attempts_reset(store, seed_failed_attempts):
    a = store.create_account(Account(user_name="a"))
    seed_failed_attempts(store, a.id, 4, 2)
    assert store.search_accounts("failedAttempts.password ge 3").items[0].id == a.id
    store.reset_failed_attempts(a.id, reason="customer called")
    got = store.get_account(a.id)
    assert (got.failed_attempts.password, got.failed_attempts.otp) == (0, 0)


def test_not_found_names_store_and_account(store):
    with pytest.raises(NotFound) as info:
        store.get_account("ghost")
    assert "'s'" in str(info.value) and "ghost" in str(info.value)


def test_search_agrees_with_evaluator_on_fixed_filters(store):
    accounts = [store.create_account(_bob())]
    accounts.append(
        store.create_account(Account(user_name="ÉMILE", emails=[Email(value="e@x.org")]))
    )
    accounts.append(store.create_account(Account(user_name="zoë")))
    fresh = [store.get_account(a.id) for a in accounts]
    for text in (
        'userName eq "émile"',
        'userName gt "bob"',
        'emails[type eq "work" and value co "EXAMPLE"]',
        'emails.type eq "work" and emails.value co "home"',
        'not (emails.value ew ".org")',
        'emails.value ne "e@x.org"',
        "emailVerified eq false",
        "phoneNumbers pr",
        'externalIdentities.subject eq "g-123"',
        'externalIdentities.subject eq "G-123"',
        'displayName ne "bob j"',
        'meta.created gt "2000-01-01T00:00:00Z"',
    ):
        bound = bind(parse(text), USER_CATALOGUE)
        want = sorted(a.id for a in fresh if evaluate(bound, a))
        got = sorted(a.id for a in store.search_accounts(text).items)
        assert got == want, text
