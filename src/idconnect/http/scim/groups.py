"""``/scim/v2/{store}/Groups``: list, read, create, delete, rename and membership changes.

PATCH and PUT change the ``displayName`` (the facade's ``rename_group``; a store that cannot
rename answers 501) and the members: ``add`` of ``members``, ``remove`` of
``members[value eq "id"]`` or of ``members`` with a list of values, ``replace`` of ``members``.
A request doing both renames first, then adds and removes members. ``If-Match`` is compared
with the group's version before anything changes (stale: 412).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idconnect.core.convert import GROUP_SCHEMA
from idconnect.core.facade import Hub, Store
from idconnect.core.model import Group
from idconnect.core.query import Page
from idconnect.http.calls import call
from idconnect.http.limits import Limits
from idconnect.http.scim.common import (
    actor_of,
    if_match,
    invalid,
    read_json,
    refuse_stale,
    required_reason,
    scim_response,
    store_of,
)
from idconnect.http.scim.listing import ListParams, project
from idconnect.http.scim.paging import list_response
from idconnect.http.scim.patch import apply_patch, patch_operations
from idconnect.http.scim.resources import group_doc
from idconnect.http.scim.users import base_url, single

__all__ = ["group_routes"]


def _members(doc: Any) -> list[str]:
    listed = doc.get("members") or [] if isinstance(doc, dict) else None
    if not isinstance(listed, list) or not all(
        isinstance(m, dict) and isinstance(m.get("value"), str) for m in listed
    ):
        raise invalid('members must be a list of {"value": id}')
    return [m["value"] for m in listed]


def _display_name(doc: dict[str, Any]) -> Any:
    key = next((k for k in doc if k.lower() == "displayname"), None)
    if key is None:
        raise invalid("displayName is required: a group cannot be left without a name")
    return doc[key]


def group_routes(hub: Hub, limits: Limits) -> list[Route]:
    """Build the routes of the Groups endpoint.

    :param hub: the hub whose stores are served.
    :param limits: the service's limits.
    :returns: the routes (mounted under ``/scim/v2/{store}``).
    """

    def searcher(store: Store) -> Any:
        def search(*, include_total: bool, **kwargs: Any) -> Page[Group]:
            return store.search_groups(**kwargs)

        return search

    async def search(request: Request, values: Any) -> Response:
        store = store_of(hub, request)
        params = ListParams.parse(values, limits, min(100, limits.max_count))
        base = base_url(request)
        doc = await list_response(
            searcher(store),
            params,
            limits,
            lambda g: project(group_doc(g, base), params.attributes, params.excluded, GROUP_SCHEMA),
            filter=params.filter,
            sort_by=params.sort_by,
            descending=params.descending,
            actor=actor_of(request),
        )
        return scim_response(doc)

    async def list_groups(request: Request) -> Response:
        return await search(request, request.query_params)

    async def search_groups(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise invalid("a SearchRequest must be a JSON object", "invalidSyntax")
        body.pop("schemas", None)
        return await search(request, body)

    def respond(request: Request, group: Group, status: int = 200) -> Response:
        params = ListParams.parse(request.query_params, limits, 1)
        doc = project(
            group_doc(group, base_url(request)), params.attributes, params.excluded, GROUP_SCHEMA
        )
        return scim_response(doc, status, location=doc["meta"]["location"], version=group.version)

    async def get_group(request: Request) -> Response:
        store = store_of(hub, request)
        group = await call(store.get_group, request.path_params["id"], actor=actor_of(request))
        return respond(request, group)

    async def create_group(request: Request) -> Response:
        store = store_of(hub, request)
        actor, reason = actor_of(request), required_reason(request)
        body = await read_json(request)
        group = await call(store.create_group, body, reason=reason, actor=actor)
        return respond(request, group, 201)

    async def delete_group(request: Request) -> Response:
        store = store_of(hub, request)
        actor, reason = actor_of(request), required_reason(request)
        await call(store.delete_group, request.path_params["id"], reason=reason, actor=actor)
        return Response(status_code=204)

    async def read_for_change(request: Request) -> tuple[Store, Group]:
        store = store_of(hub, request)
        required_reason(request)
        expected = if_match(request)
        current = await call(store.get_group, request.path_params["id"], actor=actor_of(request))
        refuse_stale(expected, current.version)
        return store, current

    async def change(
        request: Request, store: Store, current: Group, after: dict[str, Any]
    ) -> Response:
        actor, reason = actor_of(request), required_reason(request)
        name = _display_name(after)
        wanted = _members(after)
        group_id = str(current.id)
        if name != current.display_name:
            await call(store.rename_group, group_id, name, reason=reason, actor=actor)
        added = [m for m in dict.fromkeys(wanted) if m not in current.members]
        removed = [m for m in current.members if m not in wanted]
        if added:
            single(await call(store.add_to_group, group_id, added, reason=reason, actor=actor))
        if removed:
            single(
                await call(store.remove_from_group, group_id, removed, reason=reason, actor=actor)
            )
        group = await call(store.get_group, group_id, actor=actor)
        return respond(request, group)

    async def patch_group(request: Request) -> Response:
        operations = patch_operations(await read_json(request))
        store, current = await read_for_change(request)
        before = group_doc(current, base_url(request))
        before.setdefault("members", [])
        after = apply_patch(before, operations, core_schema=GROUP_SCHEMA)
        return await change(request, store, current, after)

    async def replace_group(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise invalid("a Group must be a JSON object", "invalidSyntax")
        store, current = await read_for_change(request)
        return await change(request, store, current, body)

    return [
        Route("/Groups", list_groups, methods=["GET"]),
        Route("/Groups", create_group, methods=["POST"]),
        Route("/Groups/.search", search_groups, methods=["POST"]),
        Route("/Groups/{id}", get_group, methods=["GET"]),
        Route("/Groups/{id}", replace_group, methods=["PUT"]),
        Route("/Groups/{id}", patch_group, methods=["PATCH"]),
        Route("/Groups/{id}", delete_group, methods=["DELETE"]),
    ]
