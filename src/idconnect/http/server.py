"""Run the application under uvicorn in a background thread (tests, benchmarks, embedding)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

__all__ = ["serving"]


@contextmanager
def serving(
    app: ASGIApp, host: str = "127.0.0.1", *, timeout: float = 30.0, **options: Any
) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of ``host`` until the block ends.

    The application's lifespan runs (the thread pool limit is set, the hub closed if the app
    owns it); on exit uvicorn shuts down gracefully, finishing requests in flight.

    :param app: the ASGI application.
    :param host: the address to listen on.
    :param timeout: seconds to wait for the server to start, and to stop.
    :param options: further :class:`uvicorn.Config` settings, e.g. ``ssl_certfile`` and
        ``ssl_keyfile`` to serve over TLS.
    :returns: a context manager yielding the base URL (``http://127.0.0.1:PORT``, or
        ``https://`` with ``ssl_certfile``).
    :raises RuntimeError: when uvicorn does not start within ``timeout``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        yield f"{'https' if options.get('ssl_certfile') else 'http'}://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
