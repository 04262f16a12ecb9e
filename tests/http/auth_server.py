"""A tiny Starlette app behind ``TokenAuth``, served by a real uvicorn on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from idconnect.core.facade import Hub
from idconnect.http.auth import TokenAuth, reason_of
from idconnect.http.calls import ApiError, error_response


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _whoami(request: Request) -> Response:
    return JSONResponse(
        {
            "actor": request.state.actor,
            "store_limit": request.state.store_limit,
            "token": request.state.api_token,
            "store": request.path_params.get("store"),
        }
    )


async def _reason(request: Request) -> Response:
    return JSONResponse({"reason": reason_of(request)})


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


def make_app(hub: Hub, **auth: Any) -> TokenAuth:
    """The routes the tests call, wrapped in the middleware (``auth``: its keyword arguments)."""
    routes = [
        Route("/healthz", _healthz),
        Route("/whoami", _whoami),
        Route("/reason", _reason, methods=["POST"]),
        Route("/scim/v2/{store}/Users", _whoami),
        Route("/api/stores", _whoami),
        Route("/api/stores/{store}/accounts", _whoami),
        Route("/api/impersonations", _whoami),
    ]
    app = Starlette(routes=routes, exception_handlers={ApiError: _api_error})
    return TokenAuth(app, hub, **auth)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread; yield its base URL, stop it afterwards."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="auto", log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
