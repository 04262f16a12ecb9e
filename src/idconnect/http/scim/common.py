"""What every SCIM handler needs: the store, the actor, the reason, the body, the answer.

Answers are ``application/scim+json``; a resource's ``meta.version`` is its ETag (weak,
``W/"..."``), and ``If-Match`` / ``If-None-Match`` are read back into the facade's expected
version (RFC 7644 §3.14).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idconnect.core.errors import ConfigError, IdconnectError
from idconnect.core.facade import Hub, Store
from idconnect.http.calls import ApiError, api_error

__all__ = [
    "SCIM_MEDIA_TYPE",
    "actor_of",
    "etag",
    "if_match",
    "invalid",
    "read_json",
    "refuse_stale",
    "required_reason",
    "scim_response",
    "store_of",
    "version_of_etag",
]

SCIM_MEDIA_TYPE = "application/scim+json"


def invalid(detail: str, scim_type: str = "invalidValue", status: int = 400) -> ApiError:
    """Build a SCIM error the handler raises itself.

    :param detail: what is wrong, in words.
    :param scim_type: the ``scimType``.
    :param status: the HTTP status.
    :returns: the error to raise.
    """
    return ApiError(status, "invalid_input", detail, scim_type=scim_type)


def store_of(hub: Hub, request: Request) -> Store:
    """Return the store the path names (``/scim/v2/{store}/...``).

    :param hub: the hub.
    :param request: the request.
    :returns: the store.
    :raises ApiError: 404 for a store the hub does not have; the store's own error (503 for
        one whose secret is unreadable) otherwise.
    """
    name = request.path_params["store"]
    try:
        return hub.store(name)
    except ConfigError as exc:
        if name not in hub.stores:
            raise ApiError(404, "not_found", f"no store named {name!r}") from exc
        raise ApiError(503, exc.code, f"store {name!r} is not available") from exc
    except IdconnectError as exc:
        raise api_error(exc) from exc


def actor_of(request: Request) -> str:
    """Return the admin the request acts as (set by the authentication middleware).

    :param request: the request.
    :returns: the actor.
    :raises ApiError: 401 when no middleware authenticated the request.
    """
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, str) or not actor:
        raise ApiError(401, "unauthenticated", "the request is not authenticated")
    return actor


def required_reason(request: Request) -> str:
    """Return why a mutating request acts (the ``Idconnect-Reason`` header).

    :param request: the request.
    :returns: the reason.
    :raises ApiError: 400 without one, or for one the checks refuse.
    """
    from idconnect.http.auth import REASON_HEADER, reason_of

    reason = reason_of(request)
    if reason is None:
        raise invalid(f"a reason is required for every change: send the {REASON_HEADER} header")
    return reason


async def read_json(request: Request) -> Any:
    """Read the request's JSON body.

    :param request: the request.
    :returns: the parsed value.
    :raises ApiError: 400 ``invalidSyntax`` for a body that is not JSON, 413 for one over the
        body limit.
    """
    body = await request.body()
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"the body is not JSON ({exc})", "invalidSyntax") from None


def etag(version: str | None) -> str | None:
    """Return the ETag of a resource version.

    :param version: ``meta.version`` as the store gave it.
    :returns: ``W/"version"`` (the version quoted when it is not an ETag already), or ``None``.
    """
    if version is None:
        return None
    if version.startswith(('W/"', '"')):
        return version
    return f'W/"{version}"'


def version_of_etag(value: str) -> str:
    """Return the store version an ETag names (the inverse of :func:`etag`).

    :param value: an entity tag as sent in ``If-Match`` (``W/"3"`` or ``"3"``).
    :returns: the version.
    :raises ApiError: 400 for a list of tags or ``*`` (one version is expected).
    """
    text = value.strip()
    if "," in text or text == "*":
        raise invalid("If-Match must name one version (one entity tag)")
    inner = text.removeprefix("W/")
    if len(inner) >= 2 and inner[0] == inner[-1] == '"':
        return inner[1:-1]
    return text


def if_match(request: Request) -> str | None:
    """Read ``If-Match`` as the facade's expected version.

    :param request: the request.
    :returns: the version, or ``None`` without the header.
    :raises ApiError: 400 for a header naming several versions.
    """
    value = request.headers.get("if-match")
    return None if value is None else version_of_etag(value)


def refuse_stale(expected: str | None, current: str | None) -> None:
    """Refuse a change whose ``If-Match`` names another version than the resource's.

    :param expected: the version ``If-Match`` named (:func:`if_match`), or ``None``.
    :param current: the resource's version as just read, or ``None`` when the store has none.
    :raises ApiError: 412 when both are known and differ.
    """
    if expected is not None and current is not None and expected != current:
        raise ApiError(412, "conflict", f"version {expected!r} is stale (current is {current!r})")


def scim_response(
    doc: Any, status: int = 200, *, location: str | None = None, version: str | None = None
) -> Response:
    """Answer with a SCIM document.

    :param doc: the JSON document.
    :param status: the status (201 for a creation).
    :param location: the resource's URL, sent as ``Location``.
    :param version: the resource's version, sent as ``ETag``.
    :returns: the response.
    """
    headers: dict[str, str] = {}
    if location is not None:
        headers["Location"] = location
    tag = etag(version)
    if tag is not None:
        headers["ETag"] = tag
    return JSONResponse(doc, status, headers=headers, media_type=SCIM_MEDIA_TYPE)
