"""The console's own authentication: a session cookie, and a CSRF token on every POST.

:class:`ConsoleAuth` is a pure ASGI middleware around the console (the service's token
middleware lets ``/console/`` through). A request with a valid session cookie
(:func:`~idconnect.core.console_sessions.console_session`) acts as the session's admin:
``request.state.console_session`` is the session, ``request.state.actor`` its admin. Without
one, every page but the login page and the static files answers ``303`` to the login page
(which leads back to the page asked for, when it was a ``GET``).

Every ``POST`` must carry the session's CSRF token, as the form field ``csrf_token`` or the
``X-CSRF-Token`` header; the login form carries the token of a short pre-login cookie (a
double-submit, so a foreign site cannot log a browser in). A missing or wrong token is ``403``
and nothing runs. Form bodies (``application/x-www-form-urlencoded``) are read here, once, into
``request.state.form``.

The cookies are ``HttpOnly``, ``SameSite=Strict``, ``Path=/console``, and ``Secure`` when the
request came over TLS (the scope's scheme, which uvicorn takes from a trusted proxy's
``X-Forwarded-Proto``) or the console was built with ``secure=True``.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from idconnect.console.pages import render_error
from idconnect.core.console_sessions import ConsoleSession, console_session
from idconnect.core.errors import Unauthenticated
from idconnect.core.facade import Hub
from idconnect.http.replay import replay

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_COOKIE",
    "MAX_FORM_FIELDS",
    "SESSION_COOKIE",
    "ConsoleAuth",
    "cookie_header",
    "login_token",
]

SESSION_COOKIE = "idconnect_console"
"""The session cookie's name."""
LOGIN_COOKIE = "idconnect_console_login"
"""The pre-login cookie holding the login form's CSRF token."""
CSRF_FIELD = "csrf_token"
"""The form field carrying the CSRF token."""
CSRF_HEADER = "x-csrf-token"
"""The header carrying the CSRF token (for scripts)."""
MAX_FORM_FIELDS = 20_000
"""The most fields a form may have (a select-all page of 1000 rows stays far below)."""
_OPEN = ("/login", "/static/")
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            jar.load(value.decode("latin-1"))
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(scope: Scope, name: str, value: str, *, secure: bool, clear: bool = False) -> str:
    """Build a console cookie's ``Set-Cookie`` value.

    :param scope: the request's scope (its scheme decides ``Secure`` too).
    :param name: the cookie's name.
    :param value: its value.
    :param secure: mark it ``Secure`` even over plain HTTP (the console's ``secure`` flag).
    :param clear: expire it at once (logout).
    :returns: the header value: ``HttpOnly; SameSite=Strict; Path=/console`` and ``Secure``
        when served over TLS or ``secure``.
    """
    parts = [f"{name}={value}", "Path=/console", "HttpOnly", "SameSite=Strict"]
    if secure or scope.get("scheme") == "https":
        parts.append("Secure")
    if clear:
        parts.append("Max-Age=0")
    return "; ".join(parts)


def login_token(request: Request) -> str:
    """Return the login form's CSRF token: the pre-login cookie's, or a fresh one.

    :param request: the login page's request.
    :returns: the token to put in the form (and in the cookie, if it is fresh).
    """
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)


async def _read_form(scope: Scope, receive: Receive) -> tuple[bytes, FormData]:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    content_type = Request(scope).headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        return body, FormData()
    pairs: list[tuple[str, str | UploadFile]] = []
    pairs += parse_qsl(
        body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
    )
    return body, FormData(pairs)


def _login_url(scope: Scope, path: str) -> str:
    """The login page, returning to a page asked for (a form posted is not repeated)."""
    root = scope.get("root_path", "")
    if scope["method"] not in _SAFE_METHODS:
        return f"{root}/login"
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{root}/login?next=" + quote(root + path + (f"?{query}" if query else ""), safe="/")


class ConsoleAuth:
    """Let through only logged-in requests, and POSTs bearing their CSRF token (see the module).

    :param app: the console application.
    :param hub: the hub whose state database keeps the sessions.
    """

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate one request, refuse it, or pass a non-HTTP scope through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        cookies = _cookies(scope)
        state = scope.setdefault("state", {})
        session = await self._session(cookies.get(SESSION_COOKIE))
        if session is not None:
            state["console_session"] = session
            state["actor"] = session.admin
        elif not path.startswith(_OPEN):
            await RedirectResponse(_login_url(scope, path), 303)(scope, receive, send)
            return
        if scope["method"] in _SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        body, form = await _read_form(scope, receive)
        state["form"] = form
        if path == "/login":
            expected = cookies.get(LOGIN_COOKIE)
        else:
            expected = session.csrf_token if session is not None else None
        offered = form.get(CSRF_FIELD) or Request(scope).headers.get(CSRF_HEADER)
        if not (
            isinstance(offered, str)
            and expected
            and hmac.compare_digest(offered.encode(), expected.encode())
        ):
            detail = "the form's CSRF token is missing or wrong: reload the page and try again"
            response: Response = render_error(Request(scope), self.hub, 403, detail)
            await response(scope, receive, send)
            return
        await self.app(scope, replay(body), send)

    async def _session(self, cookie: str | None) -> ConsoleSession | None:
        if not cookie:
            return None
        try:
            return await run_in_threadpool(console_session, self.hub, cookie)
        except Unauthenticated:
            return None
