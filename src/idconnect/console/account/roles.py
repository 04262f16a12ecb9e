"""The Roles tab: the (role, organization) pairs an account holds; assign one, unassign one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from idconnect.console.account.parts import Action, Done, Tab, section
from idconnect.console.account.web import Form, View
from idconnect.core.model import Account

__all__ = ["ACTIONS", "TAB"]


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    roles = organizations = None
    if view.can("roles.assign") and view.supports("assign_role"):
        roles = await section(view, view.store.list_roles)
        organizations = await section(view, view.store.list_organizations)
    return {
        "assignments": account.role_assignments,
        "roles": roles,
        "organizations": organizations,
    }


def _where(organization: str | None) -> str:
    return f" in organization {organization}" if organization else " (global)"


def _change(method: str, done: str) -> Callable[[View, Form], Awaitable[Done]]:
    """The action that runs the store's ``method`` on the form's role and organization.

    :param method: ``assign_role`` or ``unassign_role``.
    :param done: what its message says happened to the role (``assigned``, ...).
    """

    async def run(view: View, form: Form) -> Done:
        role, organization = form.required("role", "a role"), form.get("organization")
        await view.act(getattr(view.store, method), form, role, organization=organization)
        return Done(message=f"Role {role} {done}{_where(organization)}.")

    return run


TAB = Tab(name="roles", title="Roles", permission="accounts.read", load=_load)
ACTIONS = (
    Action(name="roles/assign", tab="roles", run=_change("assign_role", "assigned")),
    Action(name="roles/unassign", tab="roles", run=_change("unassign_role", "unassigned")),
)
