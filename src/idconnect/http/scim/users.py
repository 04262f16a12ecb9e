"""``/scim/v2/{store}/Users``: list, search, read, create, replace, patch and delete accounts.

Every handler acts as ``request.state.actor``; changes need a reason (``Idconnect-Reason``).
``If-Match`` becomes the facade's ``expected_version`` (a stale one is 412), ``If-None-Match``
on a read answers 304 while the version is unchanged.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idconnect.core.errors import IdconnectError
from idconnect.core.facade import Hub, Store
from idconnect.core.model import Account, BulkResult
from idconnect.core.schema import CORE_USER_SCHEMA
from idconnect.http.calls import ApiError, api_error, call, service_root
from idconnect.http.limits import Limits
from idconnect.http.scim.common import (
    actor_of,
    etag,
    if_match,
    invalid,
    read_json,
    refuse_stale,
    required_reason,
    scim_response,
    store_of,
    version_of_etag,
)
from idconnect.http.scim.listing import ListParams, project
from idconnect.http.scim.paging import list_response
from idconnect.http.scim.patch import apply_patch, patch_operations
from idconnect.http.scim.resources import account_change, account_doc, user_sections

__all__ = ["base_url", "checked", "single", "user_routes"]

SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def base_url(request: Request) -> str:
    """Return the SCIM base URL of the request's store (``http://host/scim/v2/{store}``).

    :param request: the request.
    :returns: the URL without a trailing slash.
    """
    scope = request.scope
    store = request.path_params["store"]
    return f"{_origin(scope)}{service_root(scope)}/scim/v2/{store}"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scope: Any) -> str:
    # what Starlette's request.url gives (the Host header, else the server's address), without
    # parsing the whole URL
    scheme: str = scope.get("scheme", "http")
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return f"{scheme}://{value.decode('latin-1')}"
    host, port = scope["server"]
    shown = "" if _DEFAULT_PORTS.get(scheme) == port else f":{port}"
    return f"{scheme}://{host}{shown}"


def single(result: BulkResult) -> None:
    """Raise the error of a one-account bulk action that failed.

    :param result: the result of enable/disable/delete on one id.
    :raises ApiError: the mapped error of its outcome.
    """
    for outcome in result.failed:
        error = outcome.error
        if isinstance(error, IdconnectError):
            raise api_error(error) from error
        raise ApiError(500, "error", "the change failed") from error


async def checked(expected: str | None, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a facade call; with an ``If-Match`` version, a stale-version conflict is 412.

    :param expected: the version ``If-Match`` named, or ``None``.
    :param fn: the facade method.
    :param args: its positional arguments.
    :param kwargs: its keyword arguments.
    :returns: what it returned.
    :raises ApiError: the mapped error.
    """
    try:
        return await call(fn, *args, **kwargs)
    except ApiError as exc:
        cause = exc.__cause__
        if expected is not None and isinstance(cause, IdconnectError):
            raise api_error(cause, if_match=True) from cause
        raise


def user_routes(hub: Hub, limits: Limits) -> list[Route]:
    """Build the routes of the Users endpoint.

    :param hub: the hub whose stores are served.
    :param limits: the service's limits.
    :returns: the routes (mounted under ``/scim/v2/{store}``).
    """

    def render(store: Store, request: Request, params: ListParams) -> Any:
        base = base_url(request)
        return lambda account: project(
            account_doc(store, account, base), params.attributes, params.excluded, CORE_USER_SCHEMA
        )

    async def search(request: Request, values: Any) -> Response:
        store = store_of(hub, request)
        params = ListParams.parse(values, limits, min(100, limits.max_count))
        doc = await list_response(
            store.search_accounts,
            params,
            limits,
            render(store, request, params),
            filter=params.filter,
            sort_by=params.sort_by,
            descending=params.descending,
            actor=actor_of(request),
        )
        return scim_response(doc)

    async def list_users(request: Request) -> Response:
        return await search(request, request.query_params)

    async def search_users(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise invalid("a SearchRequest must be a JSON object", "invalidSyntax")
        body.pop("schemas", None)
        return await search(request, body)

    async def respond(
        store: Store, request: Request, account: Account, status: int = 200
    ) -> Response:
        params = ListParams.parse(request.query_params, limits, 1)
        doc = project(
            account_doc(store, account, base_url(request)),
            params.attributes,
            params.excluded,
            CORE_USER_SCHEMA,
        )
        return scim_response(doc, status, location=doc["meta"]["location"], version=account.version)

    async def get_user(request: Request) -> Response:
        store = store_of(hub, request)
        account = await call(store.get_account, request.path_params["id"], actor=actor_of(request))
        none_match = request.headers.get("if-none-match")
        if none_match is not None and account.version is not None:
            tags = {version_of_etag(t) for t in none_match.split(",") if t.strip() != "*"}
            if account.version in tags or none_match.strip() == "*":
                return Response(status_code=304, headers={"ETag": etag(account.version) or ""})
        return await respond(store, request, account)

    async def create_user(request: Request) -> Response:
        store = store_of(hub, request)
        actor, reason = actor_of(request), required_reason(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise invalid("a User must be a JSON object", "invalidSyntax")
        password = body.pop("password", None)
        if password is not None and not isinstance(password, str):
            raise invalid("password must be text")
        account = await call(store.create_account, body, reason=reason, actor=actor)
        if password is not None and account.id is not None:
            await call(store.set_password, account.id, password, reason=reason, actor=actor)
        return await respond(store, request, account, 201)

    async def change(
        store: Store,
        request: Request,
        current: Account,
        after: dict[str, Any],
        before: dict[str, Any],
        expected: str | None,
        *,
        put: bool = False,
    ) -> Response:
        actor, reason = actor_of(request), required_reason(request)
        account_id = str(current.id)
        wanted = account_change(store, before, after, ignore_read_only=put)
        account = current
        if wanted.changes:
            account = await checked(
                expected,
                store.update_account,
                account_id,
                wanted.changes,
                expected_version=expected or current.version,
                reason=reason,
                actor=actor,
            )
        if wanted.active is not None and wanted.active != current.active:
            toggle = store.enable_accounts if wanted.active else store.disable_accounts
            single(await call(toggle, [account_id], reason=reason, actor=actor))
        if wanted.password is not None:
            await call(store.set_password, account_id, wanted.password, reason=reason, actor=actor)
        if account is current or wanted.active is not None or wanted.password is not None:
            account = await call(store.get_account, account_id, actor=actor)
        return await respond(store, request, account)

    async def read_for_change(request: Request) -> tuple[Store, Account, str | None]:
        store = store_of(hub, request)
        expected = if_match(request)
        current = await call(store.get_account, request.path_params["id"], actor=actor_of(request))
        refuse_stale(expected, current.version)
        return store, current, expected

    async def patch_user(request: Request) -> Response:
        operations = patch_operations(await read_json(request))
        required_reason(request)
        store, current, expected = await read_for_change(request)
        before = account_doc(store, current, base_url(request))
        after = apply_patch(
            before, operations, core_schema=CORE_USER_SCHEMA, sections=user_sections(store)
        )
        return await change(store, request, current, after, before, expected)

    async def replace_user(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise invalid("a User must be a JSON object", "invalidSyntax")
        required_reason(request)
        store, current, expected = await read_for_change(request)
        before = account_doc(store, current, base_url(request))
        after = {k: v for k, v in body.items() if k.lower() not in ("id", "meta", "schemas")}
        if not any(k.lower() == "active" for k in after):
            after["active"] = True
        return await change(store, request, current, after, before, expected, put=True)

    async def delete_user(request: Request) -> Response:
        store = store_of(hub, request)
        actor, reason = actor_of(request), required_reason(request)
        expected = if_match(request)
        if expected is not None:
            current = await call(store.get_account, request.path_params["id"], actor=actor)
            refuse_stale(expected, current.version)
        single(
            await call(
                store.delete_accounts, [request.path_params["id"]], reason=reason, actor=actor
            )
        )
        return Response(status_code=204)

    return [
        Route("/Users", list_users, methods=["GET"]),
        Route("/Users", create_user, methods=["POST"]),
        Route("/Users/.search", search_users, methods=["POST"]),
        Route("/Users/{id}", get_user, methods=["GET"]),
        Route("/Users/{id}", replace_user, methods=["PUT"]),
        Route("/Users/{id}", patch_user, methods=["PATCH"]),
        Route("/Users/{id}", delete_user, methods=["DELETE"]),
    ]
