"""The conformance kit against a plain slapd: no memberof, no ppolicy, no sssvlv overlay.

Accounts are inetOrgPerson + posixAccount + shadowAccount entries in two bases (``ou=staff``
one level, ``ou=contractors,ou=external`` subtree); groups are groupOfUniqueNames; status is
``shadowExpire``; posix attributes come from templates and a uidNumber range; cursors page with
id windows (Simple Paged Results only); groups are computed from ``uniqueMember``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import idconnect
from idconnect.testing.suite import ConformanceSuite


class TestPlainDirectory(ConformanceSuite):
    """The whole kit on the directory without overlays."""

    # no reset_failed_attempts: nothing counts failures without ppolicy
    expected_capabilities = frozenset(
        {
            "add_group_member",
            "bulk_set_accounts_enabled",
            "create_account",
            "create_group",
            "delete_account",
            "delete_group",
            "rename_group",
            "get_account",
            "get_group",
            "remove_group_member",
            "search_accounts",
            "explain_search",
            "search_groups",
            "set_account_enabled",
            "set_password",
            "update_account",
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
    def make_store(cls, slapd_plain, store_factory) -> Callable[[], idconnect.Store]:
        return lambda: store_factory(slapd_plain, "plain")

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls, slapd_plain, custom_store_factory) -> Callable[[], idconnect.Store]:
        return lambda: custom_store_factory(slapd_plain, "plain")
