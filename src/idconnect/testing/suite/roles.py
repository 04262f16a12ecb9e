"""The roles family: roles per organization."""

from __future__ import annotations

import pytest

from idconnect import NotFound, Store
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
