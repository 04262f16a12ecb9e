"""Blocking facade calls from async handlers, and the HTTP form of idconnect's errors.

Every handler of the HTTP service calls the facade through :func:`call`: the call runs in the
bounded thread pool of the running event loop (:func:`start_threads` makes it, at the
application's start; the call is submitted with the context copied, a third less CPU per
call than anyio's ``to_thread``, which serves when no pool was started), and an
:class:`IdconnectError`
comes back as an :class:`ApiError` carrying the HTTP status, a stable code and the SCIM
``scimType``. The application renders an :class:`ApiError` as JSON ``{"error", "detail"}``
under ``/api`` and as a SCIM Error document under ``/scim`` (:func:`error_response`).
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Scope

from idconnect.core.errors import (
    Conflict,
    FilterError,
    IdconnectError,
    InvalidInput,
    NotFound,
    NotSupported,
    PermissionDenied,
    SecretUnavailable,
    StoreUnavailable,
    TokenRefused,
)

__all__ = [
    "ROOT_KEY",
    "SCIM_ERROR",
    "ApiError",
    "api_error",
    "call",
    "error_response",
    "service_path",
    "service_root",
    "start_threads",
    "stop_threads",
]

T = TypeVar("T")

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

_STATUS: tuple[tuple[type[IdconnectError], int], ...] = (
    (NotFound, 404),
    (FilterError, 400),
    (InvalidInput, 400),
    (Conflict, 409),
    (PermissionDenied, 403),
    (NotSupported, 501),
    (StoreUnavailable, 503),
    (SecretUnavailable, 503),  # the backend cannot start: unavailable, not a server fault
    (TokenRefused, 401),
)


class ApiError(Exception):
    """An answer other than success, ready to render for ``/api`` or ``/scim``.

    :param status: the HTTP status.
    :param code: the stable error code (``not_found``, ``invalid_filter``, ...).
    :param detail: the cause in words; never a secret.
    :param scim_type: the SCIM ``scimType`` (RFC 7644 §3.12), if one applies.
    :param headers: extra response headers (``Allow``, ``Retry-After``, ...).
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}


def api_error(exc: IdconnectError, *, if_match: bool = False) -> ApiError:
    """Translate an idconnect error to its HTTP form.

    :param exc: the error the facade raised.
    :param if_match: whether the request carried ``If-Match``: a stale-version ``Conflict``
        (one naming no unique ``attribute``, or naming ``version``) is then ``412 Precondition
        Failed``.
    :returns: the :class:`ApiError`; an error outside the mapped classes is its own
        ``http_status`` (500 for configuration and plugin faults).
    """
    status = next((s for cls, s in _STATUS if isinstance(exc, cls)), exc.http_status)
    scim_type = exc.scim_type
    if (
        isinstance(exc, Conflict)
        and if_match
        and exc.details.get("attribute", "version") == "version"
    ):
        status, scim_type = 412, None
    return ApiError(status, exc.code, str(exc), scim_type=scim_type)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking facade call in the bounded thread pool.

    The request id of the enclosing request follows the call into the thread (context
    variables are copied), so the call's audit events carry it.

    :param fn: the facade method (``store.get_account``, ...).
    :param args: its positional arguments.
    :param kwargs: its keyword arguments (``actor=``, ``reason=``, ...).
    :returns: what ``fn`` returned.
    :raises ApiError: for every :class:`IdconnectError` ``fn`` raised.
    """
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    try:
        if pool is None:
            return await run_in_threadpool(fn, *args, **kwargs)
        # the pool's future, not loop.run_in_executor: it would ask whether the partial is a
        # coroutine function every call, a fifth of the hop's CPU
        done = pool.submit(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.wrap_future(done, loop=loop)
    except IdconnectError as exc:
        raise api_error(exc) from exc


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = (
    weakref.WeakKeyDictionary()
)
"""The facade calls' thread pool of each event loop that started one."""


def start_threads(threads: int) -> None:
    """Start the running event loop's thread pool for facade calls (the application's start).

    Other blocking work (the console's, anyio's ``to_thread``) is bounded to as many threads.

    :param threads: at most this many facade calls run at once (1 or more).
    :raises ValueError: for fewer than one thread.
    """
    if threads < 1:
        raise ValueError("the thread pool needs at least one thread")
    loop = asyncio.get_running_loop()
    _pools[loop] = ThreadPoolExecutor(threads, thread_name_prefix="idconnect-call")
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


def stop_threads() -> None:
    """Stop the running event loop's thread pool, once the calls it runs have returned."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        pool.shutdown(wait=True)


ROOT_KEY = "idconnect.root_path"
"""The scope key holding the prefix the whole service is mounted under (set by the access log)."""


def service_root(scope: Scope) -> str:
    """Return the prefix the HTTP service is mounted under (``""`` at the server's root).

    :param scope: the ASGI scope of a request.
    :returns: the prefix, without a trailing slash.
    """
    root: str = scope.get(ROOT_KEY, scope.get("app_root_path", ""))
    return root.rstrip("/")


def service_path(scope: Scope) -> str:
    """Return a request's path below the service's root (``/scim/v2/main/Users``).

    :param scope: the ASGI scope of a request.
    :returns: the path.
    """
    path: str = scope.get("path", "")
    root = service_root(scope)
    return path[len(root) :] if root and path.startswith(root) else path


def error_response(request: Request, exc: ApiError) -> JSONResponse:
    """Render an :class:`ApiError` for the part of the service the request went to.

    :param request: the request that failed; a path under ``/scim`` (below the service's root,
        :func:`service_path`) gets a SCIM Error document (``application/scim+json``), anything
        else ``{"error", "detail"}``.
    :param exc: the error.
    :returns: the response.
    """
    if service_path(request.scope).startswith("/scim"):
        doc: dict[str, Any] = {"schemas": [SCIM_ERROR], "status": str(exc.status)}
        if exc.scim_type:
            doc["scimType"] = exc.scim_type
        doc["detail"] = exc.detail
        return JSONResponse(
            doc, exc.status, headers=exc.headers, media_type="application/scim+json"
        )
    return JSONResponse({"error": exc.code, "detail": exc.detail}, exc.status, headers=exc.headers)
