"""``GET /api/stores``: the configured stores, their plugins and what each can do.

A token limited to one store sees that store only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from idconnect.core.errors import IdconnectError
from idconnect.http.admin.schemas import array_of
from idconnect.http.admin.spec import Call, Endpoint, Reply

if TYPE_CHECKING:
    from idconnect.core.facade import Hub

__all__ = ["ENDPOINTS"]

_STORE = {
    "type": "object",
    "required": ["name", "plugin", "available", "capabilities"],
    "properties": {
        "name": {"type": "string"},
        "plugin": {"type": "string"},
        "available": {"type": "boolean"},
        "capabilities": {"type": "array", "items": {"type": "string"}},
        "error": {"type": "string"},
    },
}


def _describe(hub: Hub, name: str) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "plugin": hub.config.stores[name].plugin}
    try:
        row["capabilities"] = sorted(hub.store(name).capabilities)
    except IdconnectError as exc:
        return {**row, "available": False, "capabilities": [], "error": exc.message}
    return {**row, "available": True}


async def _stores(call: Call) -> Any:
    call.actor  # noqa: B018 (authenticated callers only)
    limit = getattr(call.request.state, "store_limit", None)
    names = [n for n in call.hub.stores if limit is None or n == limit]
    return {"stores": [await run_in_threadpool(_describe, call.hub, n) for n in names]}


ENDPOINTS = (
    Endpoint(
        method="GET",
        path="/stores",
        name="listStores",
        summary="List the configured stores: plugin, capabilities, whether each started.",
        description="A token limited to one store sees that store only.",
        tag="stores",
        run=_stores,
        responses={
            200: Reply(
                description="The stores, in config order.",
                schema={
                    "type": "object",
                    "required": ["stores"],
                    "properties": {"stores": array_of(_STORE)},
                },
            )
        },
    ),
)
