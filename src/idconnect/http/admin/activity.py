"""Activity: one page of an account's timeline (store activity merged with the audit trail)."""

from __future__ import annotations

from typing import Any

from idconnect.core.activity import ActivityKind
from idconnect.core.convert import to_json
from idconnect.http.admin.schemas import (
    account_param,
    array_of,
    count_param,
    cursor_param,
    query_param,
    ref,
    store_param,
)
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply, instant

__all__ = ["ENDPOINTS"]


async def _activity(call: Call) -> Any:
    q = call.query
    page = await call.run(
        call.store.activity,
        call.path["account"],
        since=instant(q.get("since")),
        until=instant(q.get("until")),
        kinds=q.get("kind"),
        count=q.get("count", 50),
        cursor=q.get("cursor"),
    )
    doc: dict[str, Any] = {"items": to_json(list(page.items))}
    if page.next_cursor is not None:
        doc["nextCursor"] = page.next_cursor
    return doc


def _bound(name: str, words: str) -> Param:
    return query_param(name, {"type": "string", "format": "date-time"}, words)


ENDPOINTS = (
    Endpoint(
        method="GET",
        path="/stores/{store}/accounts/{account}/activity",
        name="listActivity",
        summary="One page of an account's timeline, newest first, with a resumable cursor.",
        tag="activity",
        run=_activity,
        params=(
            store_param(),
            account_param(),
            _bound("since", "Only records at or after this instant."),
            _bound("until", "Only records at or before this instant."),
            query_param(
                "kind",
                {
                    "type": "array",
                    "items": {"enum": [k.value for k in ActivityKind]},
                    "minItems": 1,
                    "maxItems": len(ActivityKind),
                },
                "Only these kinds (repeat the parameter); admin for audit events.",
            ),
            count_param(),
            cursor_param(),
        ),
        responses={
            200: Reply(
                description="The page; nextCursor is missing on the last one.",
                schema={
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": array_of(ref("ActivityRecord")),
                        "nextCursor": {"type": "string"},
                    },
                },
            )
        },
    ),
)
