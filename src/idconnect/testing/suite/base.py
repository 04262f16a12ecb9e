"""What every suite shares: the fixtures, the seeded store, the capability checks.

A suite test that needs an operation calls :func:`needs` first: a store lacking it skips the test
with a reason naming the store and the operation. The separate check
:meth:`BaseSuite.test_every_missing_capability_raises_not_supported` still calls every missing
operation through the facade (:data:`~idconnect.testing.suite.calls.KIT_CALLS`) and asserts it
raises ``NotSupported`` naming the store, and :meth:`BaseSuite.test_declared_capabilities` fails
when the store's capabilities differ from the suite's :attr:`BaseSuite.expected_capabilities`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from idconnect import Account, Email, Group, Name, NotSupported, Store
from idconnect.core.filter import Filter, evaluate
from idconnect.core.operations import OPERATIONS, bulk_form
from idconnect.core.schema import Catalogue
from idconnect.testing.dataset import DATASET, GROUPS, fit_to_catalogue
from idconnect.testing.suite.calls import KIT_CALLS, REASON, uncovered_operations

__all__ = ["REASON", "BaseSuite", "SeededStore", "has", "needs", "needs_attribute"]


def has(store: Store, operation: str) -> bool:
    """Whether ``store`` can do ``operation``, by itself or through its set-based bulk form.

    :param store: the store under test.
    :param operation: a single operation's name, e.g. ``set_account_enabled``.
    :returns: ``True`` when the operation or its bulk form is a capability of the store.
    :raises KeyError: for a name that is not an operation (a typo in a suite).
    """
    if operation not in OPERATIONS:
        raise KeyError(f"{operation!r} is not an operation of the hook specs")
    bulk = bulk_form(operation)
    return operation in store.capabilities or (bulk is not None and bulk in store.capabilities)


def needs(store: Store, *operations: str) -> None:
    """Skip the calling test unless ``store`` has every one of ``operations``.

    :param store: the store under test.
    :param operations: single operation names; a bulk form counts for its single operation.
    :raises pytest.skip.Exception: naming the store and the first operation it lacks.
    """
    for operation in operations:
        if not has(store, operation):
            pytest.skip(f"store {store.name} lacks {operation}")


def needs_attribute(store: Store, path: str) -> None:
    """Skip the calling test unless the store's catalogue has attribute ``path``.

    :param store: the store under test.
    :param path: an attribute path, e.g. ``meta.created``.
    :raises pytest.skip.Exception: naming the store and the attribute.
    """
    if path not in store.catalogue:
        pytest.skip(f"store {store.name} has no attribute {path}")


class SeededStore:
    """A store seeded with the canonical data set, and the accounts as the store returns them.

    :param store: a fresh, empty store; it must be able to create accounts.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.catalogue: Catalogue = store.catalogue
        self.ids: list[str] = []
        by_name: dict[str, str] = {}
        for seed in DATASET:
            account = store.create_account(
                fit_to_catalogue(seed.account, self.catalogue), reason=REASON
            )
            assert account.id, "create_account must return the new id"
            self.ids.append(account.id)
            by_name[seed.account.user_name] = account.id
        disabled = [by_name[s.account.user_name] for s in DATASET if s.disabled]
        self.disabled: set[str] = set()
        """The ids of the disabled seeds, when the store can disable accounts."""
        if disabled and has(store, "set_account_enabled"):
            store.disable_accounts(disabled, reason=REASON).raise_for_failures()
            self.disabled = set(disabled)
        self.groups: dict[str, str] = {}
        if has(store, "create_group"):
            for name in GROUPS:
                group = store.create_group(Group(display_name=name), reason=REASON)
                assert group.id
                self.groups[name] = group.id
                members = [by_name[s.account.user_name] for s in DATASET if name in s.groups]
                if members and has(store, "add_group_member"):
                    store.add_to_group(group.id, members, reason=REASON).raise_for_failures()
        if has(store, "assign_role"):
            for seed in DATASET:
                for role in seed.roles:
                    store.assign_role(
                        by_name[seed.account.user_name],
                        role.role,
                        organization=role.organization,
                        reason=REASON,
                    )
        self.by_name = by_name
        self.accounts: dict[str, Account] = {i: store.get_account(i) for i in self.ids}

    def expected(self, bound: Filter) -> set[str]:
        """The ids the reference evaluator says match ``bound``.

        :param bound: a filter bound to this store's catalogue.
        :returns: matching account ids.
        """
        return {i for i, a in self.accounts.items() if evaluate(bound, a, self.catalogue)}

    def found(self, filter: Filter | str, **kwargs: Any) -> list[str]:
        """Every id the store's search returns for ``filter``, walking all pages.

        :param filter: filter text or tree.
        :param kwargs: passed to ``iter_accounts``.
        :returns: ids in the order returned.
        """
        return [a.id for a in self.store.iter_accounts(filter, **kwargs) if a.id]


class BaseSuite:
    """Fixtures shared by all suites, and the store-wide capability checks.

    A subclass sets :attr:`expected_capabilities` and provides ``make_store``.
    """

    expected_capabilities: ClassVar[frozenset[str] | None] = None
    """The operations the store under test must offer, exactly (bulk forms included)."""

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls) -> Callable[[], Store]:
        """Override: return a callable giving a fresh, empty store."""
        raise NotImplementedError("a conformance suite needs a make_store fixture")

    @pytest.fixture
    def seed_sessions(self) -> Callable[[Store, str], list[str]] | None:
        """Override for stores that keep sessions: insert two sessions natively."""
        return None

    @pytest.fixture
    def seed_failed_attempts(self) -> Callable[[Store, str, int, int], None] | None:
        """Override for stores that count failed logins: set the counters natively."""
        return None

    @pytest.fixture(scope="class")
    @classmethod
    def seeded(cls, make_store: Callable[[], Store]) -> SeededStore:
        """A store with the canonical data set, shared by a class's read-only tests."""
        store = make_store()
        needs(store, "create_account")
        return SeededStore(store)

    @pytest.fixture
    def store(self, make_store: Callable[[], Store]) -> Store:
        """A fresh, empty store for one mutating test."""
        return make_store()

    @staticmethod
    def _one(store: Store, user_name: str = "kit.user") -> Account:
        needs(store, "create_account")
        account = Account(
            user_name=user_name,
            name=Name(given_name="Kit", family_name="User", formatted="Kit User"),
            emails=(Email(value=f"{user_name}@example.net", type="work", primary=True),),
        )
        return store.create_account(fit_to_catalogue(account, store.catalogue), reason=REASON)

    def test_declared_capabilities(self, store: Store) -> None:
        """The store offers exactly the suite's ``expected_capabilities``."""
        expected = type(self).expected_capabilities
        actual = frozenset(store.capabilities)
        assert expected is not None, (
            f"{type(self).__name__} must declare expected_capabilities; "
            f"store {store.name} has {sorted(actual)}"
        )
        unknown = expected - set(OPERATIONS)
        assert not unknown, f"expected_capabilities names unknown operations {sorted(unknown)}"
        assert actual == expected, (
            f"store {store.name}: lost {sorted(expected - actual)}, "
            f"gained {sorted(actual - expected)}"
        )

    def test_every_missing_capability_raises_not_supported(self, store: Store) -> None:
        """Each operation the store lacks is NotSupported naming the store; each has a kit call."""
        uncovered = uncovered_operations(OPERATIONS, KIT_CALLS)
        assert not uncovered, f"operations without a kit entry (KIT_CALLS): {uncovered}"
        for name, call in KIT_CALLS.items():
            if has(store, name):
                continue
            with pytest.raises(NotSupported) as info:
                call(store)
            assert store.name in str(info.value), f"{name}: NotSupported must name the store"
