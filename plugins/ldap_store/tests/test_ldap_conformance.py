"""The conformance kit against a real slapd, in two directory layouts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import idconnect
from idconnect.testing.suite import ConformanceSuite


class TestOpenLdapProfile(ConformanceSuite):
    """Default profile: inetOrgPerson named by uid under one OU, groupOfNames/member."""

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
            "reset_failed_attempts",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
            "list_activity",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, slapd_server, store_factory) -> Callable[[], idconnect.Store]:
        return lambda: store_factory(slapd_server, "openldap")

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls, slapd_server, custom_store_factory) -> Callable[[], idconnect.Store]:
        return lambda: custom_store_factory(slapd_server, "openldap")

    @pytest.fixture
    def seed_failed_attempts(self, slapd_server, failed_logins):
        return lambda store, account_id, password, otp: failed_logins(
            slapd_server, account_id, password
        )


class TestUniqueMemberLayout(ConformanceSuite):
    """Accounts over two OUs (subtree scope) named by cn; groupOfUniqueNames/uniqueMember."""

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
            "reset_failed_attempts",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
            "list_activity",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, slapd_unique, store_factory) -> Callable[[], idconnect.Store]:
        return lambda: store_factory(slapd_unique, "unique")

    @pytest.fixture
    def seed_failed_attempts(self, slapd_unique, failed_logins):
        return lambda store, account_id, password, otp: failed_logins(
            slapd_unique, account_id, password
        )
