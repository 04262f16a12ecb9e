"""The support console's application, mounted at ``/console`` by the HTTP service.

:func:`console_app` builds a Starlette sub-application: the login pages, the account listing
and its quick actions, the search across every store (:mod:`idconnect.console.find`), the
account pages (:mod:`idconnect.console.account`), the static files (CSS and a few lines of
JavaScript, served from this package), all behind
:class:`~idconnect.console.auth.ConsoleAuth` (session cookie and CSRF token). Handlers are thin:
facade calls run in the service's thread pool through :func:`idconnect.http.calls.call`, whose
:class:`~idconnect.http.calls.ApiError` is rendered as the console's error page (``403`` for a
refused permission, ``404``, ``400`` for bad input, ...).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from idconnect.console.actions import action_routes
from idconnect.console.auth import ConsoleAuth
from idconnect.console.find import find_routes
from idconnect.console.listing import listing_routes
from idconnect.console.login import login_routes
from idconnect.console.pages import render_error
from idconnect.core.facade import Hub
from idconnect.http.calls import ApiError

__all__ = ["CONSOLE_PATH", "console_app"]

CONSOLE_PATH = "/console"
"""Where :func:`idconnect.http.app.create_app` mounts the console."""


def console_app(hub: Hub, *, secure: bool = False) -> Starlette:
    """Build the console.

    :param hub: the hub whose stores the console shows; admins log in with their console
        password (``idconnect admins add``).
    :param secure: mark the cookies ``Secure`` even when a request came over plain HTTP (set it
        when a proxy terminates TLS without telling the server); over TLS they always are.
    :returns: the application, to mount at :data:`CONSOLE_PATH`.
    """
    from idconnect.console.account import account_routes  # it imports CONSOLE_PATH from here

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return render_error(request, hub, exc.status, exc.detail)

    routes: list[BaseRoute] = [
        *login_routes(hub, secure=secure),
        *listing_routes(hub),
        *find_routes(hub),
        *action_routes(hub),
        *account_routes(hub),
        Mount(
            "/static", app=StaticFiles(packages=[("idconnect.console", "static")]), name="static"
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(ConsoleAuth, hub=hub)],
        exception_handlers={ApiError: api_error},
    )
