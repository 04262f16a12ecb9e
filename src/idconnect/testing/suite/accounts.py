"""The accounts family: create, read, update, enable/disable, delete; optimistic concurrency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from idconnect import Conflict, NotFound, Store
from idconnect.core.convert import account_from_json, to_json
from idconnect.core.instants import utc_now
from idconnect.testing.dataset import DATASET, fit_to_catalogue
from idconnect.testing.suite.base import REASON, BaseSuite, SeededStore, needs, needs_attribute

__all__ = ["AccountSuite"]


class AccountSuite(BaseSuite):
    """Create, read, update, enable/disable, delete; errors; optimistic concurrency."""

    def test_created_accounts_read_back(self, seeded: SeededStore) -> None:
        """Every seeded account reads back with the attributes it was created with."""
        for seed, account_id in zip(DATASET, seeded.ids, strict=True):
            want = fit_to_catalogue(seed.account, seeded.catalogue)
            got = seeded.accounts[account_id]
            assert got.id == account_id
            assert got.user_name == want.user_name
            assert got.display_name == want.display_name
            assert got.organization == want.organization
            assert (got.name.given_name if got.name else None) == (
                want.name.given_name if want.name else None
            )
            assert (got.name.family_name if got.name else None) == (
                want.name.family_name if want.name else None
            )
            assert sorted(e.value for e in got.emails) == sorted(e.value for e in want.emails)
            assert sorted(p.value for p in got.phone_numbers) == sorted(
                p.value for p in want.phone_numbers
            )
            assert set(got.external_identities) == set(want.external_identities)
            assert got.active is (account_id not in seeded.disabled)
            assert got.version, "every account must carry a version"
            if "meta.created" in seeded.catalogue:
                assert got.created is not None

    def test_canonical_json_round_trips(self, seeded: SeededStore) -> None:
        """Every account survives the canonical JSON form unchanged."""
        for account in seeded.accounts.values():
            assert account_from_json(to_json(account)) == account

    def test_created_is_the_instant_of_creation(self, store: Store) -> None:
        """A new account's meta.created is the instant it was created, in UTC."""
        needs_attribute(store, "meta.created")
        before = utc_now()
        account = self._one(store)
        assert account.created is not None
        # a store writing local time as UTC (or the reverse) is off by hours, not seconds
        assert before - timedelta(minutes=5) <= account.created <= utc_now() + timedelta(minutes=5)

    def test_get_unknown_account_is_not_found(self, seeded: SeededStore) -> None:
        """Reading an unknown id is NotFound, naming the store."""
        with pytest.raises(NotFound) as info:
            seeded.store.get_account("no-such-account-4711")
        assert seeded.store.name in str(info.value)

    def test_user_name_is_unique_ignoring_case(self, store: Store) -> None:
        """A userName differing only in case from an existing one is a Conflict."""
        self._one(store, "dup.user")
        with pytest.raises(Conflict):
            self._one(store, "DUP.User")

    def test_update_changes_attributes_and_version(self, store: Store) -> None:
        """An update changes the given attributes, leaves the others, and bumps the version."""
        needs(store, "update_account")
        account = self._one(store)
        changes: dict[str, Any] = {"userName": "kit.renamed"}
        if "displayName" in store.catalogue:
            changes["displayName"] = "Kit Renamed"
        if "name.givenName" in store.catalogue:
            changes["name.givenName"] = "Kitty"
        assert account.id
        updated = store.update_account(
            account.id, changes, expected_version=account.version, reason=REASON
        )
        assert updated.id == account.id
        assert updated.user_name == "kit.renamed"
        assert updated.version != account.version
        again = store.get_account(account.id)
        assert again.user_name == "kit.renamed"
        if "displayName" in store.catalogue:
            assert again.display_name == "Kit Renamed"
        if "name.givenName" in store.catalogue:
            assert again.name is not None and again.name.given_name == "Kitty"
            assert again.name.family_name == "User"

    def test_stale_update_is_a_conflict_and_changes_nothing(self, store: Store) -> None:
        """An update with a stale version is a Conflict and changes nothing."""
        needs(store, "update_account")
        account = self._one(store)
        assert account.id
        store.update_account(
            account.id, {"userName": "kit.first"}, expected_version=account.version, reason=REASON
        )
        with pytest.raises(Conflict):
            store.update_account(
                account.id,
                {"userName": "kit.second"},
                expected_version=account.version,
                reason=REASON,
            )
        assert store.get_account(account.id).user_name == "kit.first"

    def test_disable_then_enable(self, store: Store) -> None:
        """Disabling then enabling an account shows in ``active`` and in two audit events."""
        needs(store, "set_account_enabled")
        account = self._one(store)
        assert account.id
        assert store.disable_accounts([account.id], reason=REASON).ok
        disabled = store.get_account(account.id)
        assert disabled.active is False
        if "disabledAt" in store.catalogue:
            assert disabled.disabled_at is not None
        assert store.enable_accounts([account.id], reason=REASON).ok
        enabled = store.get_account(account.id)
        assert enabled.active is True
        assert enabled.disabled_at is None
        events = store.events(account.id)
        actions = [e.action for e in events]
        assert actions[-2:] == ["disable_account", "enable_account"]
        assert all(e.reason == REASON and e.outcome == "success" for e in events[-2:])

    def test_delete(self, store: Store) -> None:
        """A deleted account is NotFound."""
        needs(store, "delete_account")
        account = self._one(store)
        assert account.id
        assert store.delete_accounts([account.id], reason=REASON).ok
        with pytest.raises(NotFound):
            store.get_account(account.id)
