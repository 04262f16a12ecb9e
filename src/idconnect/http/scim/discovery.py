"""Discovery endpoints (RFC 7644 §4): ``ServiceProviderConfig``, ``ResourceTypes``, ``Schemas``.

All three are derived from the store: its capabilities decide which features are advertised
(no PATCH, Bulk, sorting or ``changePassword`` where the store cannot), its catalogue lists
the attributes it holds and shows (custom ones under their extension schema, with their type,
multi-valuedness, case sensitivity and editability).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idconnect.core.convert import GROUP_SCHEMA
from idconnect.core.facade import Hub, Store
from idconnect.core.schema import (
    ACCOUNT_ATTRIBUTES,
    CORE_USER_SCHEMA,
    CUSTOM_SCHEMA,
    EXTENSION_SCHEMA,
    GROUP_CATALOGUE,
    AttributeDef,
)
from idconnect.http.calls import ApiError, call
from idconnect.http.limits import Limits
from idconnect.http.scim.common import actor_of, scim_response, store_of
from idconnect.http.scim.paging import LIST_RESPONSE
from idconnect.http.scim.users import base_url

__all__ = ["can_sort", "discovery_routes", "schemas", "service_provider_config"]

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

_NAMES = {
    CORE_USER_SCHEMA: ("User", "User Account"),
    EXTENSION_SCHEMA: ("IdconnectUser", "What idconnect knows of an account"),
    CUSTOM_SCHEMA: ("IdconnectAttributes", "Attributes this store's configuration declares"),
    GROUP_SCHEMA: ("Group", "Group"),
}
_WRITABLE = {a.name for a in ACCOUNT_ATTRIBUTES if a.writable}
_COMMON = {"id", "meta"}
_BULK_OPS = ("create_account", "update_account", "delete_account", "create_group")
_PATCH_OPS = ("update_account", "add_group_member", "rename_group")


async def can_sort(store: Store, actor: str) -> bool | None:
    """Find out whether the store sorts: ask it for one account sorted by a sortable attribute.

    A store may hold sortable attributes and still refuse every sort (an LDAP directory without
    a usable sort control), which only a search shows.

    :param store: the store.
    :param actor: the acting admin (the probe is a read as them).
    :returns: whether it sorts, or ``None`` when the probe could not tell (a refused read).
    """
    path = next((d.path for d in store.catalogue if d.sortable), None)
    if path is None or "search_accounts" not in store.capabilities:
        return False
    try:
        await call(store.search_accounts, None, sort_by=path, count=1, actor=actor)
    except ApiError as exc:
        return False if exc.status == 501 else None
    return True


def service_provider_config(
    store: Store, limits: Limits, base: str, *, sortable: bool
) -> dict[str, Any]:
    """Describe what this service can do for one store.

    :param store: the store.
    :param limits: the service's limits (``maxResults``, Bulk sizes).
    :param base: the store's SCIM base URL.
    :param sortable: whether the store sorts (:func:`can_sort`).
    :returns: the ServiceProviderConfig document.
    """
    can = store.capabilities
    bulk = any(op in can for op in _BULK_OPS)
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": any(op in can for op in _PATCH_OPS)},
        "bulk": {
            "supported": bulk,
            "maxOperations": limits.max_bulk_operations if bulk else 0,
            "maxPayloadSize": limits.max_bulk_payload if bulk else 0,
        },
        "filter": {"supported": "search_accounts" in can, "maxResults": limits.max_count},
        "changePassword": {"supported": "set_password" in can},
        "sort": {"supported": sortable and "search_accounts" in can},
        "etag": {"supported": True},
        "pagination": {
            "cursor": True,
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": min(100, limits.max_count),
            "maxPageSize": limits.max_count,
        },
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "API token",
                "description": "Authorization: Bearer TOKEN (idconnect tokens create)",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def _attribute(definition: AttributeDef, writable: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": definition.path.rpartition(".")[2],
        "type": definition.type.value,
        "multiValued": definition.multi_valued and "." not in definition.path,
        "description": definition.description,
        "required": definition.path == "userName",
        "caseExact": definition.case_exact,
        "mutability": "readWrite" if writable and definition.mutable else "readOnly",
        "returned": "default" if definition.visible else "never",
        "uniqueness": "server" if definition.path == "userName" else "none",
    }
    if definition.type.value == "reference":
        doc["referenceTypes"] = ["external"]
    return doc


def _attributes(definitions: Iterable[AttributeDef], writable: set[str]) -> list[dict[str, Any]]:
    """Top-level SCIM attributes from catalogue paths (``emails.value`` -> complex ``emails``)."""
    top: dict[str, dict[str, Any]] = {}
    for d in definitions:
        if d.parent in _COMMON:
            continue
        can_write = d.parent in writable
        if "." not in d.path:
            top[d.parent] = _attribute(d, can_write)
            continue
        parent = top.setdefault(
            d.parent,
            {
                "name": d.parent,
                "type": "complex",
                "multiValued": d.multi_valued,
                "description": "",
                "required": False,
                "mutability": "readWrite" if can_write else "readOnly",
                "returned": "default",
                "subAttributes": [],
            },
        )
        parent["subAttributes"].append(_attribute(d, can_write))
    return list(top.values())


def schemas(store: Store, base: str) -> list[dict[str, Any]]:
    """Describe the attributes the store holds, one Schema resource per schema URN.

    :param store: the store.
    :param base: the store's SCIM base URL.
    :returns: the core User schema, the idconnect extension, the custom attributes' schema
        (when the store declares any) and the Group schema (when it has groups).
    """
    can = store.capabilities
    writable = set(_WRITABLE)
    writable |= {d.path for d in store.catalogue if d.custom and d.mutable}
    if "set_account_enabled" in can:
        writable.add("active")
    if "update_account" not in can:
        writable = {"active"} & writable
    by_schema: dict[str, list[AttributeDef]] = {}
    for d in store.catalogue:
        by_schema.setdefault(d.schema, []).append(d)
    docs = []
    for urn in (CORE_USER_SCHEMA, EXTENSION_SCHEMA, CUSTOM_SCHEMA):
        attributes = _attributes(by_schema.get(urn, []), writable)
        if urn == CORE_USER_SCHEMA and "set_password" in can:
            attributes.append(
                {
                    "name": "password",
                    "type": "string",
                    "multiValued": False,
                    "required": False,
                    "caseExact": True,
                    "mutability": "writeOnly",
                    "returned": "never",
                    "uniqueness": "none",
                }
            )
        if attributes or urn == CORE_USER_SCHEMA:
            docs.append(_schema(urn, attributes, base))
    if "search_groups" in can or "get_group" in can:
        members = {
            "name": "members",
            "type": "complex",
            "multiValued": True,
            "required": False,
            "mutability": "readWrite" if "add_group_member" in can else "readOnly",
            "returned": "default",
            "subAttributes": [
                {
                    "name": "value",
                    "type": "string",
                    "multiValued": False,
                    "required": False,
                    "caseExact": True,
                    "mutability": "immutable",
                    "returned": "default",
                    "uniqueness": "none",
                }
            ],
        }
        group_attributes = _attributes(GROUP_CATALOGUE, {"displayName"})
        if "rename_group" not in can:
            for attribute in group_attributes:
                attribute["mutability"] = "immutable" if "create_group" in can else "readOnly"
        docs.append(_schema(GROUP_SCHEMA, [*group_attributes, members], base))
    return docs


def _schema(urn: str, attributes: list[dict[str, Any]], base: str) -> dict[str, Any]:
    name, description = _NAMES[urn]
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{urn}"},
    }


def resource_types(store: Store, base: str) -> list[dict[str, Any]]:
    """List the resource types the store serves.

    :param store: the store.
    :param base: the store's SCIM base URL.
    :returns: ``User`` (with the extensions the store's catalogue has) and, where the store
        has groups, ``Group``.
    """
    held = {d.schema for d in store.catalogue}
    user: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": CORE_USER_SCHEMA,
        "schemaExtensions": [
            {"schema": urn, "required": False}
            for urn in (EXTENSION_SCHEMA, CUSTOM_SCHEMA)
            if urn in held
        ],
        "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
    }
    types = [user]
    if "search_groups" in store.capabilities or "get_group" in store.capabilities:
        types.append(
            {
                "schemas": [RESOURCE_TYPE_SCHEMA],
                "id": "Group",
                "name": "Group",
                "endpoint": "/Groups",
                "description": "Group",
                "schema": GROUP_SCHEMA,
                "schemaExtensions": [],
                "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
            }
        )
    return types


def _listing(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def _one(resources: list[dict[str, Any]], wanted: str, what: str) -> dict[str, Any]:
    for resource in resources:
        if str(resource["id"]).lower() == wanted.lower():
            return resource
    raise ApiError(404, "not_found", f"no {what} {wanted!r}")


def discovery_routes(hub: Hub, limits: Limits) -> list[Route]:
    """Build the discovery routes of one store's SCIM service.

    :param hub: the hub whose stores are served.
    :param limits: the service's limits.
    :returns: the routes (mounted under ``/scim/v2/{store}``).
    """
    sorts: dict[str, bool] = {}

    async def spc(request: Request) -> Response:
        store = store_of(hub, request)
        if store.name not in sorts:
            found = await can_sort(store, actor_of(request))
            if found is not None:
                sorts[store.name] = found
        sortable = sorts.get(store.name, True)
        return scim_response(
            service_provider_config(store, limits, base_url(request), sortable=sortable)
        )

    async def list_types(request: Request) -> Response:
        return scim_response(_listing(resource_types(store_of(hub, request), base_url(request))))

    async def one_type(request: Request) -> Response:
        listed = resource_types(store_of(hub, request), base_url(request))
        return scim_response(_one(listed, request.path_params["id"], "resource type"))

    async def list_schemas(request: Request) -> Response:
        return scim_response(_listing(schemas(store_of(hub, request), base_url(request))))

    async def one_schema(request: Request) -> Response:
        listed = schemas(store_of(hub, request), base_url(request))
        return scim_response(_one(listed, request.path_params["id"], "schema"))

    return [
        Route("/ServiceProviderConfig", spc, methods=["GET"]),
        Route("/ResourceTypes", list_types, methods=["GET"]),
        Route("/ResourceTypes/{id}", one_type, methods=["GET"]),
        Route("/Schemas", list_schemas, methods=["GET"]),
        Route("/Schemas/{id}", one_schema, methods=["GET"]),
    ]
