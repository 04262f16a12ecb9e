"""Capability and catalogue discovery against two real scim2-server configurations."""

from __future__ import annotations

import pytest
from idconnect_rest.filters import render_filter

from idconnect import Account, InvalidInput, NotSupported, PermissionDenied
from idconnect.backend import ConfigError, attr


def test_full_server_capabilities_and_catalogue(full_server, connect_store):
    store = connect_store(full_server.new_url(), memberships="groups")
    caps = store.capabilities
    assert {
        "bulk_delete_accounts",
        "bulk_set_accounts_enabled",
        "set_password",
        "update_account",
    } <= caps
    assert not caps & {"list_sessions", "list_roles", "list_authenticators"}
    catalogue = store.catalogue
    assert "organization" in catalogue and "externalIdentities.provider" in catalogue
    # emails.verified is not an RFC 7643 sub-attribute: the derived flags are dropped
    assert "emails.verified" not in catalogue and "emailVerified" not in catalogue
    assert catalogue.get("externalIdentities.subject").case_exact
    profile = store.backend.profile
    assert profile.cursor and profile.etag and profile.bulk_max_operations == 1000


def test_extension_attributes_are_sent_with_their_urn(full_server, connect_store):
    store = connect_store(full_server.new_url(), memberships="groups")
    text = render_filter(attr("organization").ne('a"b'), store.backend.profile)
    assert text == (
        'not (urn:ietf:params:scim:schemas:extension:idconnect:2.0:User:organization eq "a\\"b")'
    )


def test_minimal_server_narrows_capabilities(minimal_server, connect_store, bearer_env):
    store = connect_store(minimal_server.new_url(), memberships="groups", token_env=bearer_env)
    caps = store.capabilities
    assert "set_password" not in caps, "changePassword is not advertised"
    assert not caps & {"bulk_delete_accounts", "bulk_set_accounts_enabled"}
    assert "organization" not in store.catalogue
    assert store.backend.profile.max_results == 5
    with pytest.raises(NotSupported):
        store.set_password("x", "correct horse", reason="test")
    with pytest.raises(InvalidInput, match="cannot hold 'organization'"):
        store.create_account(Account(user_name="o", organization="acme"))
    # pages are bounded by maxResults but the walk is complete
    for n in range(12):
        store.create_account(Account(user_name=f"user{n:02d}"))
    page = store.search_accounts(count=50)
    assert len(page.items) == 12 and page.next_cursor is None


def test_wrong_token_is_permission_denied_without_the_token(
    minimal_server, connect_store, monkeypatch
):
    monkeypatch.setenv("WRONG_SCIM_TOKEN", "not-the-right-token-123")
    store = connect_store(minimal_server.new_url(), token_env="WRONG_SCIM_TOKEN")
    with pytest.raises(PermissionDenied) as info:
        store.search_accounts()
    assert "not-the-right-token-123" not in str(info.value)


def test_attribute_map_onto_the_enterprise_extension(full_server, connect_store):
    ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    store = connect_store(
        full_server.new_url(),
        memberships="groups",
        attribute_map={"organization": f"{ent}:organization"},
    )
    created = store.create_account(Account(user_name="mapped", organization="Acme"))
    assert store.get_account(created.id).organization == "Acme"
    assert [a.id for a in store.search_accounts('organization eq "ACME"').items] == [created.id]
    bad = connect_store(full_server.new_url(), attribute_map={"organization": f"{ent}:nope"})
    with pytest.raises(ConfigError):
        _ = bad.catalogue


def test_refresh_reads_discovery_again(full_server, connect_store):
    store = connect_store(full_server.new_url(), discovery_ttl=0)
    first = store.backend.profile
    assert store.backend.profile is first, "cached"
    assert store.backend.refresh() is not first


def test_store_refresh_reaches_the_backend_and_clears_the_facades_caches(
    full_server, connect_store
):
    store = connect_store(full_server.new_url(), discovery_ttl=0)
    first = store.backend.profile
    caps = store.capabilities
    store.refresh()
    assert store.backend.profile is not first
    assert store.capabilities == caps
