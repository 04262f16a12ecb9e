"""Roles: the store's roles and organizations, assigning and unassigning an account's roles."""

from __future__ import annotations

from typing import Any

from idconnect.core.convert import to_json
from idconnect.http.admin.schemas import ID, TEXT, account_param, array_of, query_param, store_param
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply

__all__ = ["ENDPOINTS"]

_ROLE = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "description": {"type": "string"}},
}


async def _roles(call: Call) -> Any:
    return to_json(await call.run(call.store.list_roles))


async def _organizations(call: Call) -> Any:
    return await call.run(call.store.list_organizations)


async def _assign(call: Call) -> None:
    await call.run(
        call.store.assign_role,
        call.path["account"],
        call.body["role"],
        organization=call.body.get("organization"),
        reason=call.reason(),
    )


async def _unassign(call: Call) -> None:
    await call.run(
        call.store.unassign_role,
        call.path["account"],
        call.path["role"],
        organization=call.query.get("organization"),
        reason=call.reason(),
    )


ENDPOINTS = (
    Endpoint(
        method="GET",
        path="/stores/{store}/roles",
        name="listRoles",
        summary="The roles the store can assign.",
        tag="roles",
        run=_roles,
        params=(store_param(),),
        responses={200: Reply(description="The roles.", schema=array_of(_ROLE))},
    ),
    Endpoint(
        method="GET",
        path="/stores/{store}/organizations",
        name="listOrganizations",
        summary="The organizations a role assignment may name, sorted.",
        tag="roles",
        run=_organizations,
        params=(store_param(),),
        responses={200: Reply(description="Their names.", schema=array_of({"type": "string"}))},
    ),
    Endpoint(
        method="POST",
        path="/stores/{store}/accounts/{account}/roles",
        name="assignRole",
        summary="Give an account a role, in an organization or globally.",
        tag="roles",
        run=_assign,
        params=(store_param(), account_param()),
        body={"role": TEXT, "organization": TEXT, "reason": TEXT},
        required=("role",),
        mutates=True,
        responses={204: Reply(description="Assigned.")},
    ),
    Endpoint(
        method="DELETE",
        path="/stores/{store}/accounts/{account}/roles/{role}",
        name="unassignRole",
        summary="Take a role (in an organization, or the global one) away from an account.",
        tag="roles",
        run=_unassign,
        params=(
            store_param(),
            account_param(),
            Param(name="role", schema=ID, description="The role's name."),
            query_param(
                "organization", TEXT, "The organization it applies to; omit for the global role."
            ),
        ),
        mutates=True,
        responses={204: Reply(description="Unassigned.")},
    ),
)
