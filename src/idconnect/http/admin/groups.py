"""Groups: list (a page, filtered), show with members, create, rename, delete.

Membership changes for many accounts are bulk actions (:mod:`idconnect.http.admin.accounts`).
"""

from __future__ import annotations

from typing import Any

from idconnect.core.convert import to_json
from idconnect.http.admin.schemas import (
    ID,
    TEXT,
    count_param,
    cursor_param,
    filter_param,
    ref,
    store_param,
)
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply

__all__ = ["ENDPOINTS"]

_GROUP = Param(name="group", schema=ID, description="The group's id.")


async def _list(call: Call) -> Any:
    q = call.query
    page = await call.run(
        call.store.search_groups,
        q.get("filter"),
        count=q.get("count", 50),
        cursor=q.get("cursor"),
    )
    return to_json(page)


async def _show(call: Call) -> Any:
    return to_json(await call.run(call.store.get_group, call.path["group"]))


async def _create(call: Call) -> Any:
    created = await call.run(
        call.store.create_group, {"displayName": call.body["displayName"]}, reason=call.reason()
    )
    return to_json(created)


async def _rename(call: Call) -> Any:
    renamed = await call.run(
        call.store.rename_group,
        call.path["group"],
        call.body["displayName"],
        reason=call.reason(),
    )
    return to_json(renamed)


async def _delete(call: Call) -> None:
    await call.run(call.store.delete_group, call.path["group"], reason=call.reason())


ENDPOINTS = (
    Endpoint(
        method="GET",
        path="/stores/{store}/groups",
        name="listGroups",
        summary="One page of the store's groups (without members), optionally filtered.",
        tag="groups",
        run=_list,
        params=(
            store_param(),
            filter_param('A SCIM filter over id and displayName, e.g. displayName sw "beta".'),
            count_param(),
            cursor_param(),
        ),
        responses={200: Reply(description="A SCIM ListResponse.", schema=ref("GroupList"))},
    ),
    Endpoint(
        method="GET",
        path="/stores/{store}/groups/{group}",
        name="getGroup",
        summary="A group with its member ids.",
        tag="groups",
        run=_show,
        params=(store_param(), _GROUP),
        responses={200: Reply(description="The SCIM Group.", schema=ref("Group"))},
    ),
    Endpoint(
        method="POST",
        path="/stores/{store}/groups",
        name="createGroup",
        summary="Create a group.",
        tag="groups",
        run=_create,
        params=(store_param(),),
        body={"displayName": TEXT, "reason": TEXT},
        required=("displayName",),
        mutates=True,
        responses={201: Reply(description="The group as stored.", schema=ref("Group"))},
    ),
    Endpoint(
        method="PATCH",
        path="/stores/{store}/groups/{group}",
        name="renameGroup",
        summary="Rename a group; its id and its members stay.",
        tag="groups",
        run=_rename,
        params=(store_param(), _GROUP),
        body={"displayName": TEXT, "reason": TEXT},
        required=("displayName",),
        mutates=True,
        responses={
            200: Reply(description="The group as stored after the change.", schema=ref("Group"))
        },
    ),
    Endpoint(
        method="DELETE",
        path="/stores/{store}/groups/{group}",
        name="deleteGroup",
        summary="Delete a group; its members stay.",
        tag="groups",
        run=_delete,
        params=(store_param(), _GROUP),
        mutates=True,
        responses={204: Reply(description="Deleted.")},
    ),
)
