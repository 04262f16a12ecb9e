"""Customer notifications: the eligible clients, the notification log (list, show), notify."""

from __future__ import annotations

from typing import Any

from idconnect.core.clients import EVENTS
from idconnect.core.convert import to_json
from idconnect.http.admin.schemas import (
    ID,
    TEXT,
    account_param,
    array_of,
    count_param,
    cursor_param,
    ref,
    store_param,
)
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply

__all__ = ["ENDPOINTS"]

_BASE = "/stores/{store}/accounts/{account}"
_LOG_PAGE = 500
"""The largest page of the notification log."""


async def _clients(call: Call) -> Any:
    found = await call.run(call.store.notification_clients, call.path["account"])
    return [{"name": c.name, "application": c.application} for c in found]


async def _list(call: Call) -> Any:
    page = await call.run(
        call.store.notifications,
        call.path["account"],
        count=call.query.get("count", 50),
        cursor=call.query.get("cursor"),
    )
    return to_json(page)


async def _show(call: Call) -> Any:
    found = await call.run(call.store.notification, call.path["account"], call.path["notification"])
    return to_json(found)


async def _notify(call: Call) -> Any:
    sent = await call.run(
        call.store.notify,
        call.path["account"],
        call.body["event"],
        client=call.body["client"],
        reason=call.reason(),
    )
    return to_json(sent)


_PAGE = {
    "type": "object",
    "required": ["Resources"],
    "properties": {
        "Resources": array_of(ref("Notification")),
        "totalResults": {"type": "integer"},
        "nextCursor": {"type": "string"},
    },
}

ENDPOINTS = (
    Endpoint(
        method="GET",
        path=_BASE + "/clients",
        name="listNotificationClients",
        summary="The clients the account may be notified through (the selection rules).",
        tag="notifications",
        run=_clients,
        params=(store_param(), account_param()),
        responses={
            200: Reply(
                description="The eligible clients.",
                schema=array_of(
                    {
                        "type": "object",
                        "required": ["name", "application"],
                        "properties": {
                            "name": {"type": "string"},
                            "application": {"type": "string"},
                        },
                    }
                ),
            )
        },
    ),
    Endpoint(
        method="GET",
        path=_BASE + "/notifications",
        name="listNotifications",
        summary="One page of the account's notification log, newest first (content masked).",
        tag="notifications",
        run=_list,
        params=(store_param(), account_param(), count_param(_LOG_PAGE), cursor_param()),
        responses={200: Reply(description="A ListResponse of notifications.", schema=_PAGE)},
    ),
    Endpoint(
        method="GET",
        path=_BASE + "/notifications/{notification}",
        name="getNotification",
        summary="One message as logged (secrets [hidden]).",
        tag="notifications",
        run=_show,
        params=(
            store_param(),
            account_param(),
            Param(name="notification", schema=ID, description="The entry's id."),
        ),
        responses={200: Reply(description="The entry.", schema=ref("Notification"))},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/notifications",
        name="notify",
        summary="Tell the customer about an event through a client; the message is logged.",
        tag="notifications",
        run=_notify,
        params=(store_param(), account_param()),
        body={"event": {"enum": list(EVENTS)}, "client": TEXT, "reason": TEXT},
        required=("event", "client"),
        mutates=True,
        responses={
            201: Reply(
                description="The logged notification: sent, or failed with the cause.",
                schema=ref("Notification"),
            )
        },
    ),
)
