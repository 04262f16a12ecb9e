"""Roles: list the store's roles, assign and unassign (role, organization) pairs."""

from __future__ import annotations

from idconnect.core.facade.calls import StoreCalls
from idconnect.core.model import Role, RoleAssignment
from idconnect.core.opspec import covers

__all__ = ["RoleOperations"]


class RoleOperations(StoreCalls):
    """The roles family of :class:`~idconnect.core.facade.store.Store`."""

    @covers("list_roles")
    def list_roles(self, *, actor: str | None = None) -> list[Role]:
        """List the roles the store can assign.

        :param actor: the acting admin.
        :returns: the roles.
        """
        context = self._context(actor, None, need_reason=False)
        return list(self._call("list_roles", context))

    @covers("assign_role")
    def assign_role(
        self,
        account_id: str,
        role: str,
        *,
        organization: str | None = None,
        reason: str,
        actor: str | None = None,
    ) -> None:
        """Give an account a role, in an organization or globally.

        :param account_id: the account's id.
        :param role: the role's name.
        :param organization: the organization the role applies to; ``None`` for global.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises NotFound: when the account does not exist.
        """
        self._role_call("assign_role", account_id, role, organization, reason, actor)

    @covers("unassign_role")
    def unassign_role(
        self,
        account_id: str,
        role: str,
        *,
        organization: str | None = None,
        reason: str,
        actor: str | None = None,
    ) -> None:
        """Take a role away from an account.

        :param account_id: the account's id.
        :param role: the role's name.
        :param organization: the organization it applied to; ``None`` for global.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises NotFound: when the account does not hold it.
        """
        self._role_call("unassign_role", account_id, role, organization, reason, actor)

    def _role_call(
        self,
        op: str,
        account_id: str,
        role: str,
        organization: str | None,
        reason: str,
        actor: str | None,
    ) -> None:
        account_id = self._id(account_id)
        assignment = RoleAssignment(
            role=self._id(role, "role"),
            organization=None if organization is None else self._id(organization, "organization"),
        )
        context = self._context(actor, reason, need_reason=True)
        self._call(op, context, subject=account_id, account_id=account_id, assignment=assignment)
