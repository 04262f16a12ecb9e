"""Impersonation: issue a login link as the customer (answered once), list and revoke grants.

The link is in the answer to the request that issued it and nowhere else: the grants listed
afterwards never carry it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from idconnect.core.impersonation import Impersonation
from idconnect.core.instants import format_instant
from idconnect.http.admin.schemas import (
    ID,
    TEXT,
    account_param,
    array_of,
    query_param,
    ref,
    store_param,
)
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply

__all__ = ["ENDPOINTS", "grant_json"]


def grant_json(grant: Impersonation, now: datetime) -> dict[str, Any]:
    """Return a grant's JSON (never its link).

    :param grant: the grant.
    :param now: the hub's current instant, for its status.
    :returns: the document (``Grant`` in the OpenAPI components).
    """
    doc: dict[str, Any] = {
        "id": grant.id,
        "status": grant.status(now).value,
        "store": grant.store,
        "accountId": grant.account_id,
        "client": grant.client,
        "admin": grant.admin,
        "reason": grant.reason,
        "eventId": grant.event_id,
    }
    for key, value in (
        ("issuedAt", grant.issued_at),
        ("expiresAt", grant.expires_at),
        ("redeemedAt", grant.redeemed_at),
        ("revokedAt", grant.revoked_at),
    ):
        doc[key] = None if value is None else format_instant(value)
    doc["revokedBy"], doc["revokeReason"] = grant.revoked_by, grant.revoke_reason
    return doc


async def _impersonate(call: Call) -> Any:
    grant = await call.run(
        call.store.impersonate,
        call.path["account"],
        client=call.body["client"],
        reason=call.reason(),
    )
    return {**grant_json(grant, call.hub.clock()), "link": grant.link}


async def _list(call: Call) -> Any:
    found = await call.run(
        call.store.impersonations,
        call.query.get("account"),
        limit=call.query.get("limit", 1000),
    )
    now = call.hub.clock()
    return [grant_json(g, now) for g in found]


async def _revoke(call: Call) -> Any:
    revoked = await call.run(
        call.store.revoke_impersonation, call.path["grant"], reason=call.reason()
    )
    return grant_json(revoked, call.hub.clock())


ENDPOINTS = (
    Endpoint(
        method="POST",
        path="/stores/{store}/accounts/{account}/impersonations",
        name="impersonate",
        summary="Issue a short-lived, single-use login link as the customer.",
        tag="impersonation",
        description="The link is in this answer only; show it to the admin alone.",
        run=_impersonate,
        params=(store_param(), account_param()),
        body={"client": TEXT, "reason": TEXT},
        required=("client",),
        mutates=True,
        responses={
            201: Reply(
                description="The grant with its link.",
                schema={
                    "allOf": [
                        ref("Grant"),
                        {
                            "type": "object",
                            "required": ["link"],
                            "properties": {"link": {"type": "string"}},
                        },
                    ]
                },
            )
        },
    ),
    Endpoint(
        method="GET",
        path="/stores/{store}/impersonations",
        name="listImpersonations",
        summary="The store's impersonation grants, newest first (never their links).",
        tag="impersonation",
        run=_list,
        params=(
            store_param(),
            query_param("account", TEXT, "Only this account's grants."),
            query_param(
                "limit", {"type": "integer", "minimum": 1, "maximum": 100_000}, "At most this many."
            ),
        ),
        responses={200: Reply(description="The grants.", schema=array_of(ref("Grant")))},
    ),
    Endpoint(
        method="POST",
        path="/stores/{store}/impersonations/{grant}/revoke",
        name="revokeImpersonation",
        summary="Revoke a grant before it is used.",
        tag="impersonation",
        run=_revoke,
        params=(store_param(), Param(name="grant", schema=ID, description="The grant's id.")),
        body={"reason": TEXT},
        mutates=True,
        responses={200: Reply(description="The revoked grant.", schema=ref("Grant"))},
    ),
)
