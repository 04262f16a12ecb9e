"""The roles family: roles per organization."""

from __future__ import annotations

import pytest

from idconnect import InvalidInput, NotFound, NotSupported, Store
from idconnect.testing.suite.base import REASON, BaseSuite, needs

__all__ = ["RoleSuite"]


class RoleSuite(BaseSuite):
    """Roles per organization."""

    def test_assign_and_unassign(self, store: Store) -> None:
        """Roles are assigned per organization and unassigned; unassigning again is NotFound."""
        needs(store, "assign_role", "unassign_role")
        account = self._one(store)
        assert account.id
        store.assign_role(account.id, "admin", organization="acme", reason=REASON)
        store.assign_role(account.id, "admin", organization="globex", reason=REASON)
        store.assign_role(account.id, "viewer", reason=REASON)
        pairs = {(r.role, r.organization) for r in store.get_account(account.id).role_assignments}
        assert pairs == {("admin", "acme"), ("admin", "globex"), ("viewer", None)}
        store.unassign_role(account.id, "admin", organization="acme", reason=REASON)
        pairs = {(r.role, r.organization) for r in store.get_account(account.id).role_assignments}
        assert pairs == {("admin", "globex"), ("viewer", None)}
        with pytest.raises(NotFound):
            store.unassign_role(account.id, "admin", organization="acme", reason=REASON)

    def test_assigned_roles_are_listed(self, store: Store) -> None:
        """Assigned roles are in the store's role list."""
        needs(store, "assign_role", "list_roles")
        account = self._one(store)
        assert account.id
        store.assign_role(account.id, "admin", organization="acme", reason=REASON)
        store.assign_role(account.id, "viewer", reason=REASON)
        assert {"admin", "viewer"} <= {r.name for r in store.list_roles()}

    def test_an_organization_the_store_lacks_is_refused(self, store: Store) -> None:
        """Where the store lists its organizations, an assignment in another is refused.

        A store that keeps no organizations refuses to list them (and accepts any name).
        """
        needs(store, "assign_role")
        if "list_organizations" not in store.capabilities:
            with pytest.raises(NotSupported):
                store.list_organizations()
            return
        account = self._one(store)
        assert account.id
        known = store.list_organizations()
        assert known == sorted(known)
        with pytest.raises(InvalidInput) as info:
            store.assign_role(account.id, "admin", organization="no such org", reason=REASON)
        assert "no such org" in str(info.value)
        if known:
            store.assign_role(account.id, "admin", organization=known[0], reason=REASON)
        held = {(r.role, r.organization) for r in store.get_account(account.id).role_assignments}
        assert held == ({("admin", known[0])} if known else set())

    def test_a_case_variant_of_a_held_assignment_is_refused(self, store: Store) -> None:
        """An assignment that differs from a held one only in case is refused, not stored."""
        needs(store, "assign_role", "get_account")
        account = self._one(store)
        assert account.id
        store.assign_role(account.id, "admin", reason=REASON)
        with pytest.raises(InvalidInput) as info:
            store.assign_role(account.id, "Admin", reason=REASON)
        assert "only in case" in str(info.value)
        store.assign_role(account.id, "admin", reason=REASON)
        held = [(r.role, r.organization) for r in store.get_account(account.id).role_assignments]
        assert held == [("admin", None)]
