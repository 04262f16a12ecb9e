from __future__ import annotations

from collections.abc import Callable

import pytest
from idconnect_sql.testing.django import django_kit_attributes, django_settings

import idconnect
from idconnect.testing.suite import KIT_ATTRIBUTES, ConformanceSuite


class TestManagedSchema(ConformanceSuite):
    """The kit on the managed schema, on SQLite, PostgreSQL and MariaDB (``sql_url`` params)."""

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
            "bulk_delete_accounts",
            "search_groups",
            "get_group",
            "create_group",
            "delete_group",
            "rename_group",
            "add_group_member",
            "remove_group_member",
            "bulk_add_group_members",
            "bulk_remove_group_members",
            "list_roles",
            "assign_role",
            "unassign_role",
            "list_authenticators",
            "add_authenticator",
            "remove_authenticator",
            "set_password",
            "reset_failed_attempts",
            "list_sessions",
            "revoke_session",
            "revoke_sessions",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
            "list_activity",
            "record_activity",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, make_sql_store: Callable[[], idconnect.Store]):
        return make_sql_store

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls, namespaces, open_hub) -> Callable[[], idconnect.Store]:
        def make() -> idconnect.Store:
            return open_hub({**namespaces.fresh(), "attributes": KIT_ATTRIBUTES}).store("s")

        return make

    @pytest.fixture
    def seed_sessions(self, request: pytest.FixtureRequest):
        return request.getfixturevalue("insert_sessions_fn")

    @pytest.fixture
    def seed_failed_attempts(self, request: pytest.FixtureRequest):
        return request.getfixturevalue("set_failed_attempts_fn")


class TestMappedDjangoSchema(ConformanceSuite):
    """The kit on the README's Django ``auth_user`` mapping, on SQLite, PostgreSQL and MariaDB."""

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
    def make_store(cls, make_mapped_store: Callable[[], idconnect.Store]):
        return make_mapped_store

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls, namespaces, open_hub) -> Callable[[], idconnect.Store]:
        def make() -> idconnect.Store:
            settings = django_settings(namespaces, custom=True)
            return open_hub({**settings, "attributes": django_kit_attributes()}).store("s")

        return make
