"""The admin API behind the real token middleware, served by uvicorn on a free port.

One hub over the embedded SQLite sql store (``main``, demo data), a ``ghost`` sql store whose
database cannot be opened (any I/O on it fails: a 403 there proves nothing was read), a memory
store keeping organizations (``orgs``: the sql store keeps none), admins
with every permission (``alice``), accounts.read only (``bob``), clients, a verification
policy, an impersonation key and an SMTP channel nobody listens on.
"""

from __future__ import annotations

import getpass
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import uvicorn
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.http.admin import admin_routes
from idconnect.http.auth import TokenAuth
from idconnect.http.calls import ApiError, error_response

ALICE = "alice"
BOB = "bob"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hub_config(tmp_path: Path) -> dict[str, Any]:
    """The hub's config, its files under ``tmp_path``."""
    key = tmp_path / "impersonation.pem"
    key.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {
            "main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'main.db'}"},
            "ghost": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'missing' / 'x.db'}"},
            "orgs": {"plugin": "memory", "organizations": ["Globex", "Acme"]},
        },
        "applications": {"shop": {}, "portal": {"organizational": True}},
        "clients": {
            "shop-web": {
                "application": "shop",
                "login_url": "https://shop.example.com/login",
                "reset_url": "https://shop.example.com/reset?token={token}",
            },
            "portal-web": {
                "application": "portal",
                "login_url": "https://portal.example.com/login",
                "reset_url": "https://portal.example.com/reset?token={token}",
            },
        },
        "notifications": {
            "channels": {
                "email": {
                    "plugin": "smtp",
                    "host": "127.0.0.1",
                    "port": _closed_port(),
                    "sender": "support@example.com",
                    "security": "none",
                }
            }
        },
        "verification": {
            "policies": {"document-check": {"methods": ["document"], "level": "substantial"}}
        },
        "impersonation": {"signing_key_file": str(key)},
        "admins": {
            "roles": {
                "support": {"permissions": ["*"]},
                "reader": {"permissions": ["accounts.read"]},
            },
            "members": {getpass.getuser(): ["owner"], ALICE: ["support"], BOB: ["reader"]},
        },
    }


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread; yield its base URL, stop it afterwards."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


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


@contextmanager
def admin_api(tmp_path: Path) -> Iterator[Api]:
    """Serve the admin API over a fresh hub with 30 demo customers in ``main``."""
    with idconnect.connect(hub_config(tmp_path)) as hub:
        store = hub.store("main")
        store.provision()
        store.seed_demo(30, 1)
        app = Starlette(
            routes=[Mount("/api", routes=admin_routes(hub))],
            exception_handlers={ApiError: _api_error},
        )
        with serving(TokenAuth(app, hub, max_failures=10_000)) as base:
            yield Api(hub, base)
