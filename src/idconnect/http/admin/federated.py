"""``GET /api/accounts``: one search across every store (``hub.search_accounts``).

Each store's search runs as the token's admin, so a store they may not read is skipped with
cause ``permission``; a token limited to one store searches that store only (naming another in
``stores`` is 403). ``allowScan=true`` lets a store read every account despite its
``scan_threshold``; without it such a store is skipped with cause ``filter`` (``strict=true``:
the search fails with 400 instead).
"""

from __future__ import annotations

from typing import Any

from idconnect.core.errors import NotFound, PermissionDenied
from idconnect.core.facade.federated import MAX_CURSOR
from idconnect.core.federated_json import federated_to_json
from idconnect.http.admin.schemas import (
    TEXT,
    count_param,
    cursor_param,
    filter_param,
    query_param,
    ref,
    sort_params,
    sorting,
)
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply
from idconnect.http.calls import ApiError

__all__ = ["ENDPOINTS"]

_SKIPPED = {
    "type": "object",
    "required": ["store", "cause", "message"],
    "properties": {
        "store": {"type": "string"},
        "cause": {"enum": ["permission", "filter", "not supported", "unavailable"]},
        "message": {"type": "string"},
    },
}

_PAGE = {
    "type": "object",
    "required": ["Resources", "nextCursor", "skipped"],
    "properties": {
        "Resources": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["store", "account"],
                "properties": {"store": {"type": "string"}, "account": ref("Account")},
            },
        },
        "nextCursor": {"type": ["string", "null"]},
        "skipped": {"type": "array", "items": _SKIPPED},
    },
}


def _flag(name: str, description: str) -> Param:
    return query_param(name, {"type": "boolean"}, description)


async def _search(call: Call) -> Any:
    query = call.query
    limit = getattr(call.request.state, "store_limit", None)
    stores = query.get("stores")
    if limit is not None:
        if stores is not None and stores != [limit]:
            raise ApiError(
                403, PermissionDenied.code, f"this token may search store {limit!r} only"
            )
        stores = [limit]
    unknown = [s for s in stores or () if s not in call.hub.stores]
    if unknown:
        raise ApiError(404, NotFound.code, f"no store named {unknown[0]!r}")
    page = await call.run(
        call.hub.search_accounts,
        query.get("filter"),
        stores=stores,
        **sorting(query),
        count=query.get("count", 50),
        cursor=query.get("cursor"),
        strict=query.get("strict", False),
        allow_scan=query.get("allowScan", False),
    )
    return federated_to_json(page, lambda name: call.hub.store(name).catalogue)


ENDPOINTS = (
    Endpoint(
        method="GET",
        path="/accounts",
        name="searchAllStores",
        summary="Search every store (or some) at once: one merged page, skipped stores named.",
        description=__doc__ or "",
        tag="accounts",
        run=_search,
        params=(
            filter_param(),
            query_param(
                "stores",
                {"type": "array", "items": TEXT, "minItems": 1, "maxItems": 100},
                "The stores to search, in tie-breaking order (repeat the parameter).",
            ),
            *sort_params("A single-valued attribute to merge by; else store by store."),
            count_param(),
            cursor_param(MAX_CURSOR),
            _flag(
                "strict",
                "Fail (400, 403, 503...) when a store cannot answer, instead of skipping it.",
            ),
            _flag("allowScan", "Let a store read every account despite its scan_threshold."),
        ),
        responses={200: Reply(description="One merged page.", schema=_PAGE)},
    ),
)
