# mypy: disable-error-code="empty-body"
"""Roles: the roles and organizations a store has, and (role, organization) assignments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.model import (
        Role,
        RoleAssignment,
    )

__all__ = [
    "idconnect_assign_role",
    "idconnect_list_organizations",
    "idconnect_list_roles",
    "idconnect_unassign_role",
]


@operation(family="roles", mutates=False, permission="roles.read")
@hookspec(firstresult=True)
def idconnect_list_roles(context: CallContext) -> Sequence[Role]:
    """List the roles the store knows and can assign.

    :param context: the call context.
    :returns: the roles, sorted by name.

    .. versionadded:: 0.1
    """


@operation(family="roles", mutates=False, permission="roles.read")
@hookspec(firstresult=True)
def idconnect_list_organizations(context: CallContext) -> Sequence[str]:
    """List the organizations the store knows (what a role assignment may name).

    A store implements it only where it keeps its organizations (a table, a directory
    subtree); the facade then refuses a role assignment in an organization not listed.

    :param context: the call context.
    :returns: the organizations' names, sorted.

    .. versionadded:: 0.2
    """


@operation(
    family="roles",
    mutates=True,
    permission="roles.assign",
    subject="account_id",
    target="assignment",
)
@hookspec(firstresult=True)
def idconnect_assign_role(
    context: CallContext, account_id: str, assignment: RoleAssignment
) -> None:
    """Give an account a role in an organization (or globally); assigning twice is not an error.

    Organization membership is not required: only the (role, organization) pair counts.

    :param context: the call context.
    :param account_id: the account's id.
    :param assignment: the role and organization.
    :raises NotFound: when the account does not exist.
    :raises InvalidInput: when the store only knows a fixed set of roles and this is not one.

    .. versionadded:: 0.1
    """


@operation(
    family="roles",
    mutates=True,
    permission="roles.assign",
    subject="account_id",
    target="assignment",
)
@hookspec(firstresult=True)
def idconnect_unassign_role(
    context: CallContext, account_id: str, assignment: RoleAssignment
) -> None:
    """Take a role in an organization away from an account.

    :param context: the call context.
    :param account_id: the account's id.
    :param assignment: the role and organization.
    :raises NotFound: when the account does not exist or does not hold that assignment.

    .. versionadded:: 0.1
    """
