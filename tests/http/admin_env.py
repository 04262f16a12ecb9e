"""The HTTP service (``create_app``: the admin API behind the real middleware) under uvicorn.

One hub over the embedded SQLite sql store (``main``, demo data), a ``ghost`` sql store whose
database cannot be opened (any I/O on it fails: a 403 there proves nothing was read), a memory
store keeping organizations (``orgs``: the sql store keeps none), a store whose secret is an
unset variable (``sealed``), admins
with every permission (``alice``), accounts.read only (``bob``), clients, a verification
policy, an impersonation key and an SMTP channel nobody listens on.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.http.admin import admin_routes
from idconnect.http.app import create_app
from idconnect.http.auth import TokenAuth
from idconnect.http.calls import ApiError, error_response
from idconnect.http.server import serving
from tests.helpers.support_config import support_config

ALICE = "alice"
BOB = "bob"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hub_config(tmp_path: Path) -> dict[str, Any]:
    """The hub's config, its files under ``tmp_path``."""
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {
            "main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'main.db'}"},
            "ghost": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'missing' / 'x.db'}"},
            "orgs": {"plugin": "memory", "organizations": ["Globex", "Acme"]},
            "sealed": {"plugin": "sql", "url_env": "IDCONNECT_TEST_NEVER_SET"},
        },
        **support_config(tmp_path, _closed_port()),
        "admins": {
            "roles": {
                "support": {"permissions": ["*"]},
                "reader": {"permissions": ["accounts.read"]},
            },
            "members": {getpass.getuser(): ["owner"], ALICE: ["support"], BOB: ["reader"]},
        },
    }


class Api:
    """A client of the served admin API: one session per admin, with their token."""

    def __init__(self, hub: idconnect.Hub, base: str) -> None:
        self.hub = hub
        self.base = base
        self.sessions: dict[str, requests.Session] = {}
        for admin in (ALICE, BOB):
            token, _ = issue_token(hub, admin=admin, reason="tests")
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            self.sessions[admin] = session
        self.tokens = {a: s.headers["Authorization"] for a, s in self.sessions.items()}

    def __call__(
        self, method: str, path: str, *, admin: str = ALICE, **kwargs: Any
    ) -> requests.Response:
        return self.sessions[admin].request(method, self.base + "/api" + path, timeout=30, **kwargs)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


def _unlimited(hub: idconnect.Hub) -> Any:
    """The admin routes alone behind a token middleware that never rate-limits refusals."""
    app = Starlette(
        routes=[Mount("/api", routes=admin_routes(hub))],
        exception_handlers={ApiError: _api_error},
    )
    return TokenAuth(app, hub, max_failures=10**9)


@contextmanager
def admin_api(tmp_path: Path, *, unlimited: bool = False) -> Iterator[Api]:
    """Serve the admin API over a fresh hub with 30 demo customers in ``main``.

    ``unlimited``: the admin routes alone, refused tokens never rate-limited (for a fuzzer that
    drops the token on purpose); else the whole service (``create_app``).
    """
    with idconnect.connect(hub_config(tmp_path)) as hub:
        store = hub.store("main")
        store.provision()
        store.seed_demo(30, 1)
        with serving(_unlimited(hub) if unlimited else create_app(hub)) as base:
            yield Api(hub, base)
