"""The conformance kit against scim2-server over real HTTP, in two server configurations.

Known scim2-server deviations worked around by the store (``memberships = "groups"``):
it does not fill ``User.groups`` (memberships are read from ``/Groups``), and a deleted user
stays listed in its groups (the store removes the memberships before deleting).
"""

from __future__ import annotations

import pytest

from idconnect.testing.suite import KIT_ATTRIBUTES, ConformanceSuite


class TestRestFullServer(ConformanceSuite):
    """Custom idconnect extension schema, cursors, bulk, ETags, sort, changePassword."""

    expected_capabilities = frozenset(
        {
            "get_account",
            "search_accounts",
            "explain_search",
            "create_account",
            "update_account",
            "set_account_enabled",
            "delete_account",
            "bulk_set_accounts_enabled",
            "bulk_create_accounts",
            "bulk_delete_accounts",
            "search_groups",
            "get_group",
            "create_group",
            "delete_group",
            "rename_group",
            "add_group_member",
            "remove_group_member",
            "set_password",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, full_server, connect_store):
        return lambda: connect_store(full_server.new_url(), memberships="groups")

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls, kit_server, connect_store):
        """The kit's attributes, found by name in the server's advertised loyalty extension."""
        return lambda: connect_store(
            kit_server.new_url(), memberships="groups", attributes=KIT_ATTRIBUTES
        )


class TestRestMinimalServer(ConformanceSuite):
    """Bearer token, core schemas only, maxResults 5, no bulk, no changePassword."""

    expected_capabilities = frozenset(
        {
            "get_account",
            "search_accounts",
            "explain_search",
            "create_account",
            "update_account",
            "set_account_enabled",
            "delete_account",
            "search_groups",
            "get_group",
            "create_group",
            "delete_group",
            "rename_group",
            "add_group_member",
            "remove_group_member",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, minimal_server, bearer_env, connect_store):
        return lambda: connect_store(
            minimal_server.new_url(), memberships="groups", token_env=bearer_env
        )
