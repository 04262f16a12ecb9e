"""Rendering console pages: one Jinja2 environment, the base layout's context, error pages.

Every page goes through :func:`render`: autoescaping is on for every template, the base layout
gets the logged-in admin, the session's CSRF token, the configured stores and a
``can(permission, store)`` helper (the hub's admin policy), so a page offers only the actions its
admin may take. Values reach a URL attribute only through the ``safe_url`` filter (a scheme
allow-list). Answers carry a Content-Security-Policy allowing only the console's own files.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from idconnect.core.facade import Hub

__all__ = [
    "CSP",
    "SAFE_SCHEMES",
    "console_url",
    "environment",
    "render",
    "render_error",
    "safe_url",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The Content-Security-Policy of every console page: its own script and styles, nothing else."""

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
"""The URL schemes a value from a store may be linked with."""


def safe_url(value: object) -> str | None:
    """Return a value fit for an ``href``, or ``None`` when it is not one.

    :param value: a value read from a store (an attribute of type reference, ...).
    :returns: the text when it is an absolute URL of a :data:`SAFE_SCHEMES` scheme without
        whitespace or control characters, else ``None`` (templates then show it as text).
    """
    if not isinstance(value, str) or any(c.isspace() or ord(c) < 32 for c in value):
        return None
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return None
    return value if scheme in SAFE_SCHEMES else None


def console_url(*parts: str, root: str = "") -> str:
    """Build a console path from path segments, each percent-encoded.

    :param parts: the segments below ``/console`` (``"stores", name, "accounts"``).
    :param root: the prefix the service is mounted under.
    :returns: the path, e.g. ``/console/stores/main/accounts``.
    """
    return root + "/console/" + "/".join(quote(part, safe="") for part in parts)


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("idconnect.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["when"] = _when
    return env


environment = _environment()
"""The console's one template environment (templates of ``idconnect.console``'s package)."""


def render(
    request: Request,
    hub: Hub,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    """Render a console page.

    :param request: the request; ``request.state.console_session`` is the session when logged
        in (set by :class:`~idconnect.console.auth.ConsoleAuth`).
    :param hub: the hub (stores, admin policy).
    :param template: the template's name, e.g. ``listing.html``.
    :param context: the page's own values.
    :param status: the HTTP status.
    :returns: the HTML response, with :data:`CSP` and ``Cache-Control: no-store``.
    """
    session = getattr(request.state, "console_session", None)
    admin = session.admin if session is not None else None
    root = request.scope.get("root_path", "").removesuffix("/console")

    def can(permission: str, store: str) -> bool:
        return admin is not None and hub.permissions.allows(admin, permission, store)

    def url(*parts: str) -> str:
        return console_url(*parts, root=root)

    store = (context or {}).get("store")
    values = {
        "current_store": getattr(store, "name", store),
        "admin": admin,
        "csrf_token": session.csrf_token if session is not None else "",
        "stores": hub.stores,
        "can": can,
        "url": url,
        **(context or {}),
    }
    body = environment.get_template(template).render(values)
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
    return HTMLResponse(body, status_code=status, headers=headers)


def render_error(request: Request, hub: Hub, status: int, detail: str) -> HTMLResponse:
    """Render the error page.

    :param request: the request that failed.
    :param hub: the hub.
    :param status: the HTTP status (403 for a refused permission, 404, 400, ...).
    :param detail: the cause in words (never a secret: the errors' own messages).
    :returns: the response.
    """
    return render(request, hub, "error.html", {"status": status, "detail": detail}, status=status)
