"""The kit holds each store to its declared capabilities, and skips (with its reason) what it lacks.

Each check runs the kit with pytester on memory stores narrowed by ``available_operations``.
"""

from __future__ import annotations

import types
from xml.etree import ElementTree

import pytest

from idconnect.core.hookspecs import hookspec
from idconnect.core.operations import OPERATIONS, read_operations
from idconnect.core.opspec import operation
from idconnect.testing.suite import KIT_CALLS, uncovered_operations

MEMORY = sorted(
    {
        "get_account",
        "search_accounts",
        "explain_search",
        "create_account",
        "update_account",
        "set_account_enabled",
        "bulk_set_accounts_enabled",
        "delete_account",
        "search_groups",
        "get_group",
        "create_group",
        "delete_group",
        "rename_group",
        "add_group_member",
        "remove_group_member",
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

NARROWED_STORES = f'''
import pytest

import idconnect
from idconnect import hookimpl
from idconnect.testing.memory_store import MemoryStore
from idconnect.testing.suite import AccountSuite, AuthenticatorSuite, SessionSuite

MEMORY = frozenset({MEMORY!r})


def narrowed(*dropped):
    class Narrowed(MemoryStore):
        @hookimpl
        def idconnect_available_operations(self, context, implemented):
            return implemented - set(dropped)

    return Narrowed


class Types:
    @hookimpl
    def idconnect_store_types(self):
        return {{
            "no-password": narrowed("set_password"),
            "no-enable": narrowed("set_account_enabled", "bulk_set_accounts_enabled"),
            "no-sessions": narrowed("list_sessions", "revoke_session", "revoke_sessions"),
        }}


def factory(kind):
    def make():
        config = {{"hub": {{"state": "sqlite://"}}, "stores": {{"s": {{"plugin": kind}}}}}}
        return idconnect.connect(config, plugins=[Types()]).store("s")

    return make


class TestLacksPassword(AuthenticatorSuite):
    expected_capabilities = MEMORY - {{"set_password"}}

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return factory("no-password")


class TestLacksEnable(AccountSuite):
    expected_capabilities = MEMORY - {{"set_account_enabled", "bulk_set_accounts_enabled"}}

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return factory("no-enable")


class TestLostAHook(SessionSuite):
    """Declares the memory store's sessions, but the store no longer has them."""

    expected_capabilities = MEMORY

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return factory("no-sessions")


class TestUndeclared(SessionSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return factory("memory")
'''


@pytest.fixture
def outcome(pytester: pytest.Pytester) -> dict[str, str]:
    """Run the narrowed stores' suites; each test's outcome by ``Class::test``."""
    pytester.makepyfile(test_narrowed=NARROWED_STORES)
    pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--junitxml=report.xml")
    results: dict[str, str] = {}
    for case in ElementTree.parse(pytester.path / "report.xml").iter("testcase"):
        name = f"{case.get('classname', '').rpartition('.')[2]}::{case.get('name')}"
        results[name] = "PASSED"
        for tag in ("skipped", "failure", "error"):
            found = case.find(tag)
            if found is not None:
                results[name] = f"{tag.upper()}: {found.get('message')}"
    return results


def test_a_lacking_capability_is_a_skip_naming_store_and_operation(
    outcome: dict[str, str],
) -> None:
    assert outcome["TestLacksPassword::test_set_password_leaves_no_trace"] == (
        "SKIPPED: store s lacks set_password"
    )
    assert outcome["TestLacksEnable::test_disable_then_enable"] == (
        "SKIPPED: store s lacks set_account_enabled"
    )


def test_what_the_store_has_still_runs(outcome: dict[str, str]) -> None:
    for test in (
        "TestLacksPassword::test_add_list_remove",
        "TestLacksPassword::test_reset_failed_attempts",
        "TestLacksEnable::test_created_accounts_read_back",
        "TestLacksEnable::test_delete",
    ):
        assert outcome[test] == "PASSED", outcome


def test_not_supported_is_still_asserted_for_what_is_lacking(outcome: dict[str, str]) -> None:
    for suite in ("TestLacksPassword", "TestLacksEnable"):
        test = f"{suite}::test_every_missing_capability_raises_not_supported"
        assert outcome[test] == "PASSED", outcome


def test_a_store_that_lost_a_hook_fails(outcome: dict[str, str]) -> None:
    lost = "store s: lost ['list_sessions', 'revoke_session', 'revoke_sessions'], gained []"
    assert outcome["TestLostAHook::test_declared_capabilities"].startswith(
        f"FAILURE: AssertionError: {lost}"
    ), outcome
    for suite in ("TestLacksPassword", "TestLacksEnable"):
        assert outcome[f"{suite}::test_declared_capabilities"] == "PASSED", outcome


def test_a_suite_must_declare_its_capabilities(outcome: dict[str, str]) -> None:
    assert outcome["TestUndeclared::test_declared_capabilities"].startswith(
        "FAILURE: AssertionError: TestUndeclared must declare expected_capabilities"
    ), outcome


def test_every_operation_has_a_kit_call() -> None:
    assert uncovered_operations() == []
    singles = {name for name, op in OPERATIONS.items() if op.bulk_of is None}
    assert set(KIT_CALLS) == singles


def _specs_with_a_new_operation() -> types.ModuleType:
    module = types.ModuleType("incomplete_specs")

    @operation(family="accounts", mutates=False, permission="accounts.read", subject="account_id")
    @hookspec(firstresult=True)
    def idconnect_get_account(account_id: str) -> object:
        """Known to the kit."""

    @operation(family="accounts", mutates=True, permission="accounts.merge", subject="account_id")
    @hookspec(firstresult=True)
    def idconnect_merge_accounts(account_id: str, other_id: str) -> object:
        """Not known to the kit."""

    @operation(
        family="accounts",
        mutates=True,
        permission="accounts.merge",
        subject="account_ids",
        bulk_of="merge_accounts",
    )
    @hookspec(firstresult=True)
    def idconnect_bulk_merge_accounts(account_ids: list[str], other_id: str) -> object:
        """Covered through its single operation, which the kit does not know either."""

    for fn in (idconnect_get_account, idconnect_merge_accounts, idconnect_bulk_merge_accounts):
        setattr(module, fn.__name__, fn)
    return module


def test_an_operation_without_a_kit_call_is_named() -> None:
    operations = read_operations(_specs_with_a_new_operation())
    stale = [f"{name} (not a single operation)" for name in KIT_CALLS if name != "get_account"]
    assert uncovered_operations(operations) == sorted(
        ["bulk_merge_accounts (via merge_accounts)", "merge_accounts", *stale]
    )


NEW_OPERATION = """
import pytest
from attrs import evolve

import idconnect
import idconnect.testing.suite.base as base
from idconnect.testing.suite import AccountSuite

# a deliberately incomplete spec: the hook specs grew an operation the kit has no call for
base.OPERATIONS = {
    **base.OPERATIONS,
    "merge_accounts": evolve(base.OPERATIONS["update_account"], name="merge_accounts"),
}


class TestMemory(AccountSuite):
    expected_capabilities = frozenset(idconnect.connect(
        {"hub": {"state": "sqlite://"}, "stores": {"m": {"plugin": "memory"}}}
    ).store("m").capabilities)

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        config = {"hub": {"state": "sqlite://"}, "stores": {"m": {"plugin": "memory"}}}
        return lambda: idconnect.connect(config).store("m")
"""


def test_an_operation_without_a_kit_call_fails_every_backend_kit(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_new_operation=NEW_OPERATION)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--tb=line")
    failed = [line for line in result.outlines if line.startswith("FAILED")]
    assert len(failed) == 1, result.stdout.str()
    assert "test_every_missing_capability_raises_not_supported" in failed[0]
    assert "operations without a kit entry (KIT_CALLS): ['merge_accounts']" in result.stdout.str()
