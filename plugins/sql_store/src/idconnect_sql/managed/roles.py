"""Managed store: role assignments."""

from __future__ import annotations

import sqlalchemy as sa

from idconnect.backend import NotFound, Role, RoleAssignment, hookimpl
from idconnect_sql.managed.base import ManagedBase
from idconnect_sql.managed.children import HELD, held_bits
from idconnect_sql.managed.rows import ci

__all__ = ["RoleOps"]


class RoleOps(ManagedBase):
    """Role hooks: list the roles held, assign and unassign (role, organization) pairs."""

    @hookimpl
    def idconnect_list_roles(self) -> list[Role]:
        """The roles some account holds (the managed schema has no fixed role catalogue)."""
        r = self.tables.role_assignments
        with self.begin() as connection:
            names = connection.execute(sa.select(r.c.role).distinct()).scalars()
            return [Role(name=n) for n in sorted(set(names))]

    def _assignment(self, assignment: RoleAssignment) -> sa.ColumnElement[bool]:
        r = self.tables.role_assignments
        org = assignment.organization
        return sa.and_(
            r.c.role == assignment.role,
            r.c.organization.is_(None) if org is None else r.c.organization == org,
        )

    @hookimpl
    def idconnect_assign_role(self, account_id: str, assignment: RoleAssignment) -> None:
        """Record the (role, organization) pair unless the account holds it already."""
        r = self.tables.role_assignments
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            held = connection.execute(
                sa.select(r.c.id).where(r.c.account_id == account_id, self._assignment(assignment))
            ).first()
            if held is None:
                connection.execute(
                    sa.insert(r),
                    [
                        {
                            "account_id": account_id,
                            **ci("role", assignment.role),
                            **ci("organization", assignment.organization),
                        }
                    ],
                )
                kinds = self.tables.accounts.c[HELD].bitwise_or(held_bits(["roles"]))
                self._touch(connection, account_id, **{HELD: kinds})

    @hookimpl
    def idconnect_unassign_role(self, account_id: str, assignment: RoleAssignment) -> None:
        """Remove the (role, organization) pair."""
        r = self.tables.role_assignments
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.delete(r).where(r.c.account_id == account_id, self._assignment(assignment))
            )
            if done.rowcount == 0:
                raise NotFound(
                    f"the account does not hold role {assignment.role!r}"
                    f" in {assignment.organization or 'no organization'}",
                    store=self.name,
                    account=account_id,
                )
            self._touch(connection, account_id)
