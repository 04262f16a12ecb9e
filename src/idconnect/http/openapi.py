"""``/api/openapi.json``: the OpenAPI 3.1 document of the admin API, built from its declarations.

Every operation comes from one :class:`~idconnect.http.admin.spec.Endpoint` (the same object
the route is built from): parameters with their JSON Schemas, the request body's schema, and
the responses per status, the errors of :data:`~idconnect.http.admin.schemas.ERRORS` included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import idconnect
from idconnect.http.admin.schemas import COMPONENTS, ERRORS
from idconnect.http.admin.spec import Endpoint, Reply
from idconnect.http.auth import REASON_HEADER

__all__ = ["PREFIX", "openapi_document", "openapi_route"]

PREFIX = "/api"
"""Where the admin API is mounted; the document's paths start with it."""


_REASON = {
    "name": REASON_HEADER,
    "in": "header",
    "required": False,
    "description": "Why (as the CLI's --reason), unless the body gives 'reason'.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 512},
}
"""The reason header every mutation may carry instead of the body's ``reason``."""


def _reply(reply: Reply) -> dict[str, Any]:
    doc: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None:
        doc["content"] = {"application/json": {"schema": dict(reply.schema)}}
    if reply.html:
        doc.setdefault("content", {})["text/html"] = {"schema": {"type": "string"}}
    return doc


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": {
            str(status): _reply(reply)
            for status, reply in sorted({**ERRORS, **endpoint.responses}.items())
        },
    }
    if endpoint.description or endpoint.mutates:
        needs = f"Needs a reason: body 'reason' or the {REASON_HEADER} header."
        op["description"] = " ".join(
            part for part in (endpoint.description, needs if endpoint.mutates else "") if part
        )
    parameters = [
        {
            "name": p.name,
            "in": p.where,
            "required": p.required,
            "description": p.description,
            "schema": dict(p.schema),
            **({"explode": True, "style": "form"} if p.schema.get("type") == "array" else {}),
        }
        for p in endpoint.params
    ]
    if endpoint.mutates or "reason" in (endpoint.body or {}):
        parameters.append(_REASON)
    if parameters:
        op["parameters"] = parameters
    body = endpoint.body_schema
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return op


def openapi_document(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document of the given endpoints.

    :param endpoints: the declarations (:data:`idconnect.http.admin.ENDPOINTS`).
    :returns: the document, ready for ``json.dumps``.
    """
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(PREFIX + endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "idconnect admin API",
            "version": idconnect.__version__,
            "description": "Support-desk actions over every configured identity store. Every"
            " request carries an API token (Authorization: Bearer); every change a reason.",
        },
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def openapi_route(endpoints: Iterable[Endpoint]) -> Route:
    """Build the route serving the document at ``/openapi.json`` (relative to the mount).

    :param endpoints: the declarations the document describes.
    :returns: the route.
    """
    document = openapi_document(endpoints)

    async def serve(_: Request) -> JSONResponse:
        return JSONResponse(document)

    return Route("/openapi.json", serve, methods=["GET"], name="openapi")
