"""Sessions: list an account's active sessions, end one, end all."""

from __future__ import annotations

from typing import Any

from idconnect.core.convert import to_json
from idconnect.http.admin.schemas import ID, account_param, array_of, ref, store_param
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply

__all__ = ["ENDPOINTS"]

_BASE = "/stores/{store}/accounts/{account}/sessions"


async def _list(call: Call) -> Any:
    return to_json(await call.run(call.store.list_sessions, call.path["account"]))


async def _revoke(call: Call) -> None:
    await call.run(
        call.store.revoke_session, call.path["account"], call.path["session"], reason=call.reason()
    )


async def _revoke_all(call: Call) -> Any:
    ended = await call.run(call.store.revoke_sessions, call.path["account"], reason=call.reason())
    return {"revoked": ended}


ENDPOINTS = (
    Endpoint(
        method="GET",
        path=_BASE,
        name="listSessions",
        summary="An account's active sessions, most recently seen first.",
        tag="sessions",
        run=_list,
        params=(store_param(), account_param()),
        responses={200: Reply(description="The sessions.", schema=array_of(ref("Session")))},
    ),
    Endpoint(
        method="DELETE",
        path=_BASE + "/{session}",
        name="revokeSession",
        summary="End one session.",
        tag="sessions",
        run=_revoke,
        params=(
            store_param(),
            account_param(),
            Param(name="session", schema=ID, description="The session's id."),
        ),
        mutates=True,
        responses={204: Reply(description="Ended.")},
    ),
    Endpoint(
        method="DELETE",
        path=_BASE,
        name="revokeSessions",
        summary="End every session of an account.",
        tag="sessions",
        run=_revoke_all,
        params=(store_param(), account_param()),
        mutates=True,
        responses={
            200: Reply(
                description="How many sessions ended.",
                schema={
                    "type": "object",
                    "required": ["revoked"],
                    "properties": {"revoked": {"type": "integer", "minimum": 0}},
                },
            )
        },
    ),
)
