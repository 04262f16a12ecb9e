"""Roles: list the store's roles, assign and unassign (role, organization) pairs."""

from __future__ import annotations

from idconnect.core.errors import InvalidInput
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.model import Role, RoleAssignment
from idconnect.core.operations import OPERATIONS
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

    @covers("list_organizations")
    def list_organizations(self, *, actor: str | None = None) -> list[str]:
        """List the organizations the store knows (what a role assignment may name).

        :param actor: the acting admin.
        :returns: their names, sorted.
        :raises NotSupported: when the store does not keep its organizations.
        """
        context = self._context(actor, None, need_reason=False)
        return sorted(str(name) for name in self._call("list_organizations", context))

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
        :raises InvalidInput: before any write, for an organization the store does not have
            (where it lists them, see :meth:`list_organizations`) or one that differs from it
            only in case, and for a pair that differs only in case from one the account holds.
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
        arguments = {"account_id": account_id, "assignment": assignment}
        self.hub.permissions.check(OPERATIONS[op], {"context": context, **arguments})
        if op == "assign_role" and op in self.capabilities:
            self._check_assignment(account_id, assignment, actor)
        self._call(op, context, subject=account_id, **arguments)

    def _check_assignment(
        self, account_id: str, assignment: RoleAssignment, actor: str | None
    ) -> None:
        org = assignment.organization
        if org is not None and "list_organizations" in self.capabilities:
            known = self.list_organizations(actor=actor)
            if org not in known:
                variant = next((k for k in known if k.casefold() == org.casefold()), None)
                shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
                hint = (
                    f"; did you mean {variant!r}?" if variant else f" (it has: {shown or 'none'})"
                )
                raise InvalidInput(
                    f"the store has no organization {org!r}{hint}",
                    store=self.name,
                    account=account_id,
                    attribute="organization",
                )
        if "get_account" not in self.capabilities:
            return
        held = self._call(
            "get_account",
            self._context(actor, None, need_reason=False),
            subject=account_id,
            account_id=account_id,
        ).role_assignments
        for other in held:
            if other != assignment and _folded(other) == _folded(assignment):
                where = f" in {other.organization!r}" if other.organization else ""
                raise InvalidInput(
                    f"the account holds role {other.role!r}{where} already; {assignment.role!r}"
                    f"{f' in {org!r}' if org else ''} differs from it only in case",
                    store=self.name,
                    account=account_id,
                )


def _folded(assignment: RoleAssignment) -> tuple[str, str | None]:
    org = assignment.organization
    return assignment.role.casefold(), None if org is None else org.casefold()
