"""The ASGI application: probes, SCIM 2.0, the admin API under ``/api``, the console.

SCIM is served under ``/scim/v2/{store}``, the support console under ``/console``
(:mod:`idconnect.console`, with its own cookie sessions: ``TokenAuth`` lets it through).

Layers, outermost first: :class:`~idconnect.http.middleware.AccessLog` (request id, one log
line), :class:`~idconnect.http.middleware.BodyLimit`, the authentication middleware
(``idconnect.http.auth.TokenAuth``: every path but ``/healthz`` needs a bearer token), then the
routes. Blocking facade calls run through :func:`idconnect.http.calls.call`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

import idconnect
from idconnect.console.app import CONSOLE_PATH, console_app
from idconnect.core.facade import Hub
from idconnect.http.calls import ApiError, error_response, start_threads, stop_threads
from idconnect.http.health import health_routes
from idconnect.http.limits import Limits
from idconnect.http.middleware import AccessLog, BodyLimit
from idconnect.http.scim import scim_routes
from idconnect.http.token_reads import LoopTokenReads

__all__ = ["THREADS_ENV", "app_from_env", "create_app"]

THREADS_ENV = "IDCONNECT_HTTP_THREADS"
"""``app_from_env`` reads the thread pool size from this variable (default: :class:`Limits`)."""


def _auth() -> Any:
    try:
        from idconnect.http.auth import TokenAuth
    except ImportError as exc:
        raise ImportError(
            "idconnect.http.auth.TokenAuth is missing: the HTTP service refuses to start"
            f" without authentication ({exc})"
        ) from exc
    return TokenAuth


def _admin_routes(hub: Hub) -> list[BaseRoute]:
    try:
        from idconnect.http.admin import admin_routes
    except ImportError as exc:
        raise ImportError(f"idconnect.http.admin.admin_routes is missing ({exc})") from exc
    routes: list[BaseRoute] = admin_routes(hub)
    return routes


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


def create_app(hub: Hub, *, limits: Limits | None = None, close_hub: bool = False) -> Starlette:
    """Build the HTTP service over a hub.

    :param hub: the hub whose stores are served; requests act as their token's admin.
    :param limits: the hard limits (body size, filters, page size, Bulk, threads); defaults
        to :class:`~idconnect.http.limits.Limits()`.
    :param close_hub: close the hub when the application shuts down (the server owns it).
    :returns: the Starlette application.
    :raises ImportError: when the authentication middleware or the admin API is not installed.
    """
    limits = limits or Limits()
    auth = _auth()
    token_reads = LoopTokenReads.for_state(hub.state)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        start_threads(limits.threads)
        try:
            yield
        finally:
            stop_threads()
            if token_reads is not None:
                await token_reads.close()
            if close_hub:
                hub.close()

    routes: list[BaseRoute] = [
        *health_routes(hub),
        Mount("/scim/v2/{store}", routes=scim_routes(hub, limits)),
        Mount("/api", routes=_admin_routes(hub)),
        Mount(CONSOLE_PATH, app=console_app(hub)),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(AccessLog),
            Middleware(BodyLimit, max_bytes=limits.max_body_bytes),
            Middleware(auth, hub=hub, token_reads=token_reads),
        ],
        exception_handlers={ApiError: _api_error},
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    """Build the application in a uvicorn worker (``idconnect.http.app:app_from_env``).

    Reads the hub config from ``$IDCONNECT_CONFIG`` (as :func:`idconnect.connect` does) and the
    thread pool size from ``$IDCONNECT_HTTP_THREADS``; the worker owns and closes its hub.

    :returns: the application.
    :raises ConfigError: for a bad config or a bad thread count.
    """
    hub = idconnect.connect()
    threads = os.environ.get(THREADS_ENV)
    if threads is None:
        return create_app(hub, close_hub=True)
    if not threads.isdigit() or int(threads) < 1:
        hub.close()
        raise idconnect.ConfigError(f"${THREADS_ENV} must be a whole number of 1 or more")
    return create_app(hub, limits=Limits(threads=int(threads)), close_hub=True)
