"""The one declaration of an admin endpoint, from which its route and its OpenAPI operation come.

An :class:`Endpoint` names the method, the path, the typed path and query parameters, the JSON
body's schema and the responses per status. :func:`route` builds the Starlette route from it:
the route parses and checks every input against exactly those schemas (400 with a JSON error
naming the field, never its value) before the handler runs; :mod:`idconnect.http.openapi`
writes the same declarations out as OpenAPI 3.1, so the document cannot drift from the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import field, frozen
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idconnect.core.errors import NotFound, SecretUnavailable, StoreUnavailable
from idconnect.core.instants import parse_instant
from idconnect.http.auth import REASON_HEADER, reason_of
from idconnect.http.calls import ApiError, call

if TYPE_CHECKING:
    from idconnect.core.facade import Hub, Store

__all__ = [
    "Call",
    "Endpoint",
    "Param",
    "Reply",
    "check_value",
    "instant",
    "route",
]

T = TypeVar("T")


@frozen(kw_only=True)
class Param:
    """A path or query parameter: its name, where it is, its JSON Schema and whether required."""

    name: str
    where: str = "path"
    """``path`` or ``query``."""
    schema: Mapping[str, Any]
    """Its JSON Schema (``string``, ``integer``, ``boolean``, or an ``array`` of those)."""
    required: bool = True
    description: str = ""


@frozen(kw_only=True)
class Reply:
    """One declared response: its description and JSON Schema (``None``: no body)."""

    description: str
    schema: Mapping[str, Any] | None = None
    html: bool = False
    """Whether it may be a ``text/html`` page instead of the JSON document."""


@frozen(kw_only=True)
class Endpoint:
    """One admin operation, declared once: the route and the OpenAPI operation come from it."""

    method: str
    path: str
    """Relative to ``/api``, with ``{name}`` path parameters."""
    name: str
    """The OpenAPI ``operationId``."""
    summary: str
    tag: str
    run: Callable[[Call], Awaitable[Any]]
    """The handler: returns a Response, ``None`` (204), or a JSON document (the first 2xx)."""
    responses: Mapping[int, Reply]
    """The success responses; the error responses of
    :data:`~idconnect.http.admin.schemas.ERRORS` are added to every endpoint."""
    params: tuple[Param, ...] = ()
    body: Mapping[str, Any] | None = None
    """The properties of the JSON object body, by name; ``None``: no body."""
    required: tuple[str, ...] = ()
    """The body properties that must be present."""
    exclusive: tuple[str, ...] = ()
    """Body properties of which exactly one must be present (``oneOf`` in the document)."""
    mutates: bool = False
    """Whether it changes something (then it needs a reason, body ``reason`` or the header)."""
    description: str = field(default="")

    @property
    def body_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of the body (an object with exactly the declared properties)."""
        if self.body is None:
            return None
        schema: dict[str, Any] = {
            "type": "object",
            "properties": dict(self.body),
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        if self.exclusive:
            schema["oneOf"] = [{"required": [name]} for name in self.exclusive]
        return schema

    @property
    def success(self) -> int:
        """The status of a JSON document the handler returns (the first declared 2xx)."""
        return min(self.responses)


class Call:
    """One request to an admin endpoint, its inputs checked: what a handler works with.

    :param hub: the hub.
    :param request: the Starlette request.
    :param path: the path parameters, typed.
    :param query: the query parameters given, typed.
    :param body: the JSON body's properties (empty without a body).
    """

    def __init__(
        self,
        hub: Hub,
        request: Request,
        path: dict[str, Any],
        query: dict[str, Any],
        body: dict[str, Any],
    ) -> None:
        self.hub = hub
        self.request = request
        self.path = path
        self.query = query
        self.body = body

    @property
    def actor(self) -> str:
        """The authenticated admin (``request.state.actor``, set by the token middleware).

        :raises ApiError: 401 when no middleware authenticated the request.
        """
        actor = getattr(self.request.state, "actor", None)
        if not isinstance(actor, str) or not actor:
            raise ApiError(401, "unauthenticated", "this endpoint needs an API token")
        return actor

    @property
    def store(self) -> Store:
        """The store the path's ``{store}`` names.

        :raises ApiError: 404 for a name no store has; 503 when its secret cannot be read (an
            unset variable, an unreadable file), so its backend could not start.
        """
        name = self.path["store"]
        if name not in self.hub.stores:
            raise ApiError(404, NotFound.code, f"no store named {name!r}")
        try:
            return self.hub.store(name)
        except SecretUnavailable as exc:
            raise ApiError(503, StoreUnavailable.code, str(exc)) from exc

    def reason(self) -> str:
        """The reason of a mutation: the body's ``reason``, else the ``Idconnect-Reason`` header.

        :returns: the reason.
        :raises ApiError: 400 when neither gives one.
        """
        given = self.optional_reason()
        if given is None:
            raise ApiError(
                400,
                "invalid_input",
                f"a reason is required: give 'reason' in the body or the {REASON_HEADER} header",
            )
        return given

    def optional_reason(self) -> str | None:
        """The reason if one was given (body ``reason``, else the header), else ``None``.

        :raises ApiError: 400 for an unacceptable header (blank, too long, control characters).
        """
        given = self.body.get("reason")
        return given if isinstance(given, str) else reason_of(self.request)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking facade method in the thread pool, as the authenticated admin.

        :param fn: the facade method.
        :param args: its positional arguments.
        :param kwargs: its keyword arguments (``actor=`` is added).
        :returns: what it returned.
        :raises ApiError: for every idconnect error it raised.
        """
        return await call(fn, *args, actor=self.actor, **kwargs)


TEXT_SCHEMA: Mapping[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 512,
    "pattern": r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
}
"""Non-empty text of at most 512 characters without control characters (ids, reasons)."""

ID_SCHEMA: Mapping[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 512,
    "pattern": r"^[^/\s.\x00-\x1f\x7f][^/\x00-\x1f\x7f]*$",
}
"""An id in a path: one segment, not starting with a dot or a space."""


def check_value(value: Any, schema: Mapping[str, Any], where: str) -> None:
    """Check a JSON value against the subset of JSON Schema the declarations use.

    Handles ``type``, ``enum``, ``minLength``/``maxLength``/``pattern``/``format: date-time``,
    ``minimum``/``maximum``, ``items``/``minItems``/``maxItems`` and ``properties``/``required``/
    ``additionalProperties: false``.

    :param value: the value.
    :param schema: its schema.
    :param where: how to name it in the error.
    :raises ApiError: 400 naming ``where`` and the rule (never the value).
    """
    kind = schema.get("type")
    if kind is not None and not _is(value, kind):
        raise _invalid(f"{where} must be {_KIND_WORDS.get(str(kind), kind)}")
    if "enum" in schema and value not in schema["enum"]:
        raise _invalid(f"{where} must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        _check_text(value, schema, where)
    elif isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise _invalid(f"{where} must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise _invalid(f"{where} must be at most {schema['maximum']}")
    elif isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            raise _invalid(f"{where} must hold at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise _invalid(f"{where} must hold at most {schema['maxItems']} items")
        for n, item in enumerate(value):
            check_value(item, schema.get("items", {}), f"{where}[{n}]")
    elif isinstance(value, dict):
        _check_object(value, schema, where)


def _check_text(value: str, schema: Mapping[str, Any], where: str) -> None:
    if len(value) < schema.get("minLength", 0):
        raise _invalid(f"{where} must not be empty")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise _invalid(f"{where} must be at most {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        words = _PATTERN_WORDS.get(schema["pattern"], "must be in the documented form")
        raise _invalid(f"{where} {words}")
    if schema.get("format") == "date-time":
        try:
            parse_instant(value)
        except (ValueError, TypeError):
            raise _invalid(f"{where} must be an ISO 8601 instant with a UTC offset") from None


def _check_object(value: dict[str, Any], schema: Mapping[str, Any], where: str) -> None:
    properties = schema.get("properties", {})
    prefix = "" if where == "body" else f"{where}."
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            raise _invalid(
                f"unknown field {prefix}{unknown[0][:64]!r}"
                f" (known: {', '.join(properties) or 'none'})"
            )
    for name in schema.get("required", ()):
        if name not in value:
            raise _invalid(f"{prefix}{name} is required")
    for name, item in value.items():
        if name in properties:
            check_value(item, properties[name], f"{prefix}{name}")


_PATTERN_WORDS = {
    TEXT_SCHEMA["pattern"]: "must be text without control characters, not only spaces",
    ID_SCHEMA["pattern"]: "must be one path segment without control characters, not starting"
    " with a dot or a space",
}
"""What each pattern of the declarations asks for, in words."""

_KIND_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a JSON object",
}


def _is(value: Any, kind: Any) -> bool:
    if isinstance(kind, list):
        return any(_is(value, k) for k in kind)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    checks: dict[str, Any] = {
        "string": str,
        "boolean": bool,
        "array": list,
        "object": dict,
        "null": type(None),
    }
    return isinstance(value, checks[kind])


def _invalid(detail: str) -> ApiError:
    return ApiError(400, "invalid_input", detail)


def _typed_query(raw: str, schema: Mapping[str, Any], where: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,18}", raw):
            raise _invalid(f"{where} must be a whole number")
        return int(raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _invalid(f"{where} must be true or false")
        return raw == "true"
    return raw


def _query(request: Request, params: tuple[Param, ...]) -> dict[str, Any]:
    declared = {p.name: p for p in params if p.where == "query"}
    unknown = sorted(set(request.query_params) - set(declared))
    if unknown:
        raise _invalid(
            f"unknown query parameter {unknown[0][:64]!r} (known: {', '.join(declared) or 'none'})"
        )
    found: dict[str, Any] = {}
    for name, param in declared.items():
        values = request.query_params.getlist(name)
        if not values:
            if param.required:
                raise _invalid(f"query parameter {name} is required")
            continue
        if param.schema.get("type") == "array":
            value: Any = [_typed_query(v, param.schema["items"], name) for v in values]
        elif len(values) > 1:
            raise _invalid(f"query parameter {name} is given more than once")
        else:
            value = _typed_query(values[0], param.schema, name)
        check_value(value, param.schema, name)
        found[name] = value
    return found


async def _body(request: Request, endpoint: Endpoint) -> dict[str, Any]:
    raw = await request.body()
    schema = endpoint.body_schema
    if schema is None:
        if raw.strip():
            raise _invalid("this endpoint takes no body")
        return {}
    try:
        doc = json.loads(raw, parse_float=_number) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise _invalid("the body must be a JSON object") from None
    check_value(doc, schema, "body")
    if not isinstance(doc, dict):
        raise _invalid("the body must be a JSON object")
    if endpoint.exclusive and sum(name in doc for name in endpoint.exclusive) != 1:
        raise _invalid(f"give exactly one of {' or '.join(endpoint.exclusive)}")
    return doc


def _number(text: str) -> int | float:
    """A JSON number with a fraction or exponent: whole ones (``5.0``, ``1e3``) are integers."""
    value = float(text)
    return int(value) if value.is_integer() else value


def route(hub: Hub, endpoint: Endpoint) -> Route:
    """Build the Starlette route of an endpoint: check the inputs, run the handler, render.

    :param hub: the hub the handlers call.
    :param endpoint: the declaration.
    :returns: the route (relative to where it is mounted).
    """
    path_params = [p for p in endpoint.params if p.where == "path"]

    async def handle(request: Request) -> Response:
        path = {}
        for param in path_params:
            value = request.path_params[param.name]
            check_value(value, param.schema, param.name)
            path[param.name] = value
        query = _query(request, endpoint.params)
        body = await _body(request, endpoint)
        current = Call(hub, request, path, query, body)
        if endpoint.mutates:
            current.reason()
        result = await endpoint.run(current)
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=204)
        return JSONResponse(result, status_code=endpoint.success)

    return Route(endpoint.path, handle, methods=[endpoint.method], name=endpoint.name)


def instant(value: str | None) -> datetime | None:
    """Parse a checked ``date-time`` value (``None`` stays ``None``).

    :param value: the text, checked by its schema already.
    :returns: the aware instant.
    """
    return None if value is None else parse_instant(value)
