"""The login and logout pages: ``GET/POST /console/login``, ``POST /console/logout``.

A login checks the admin's name, password and one-time code
(:func:`~idconnect.core.admin_login.verify_admin_login`, which rate-limits and audits), opens a
server-side session and sets its cookie; a refusal shows one message for a wrong name or
password alike. ``next`` may only lead to a console page (no open redirect).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from idconnect.console.auth import LOGIN_COOKIE, SESSION_COOKIE, cookie_header, login_token
from idconnect.console.pages import console_url, render
from idconnect.core.admin_login import verify_admin_login
from idconnect.core.console_sessions import close_console_session, open_console_session
from idconnect.core.errors import IdconnectError, Unauthenticated
from idconnect.core.facade import Hub
from idconnect.http.calls import api_error, call

__all__ = ["login_routes"]

_REFUSED = {
    "otp_required": "Enter the one-time code of your authenticator app.",
    "bad_otp": "That one-time code is not right; try the current one.",
}
_BAD = "The name, password or code is not right."


def _next(request: Request, value: object) -> str:
    root = request.scope.get("root_path", "")
    home = f"{root}/"
    if not isinstance(value, str) or not value.startswith(f"{root}/") or "//" in value:
        return home
    if any(c in value for c in "\\\r\n") or value.startswith(f"{root}/login"):
        return home
    return value


def login_routes(hub: Hub, *, secure: bool) -> list[BaseRoute]:
    """Build the login and logout routes (relative to ``/console``).

    :param hub: the hub keeping admins and sessions.
    :param secure: mark cookies ``Secure`` even over plain HTTP.
    :returns: the routes.
    """

    def page(request: Request, message: str = "", status: int = 200, name: str = "") -> Response:
        token = login_token(request)
        next_page = request.query_params.get("next") or ""
        if request.method == "POST":
            next_page = str(request.state.form.get("next") or "")
        context = {"login_token": token, "message": message, "next": next_page, "name": name}
        response = render(request, hub, "login.html", context, status=status)
        if request.cookies.get(LOGIN_COOKIE) != token:
            response.headers.append(
                "Set-Cookie", cookie_header(request.scope, LOGIN_COOKIE, token, secure=secure)
            )
        return response

    async def show(request: Request) -> Response:
        return page(request)

    async def submit(request: Request) -> Response:
        form = request.state.form
        name = str(form.get("name") or "")
        otp = str(form.get("otp") or "") or None
        client = request.client.host if request.client else None
        password = str(form.get("password") or "")
        try:
            admin = await run_in_threadpool(
                verify_admin_login, hub, name, password, otp=otp, client=client
            )
        except Unauthenticated as exc:
            return page(request, _REFUSED.get(str(exc.details.get("why")), _BAD), 401, name)
        except IdconnectError as exc:  # rate-limited, state database unreachable
            return page(request, exc.message, api_error(exc).status, name)
        cookie, _session = await call(open_console_session, hub, admin)
        response = RedirectResponse(_next(request, form.get("next")), 303)
        response.headers.append(
            "Set-Cookie", cookie_header(request.scope, SESSION_COOKIE, cookie, secure=secure)
        )
        response.headers.append(
            "Set-Cookie",
            cookie_header(request.scope, LOGIN_COOKIE, "", secure=secure, clear=True),
        )
        return response

    async def logout(request: Request) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            await call(close_console_session, hub, cookie)
        root = request.scope.get("root_path", "").removesuffix("/console")
        response = RedirectResponse(console_url("login", root=root), 303)
        response.headers.append(
            "Set-Cookie",
            cookie_header(request.scope, SESSION_COOKIE, "", secure=secure, clear=True),
        )
        return response

    return [
        Route("/login", show, methods=["GET"]),
        Route("/login", submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
