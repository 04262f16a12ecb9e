"""Credentials: authenticators (list, add, remove), the password, failed attempts, reset links.

The password is taken from the body and handed to the store; it is never answered, logged or
put in an error. A reset link goes to the customer only: the answer is the logged notification
with the link masked.
"""

from __future__ import annotations

from typing import Any

from idconnect.core.convert import to_json
from idconnect.core.notification import Notified
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

__all__ = ["ENDPOINTS", "notified_json"]

_NOTIFY = {**TEXT, "description": "A client to tell the customer through after the change."}


def notified_json(result: Any) -> Any:
    """Return the JSON of a change's result, with its notifications' outcomes when it has any.

    :param result: what the facade returned (a model object, ``None``, or a ``Notified``).
    :returns: the canonical JSON; for a ``Notified``, ``{"result", "notifications"}``;
        ``None`` (answered 204) for ``None``.
    """
    if isinstance(result, Notified):
        return {
            "result": None if result.result is None else to_json(result.result),
            "notifications": to_json(list(result.notifications)),
        }
    return None if result is None else to_json(result)


async def _list(call: Call) -> Any:
    return to_json(await call.run(call.store.list_authenticators, call.path["account"]))


async def _add(call: Call) -> Any:
    b = call.body
    added = await call.run(
        call.store.add_authenticator,
        call.path["account"],
        b["kind"],
        b["value"],
        verified=b.get("verified", False),
        reason=call.reason(),
        notify=b.get("notify"),
    )
    return notified_json(added)


async def _remove(call: Call) -> Any:
    done = await call.run(
        call.store.remove_authenticator,
        call.path["account"],
        call.path["authenticator"],
        reason=call.reason(),
        notify=call.query.get("notify"),
    )
    return notified_json(done)


async def _password(call: Call) -> Any:
    done = await call.run(
        call.store.set_password,
        call.path["account"],
        call.body["password"],
        reason=call.reason(),
        notify=call.body.get("notify"),
    )
    return notified_json(done)


async def _unlock(call: Call) -> None:
    await call.run(call.store.reset_failed_attempts, call.path["account"], reason=call.reason())


async def _reset_link(call: Call) -> Any:
    sent = await call.run(
        call.store.send_password_reset,
        call.path["account"],
        client=call.body["client"],
        reason=call.reason(),
    )
    return to_json(sent)


_BASE = "/stores/{store}/accounts/{account}"
_NOTIFIED = {
    "type": "object",
    "required": ["result", "notifications"],
    "properties": {"notifications": array_of(ref("Notification"))},
}
_CHANGED = {
    200: Reply(description="Done, with notify: the notifications' outcomes.", schema=_NOTIFIED),
    204: Reply(description="Done (without notify)."),
}

ENDPOINTS = (
    Endpoint(
        method="GET",
        path=_BASE + "/authenticators",
        name="listAuthenticators",
        summary="An account's authentication methods (masked, never a secret).",
        tag="credentials",
        run=_list,
        params=(store_param(), account_param()),
        responses={200: Reply(description="The methods.", schema=array_of(ref("Authenticator")))},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/authenticators",
        name="addAuthenticator",
        summary="Add an email address or phone number (E.164) as an authentication method.",
        tag="credentials",
        run=_add,
        params=(store_param(), account_param()),
        body={
            "kind": {"enum": ["email", "phone"]},
            "value": {**TEXT, "maxLength": 254},
            "verified": {"type": "boolean"},
            "notify": _NOTIFY,
            "reason": TEXT,
        },
        required=("kind", "value"),
        mutates=True,
        responses={
            201: Reply(
                description="The new method; with notify, {result, notifications}.",
                schema={"anyOf": [ref("Authenticator"), _NOTIFIED]},
            )
        },
    ),
    Endpoint(
        method="DELETE",
        path=_BASE + "/authenticators/{authenticator}",
        name="removeAuthenticator",
        summary="Remove an authentication method.",
        tag="credentials",
        run=_remove,
        params=(
            store_param(),
            account_param(),
            Param(name="authenticator", schema=ID, description="The method's id."),
            query_param("notify", _NOTIFY),
        ),
        mutates=True,
        responses=_CHANGED,
    ),
    Endpoint(
        method="PUT",
        path=_BASE + "/password",
        name="setPassword",
        summary="Set the password (never answered or logged).",
        tag="credentials",
        run=_password,
        params=(store_param(), account_param()),
        body={
            "password": {"type": "string", "minLength": 1, "maxLength": 1024},
            "notify": _NOTIFY,
            "reason": TEXT,
        },
        required=("password",),
        mutates=True,
        responses=_CHANGED,
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/failed-attempts/reset",
        name="resetFailedAttempts",
        summary="Reset the failed password and OTP counters and lift their lockout.",
        tag="credentials",
        run=_unlock,
        params=(store_param(), account_param()),
        body={"reason": TEXT},
        mutates=True,
        responses={204: Reply(description="Reset.")},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/password-reset",
        name="sendPasswordReset",
        summary="Send the customer a single-use password reset link through a client.",
        tag="credentials",
        description="The link goes to the customer only; the answer has it masked.",
        run=_reset_link,
        params=(store_param(), account_param()),
        body={"client": TEXT, "reason": TEXT},
        required=("client",),
        mutates=True,
        responses={
            202: Reply(
                description="The logged notification (sent, or failed with its cause).",
                schema=ref("Notification"),
            )
        },
    ),
)
