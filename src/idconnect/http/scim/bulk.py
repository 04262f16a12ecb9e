"""``POST /scim/v2/{store}/Bulk`` (RFC 7644 §3.7): many operations in one request.

Each operation runs through the same handlers as its own request would (as the same admin,
with the same reason), in order; ``bulkId:ID`` in a later operation's path or data stands for
the id a POST with that ``bulkId`` created; ``failOnErrors`` stops after that many errors. The
request's size and operation count are bounded by :class:`~idconnect.http.limits.Limits`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Message, Scope

from idconnect.core.facade import Hub
from idconnect.http.calls import SCIM_ERROR, ApiError, error_response, service_root
from idconnect.http.limits import Limits
from idconnect.http.replay import replay
from idconnect.http.scim.common import actor_of, invalid, required_reason, scim_response, store_of

__all__ = ["BULK_REQUEST", "BULK_RESPONSE", "bulk_routes"]

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    """Replace ``bulkId:ID`` references with created ids; raise for an unknown one."""
    if isinstance(value, str):
        if value.startswith("bulkId:"):
            ref = value.removeprefix("bulkId:")
            if ref not in ids:
                raise invalid(f"bulkId {ref!r} names no operation that created a resource")
            return ids[ref]
        if "/bulkId:" in value:
            head, _, ref = value.partition("/bulkId:")
            return f"{head}/{_resolve('bulkId:' + ref, ids)}"
        return value
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    return value


async def _run(router: Router, request: Request, op: dict[str, Any], path: str) -> tuple[int, Any]:
    """Run one operation through the SCIM routes; return its status and JSON body."""
    headers = [(k, v) for k, v in request.scope["headers"] if k in (b"idconnect-reason",)]
    headers.append((b"content-type", b"application/scim+json"))
    if isinstance(op.get("version"), str):
        headers.append((b"if-match", op["version"].encode("latin-1", "replace")))
    body = b"" if op.get("data") is None else json.dumps(op["data"]).encode()
    root = service_root(request.scope)
    prefix = f"{root}/scim/v2/{request.path_params['store']}"
    scope: Scope = {
        **request.scope,
        "root_path": root,
        "method": op["method"],
        "path": prefix + path,
        "raw_path": (prefix + path).encode(),
        "query_string": b"",
        "headers": headers,
        "state": dict(request.scope.get("state") or {}),
    }
    answer: dict[str, Any] = {"status": 500, "body": b""}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    try:
        await router(scope, replay(body), send)
    except ApiError as exc:
        failed = error_response(Request(scope), exc)
        return exc.status, json.loads(bytes(failed.body))
    return answer["status"], json.loads(answer["body"]) if answer["body"] else None


def bulk_routes(hub: Hub, limits: Limits, routes: list[BaseRoute]) -> list[Route]:
    """Build the Bulk endpoint over the other SCIM routes of a store.

    :param hub: the hub whose stores are served.
    :param limits: the service's limits (operations and payload of one request).
    :param routes: the Users and Groups routes the operations run through.
    :returns: the route (mounted under ``/scim/v2/{store}``).
    """
    router = Router(routes=[Mount("/scim/v2/{store}", routes=routes)])

    async def bulk(request: Request) -> Response:
        store_of(hub, request)
        actor_of(request)
        required_reason(request)
        raw = await request.body()
        if len(raw) > limits.max_bulk_payload:
            raise ApiError(
                413,
                "too_large",
                f"a Bulk request may carry at most {limits.max_bulk_payload} bytes",
                scim_type="tooLarge",
            )
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise invalid("the body is not JSON", "invalidSyntax") from None
        if not isinstance(doc, dict) or BULK_REQUEST not in (doc.get("schemas") or []):
            raise invalid(f"the body must be a BulkRequest ({BULK_REQUEST})", "invalidSyntax")
        operations = doc.get("Operations")
        if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
            raise invalid("Operations must be a list of objects", "invalidSyntax")
        if len(operations) > limits.max_bulk_operations:
            raise ApiError(
                413,
                "too_large",
                f"a Bulk request may hold at most {limits.max_bulk_operations} operations",
                scim_type="tooMany",
            )
        fail_on = doc.get("failOnErrors")
        if fail_on is not None and (not isinstance(fail_on, int) or fail_on < 1):
            raise invalid("failOnErrors must be a whole number of 1 or more")
        ids: dict[str, str] = {}
        answers: list[dict[str, Any]] = []
        errors = 0
        for op in operations:
            if fail_on is not None and errors >= fail_on:
                break
            answers.append(await _one(router, request, op, ids))
            if int(answers[-1]["status"]) >= 400:
                errors += 1
        return scim_response({"schemas": [BULK_RESPONSE], "Operations": answers})

    return [Route("/Bulk", bulk, methods=["POST"])]


async def _one(
    router: Router, request: Request, op: dict[str, Any], ids: dict[str, str]
) -> dict[str, Any]:
    """Run one Bulk operation and return its entry of the BulkResponse."""
    method = str(op.get("method", "")).upper()
    bulk_id = op.get("bulkId")
    entry: dict[str, Any] = {"method": method}
    if bulk_id is not None:
        entry["bulkId"] = bulk_id
    try:
        if method not in _METHODS:
            raise invalid(f"unknown Bulk method {op.get('method')!r}")
        if method == "POST" and not isinstance(bulk_id, str):
            raise invalid("a POST in a Bulk request needs a bulkId")
        path = _resolve(op.get("path"), ids)
        if not isinstance(path, str) or not path.startswith("/") or path.count("/") > 2:
            raise invalid("path must be /Users, /Groups or /Users/ID, /Groups/ID", "invalidPath")
        data = _resolve(op.get("data"), ids)
    except ApiError as exc:
        entry["status"] = str(exc.status)
        entry["response"] = {
            "schemas": [SCIM_ERROR],
            "status": str(exc.status),
            "detail": exc.detail,
        }
        if exc.scim_type:
            entry["response"]["scimType"] = exc.scim_type
        return entry
    status, body = await _run(router, request, {**op, "method": method, "data": data}, path)
    entry["status"] = str(status)
    if status >= 400:
        entry["response"] = body
        return entry
    if isinstance(body, dict):
        meta = body.get("meta") or {}
        if meta.get("location"):
            entry["location"] = meta["location"]
        if meta.get("version"):
            entry["version"] = meta["version"]
        if method == "POST" and isinstance(body.get("id"), str) and isinstance(bulk_id, str):
            ids[bulk_id] = body["id"]
    return entry
