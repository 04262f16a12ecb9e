"""Pure ASGI middleware of the HTTP service: the access log with request ids, the body limit."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idconnect.core.context import request_scope
from idconnect.http.calls import ROOT_KEY, ApiError, error_response

__all__ = ["REQUEST_ID_HEADER", "AccessLog", "BodyLimit"]

access_log = logging.getLogger("idconnect.http.access")

REQUEST_ID_HEADER = "x-request-id"

_GOOD_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            text: str = value.decode("latin-1")
            if _GOOD_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


class AccessLog:
    """Give every request an id, run it in that id's request scope, and log one line for it.

    The id is the client's ``X-Request-Id`` when it is 8 to 64 characters of ``[A-Za-z0-9._-]``,
    else a fresh UUID; it is sent back as ``X-Request-Id`` and reaches the audit events of the
    facade calls the request makes. The line, logged at INFO on ``idconnect.http.access``, is
    JSON: method, path (never the query string, which may carry secrets), status, duration in
    milliseconds, the actor (``request.state.actor`` once authenticated), the request id, the
    client address and the worker's process id. Headers (and so tokens) are never logged.

    :param app: the application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run one request or pass other scopes (lifespan) through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[ROOT_KEY] = scope.get("root_path", "")
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            with request_scope(request_id):
                await self.app(scope, receive, send_with_id)
        finally:
            self._log(scope, status, started, request_id)

    @staticmethod
    def _log(scope: Scope, status: int, started: float, request_id: str) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        client = scope.get("client")
        line = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "actor": state.get("actor"),
            "request_id": request_id,
            "client": client[0] if client else None,
            "pid": os.getpid(),
        }
        access_log.info(json.dumps(line), extra={"access": line})


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413.

    A declared ``Content-Length`` over the limit is answered before the application runs; a
    body that grows past it while streaming makes the application's read fail with the same
    413 (an :class:`~idconnect.http.calls.ApiError`).

    :param app: the application to wrap.
    :param max_bytes: the largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> ApiError:
        return ApiError(
            413,
            "too_large",
            f"the request body is larger than {self.max_bytes} bytes",
            scim_type="tooLarge",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._refuse(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(Request(scope), self._too_large())
        await response(scope, receive, send)
