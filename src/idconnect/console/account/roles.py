"""The Roles tab: the (role, organization) pairs an account holds; assign one, unassign one."""

from __future__ import annotations

from collections.abc import Mapping
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


async def _assign(view: View, form: Form) -> Done:
    role, organization = form.required("role", "a role"), form.get("organization")
    await view.run(
        view.store.assign_role,
        view.account_id,
        role,
        organization=organization,
        reason=form.get("reason"),
    )
    return Done(message=f"Role {role} assigned{_where(organization)}.")


async def _unassign(view: View, form: Form) -> Done:
    role, organization = form.required("role", "a role"), form.get("organization")
    await view.run(
        view.store.unassign_role,
        view.account_id,
        role,
        organization=organization,
        reason=form.get("reason"),
    )
    return Done(message=f"Role {role} unassigned{_where(organization)}.")


TAB = Tab(name="roles", title="Roles", permission="accounts.read", load=_load)
ACTIONS = (
    Action(name="roles/assign", tab="roles", run=_assign),
    Action(name="roles/unassign", tab="roles", run=_unassign),
)
