"""Authentication of the HTTP service: API tokens as ``Authorization: Bearer``, the reason header.

:class:`TokenAuth` is a pure ASGI middleware. Every request but ``GET /healthz`` must bear an
API token (:mod:`idconnect.core.api_tokens`); an accepted one makes the request act as the
token's admin: ``request.state.actor`` is the admin, ``request.state.store_limit`` the token's
store or ``None``, ``request.state.api_token`` the token's id. Answers it gives itself are JSON
``{"error", "detail"}``, or a SCIM Error document under ``/scim``
(:func:`~idconnect.http.calls.error_response`):

- ``401`` without a token, or for a malformed, unknown, expired or revoked one (with
  ``WWW-Authenticate: Bearer``); each refusal is a warning on ``idconnect.http.auth`` (client,
  method, path, why; never the token) and an audit event (``authenticate_api_token``).
- ``403`` when a token limited to one store is used for another: for a path naming a store
  (``/scim/v2/{store}/...``, ``/api/stores/{store}/...``), or any other path but
  :data:`HUB_PATHS` (hub-wide endpoints would reach every store); a warning on
  ``idconnect.http.auth`` too, and ``request.state.actor`` is set for the access log.
  Paths are read below the service's root, so a service mounted under a prefix judges
  ``/prefix/scim/v2/{store}/...`` as ``/scim/v2/{store}/...``.
- ``429`` with ``Retry-After`` once a client address has had ``max_failures`` refused
  attempts within ``window`` seconds, for every request from it until the oldest of them
  leaves the window (a guess that happens to be right is refused as well). The window lives
  in the process: each worker counts its own failures.

A token is looked up on every request, so a revoked one is refused at once by every worker.
When one read settles it (:func:`~idconnect.core.api_tokens.settled_by_reading`) the lookup
runs on the event loop, cheaper than the hop to a thread: on a SQLite state database through
the hub's engine, on PostgreSQL through :class:`~idconnect.http.token_reads.LoopTokenReads`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import time
from collections import deque
from collections.abc import Callable

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from idconnect.core.api_tokens import (
    ApiToken,
    accepted_by_reading,
    authenticate,
    settled_by_reading,
    well_formed,
)
from idconnect.core.errors import IdconnectError, InvalidInput, Unauthenticated
from idconnect.core.facade import Hub
from idconnect.core.facade.checks import check_text
from idconnect.http.calls import ApiError, api_error, error_response, service_path
from idconnect.http.token_reads import LoopTokenReads

__all__ = [
    "CONSOLE_PREFIX",
    "HUB_PATHS",
    "OPEN_PATHS",
    "REASON_HEADER",
    "STORE_PATHS",
    "FailureWindow",
    "TokenAuth",
    "reason_of",
]

log = logging.getLogger("idconnect.http.auth")

OPEN_PATHS = frozenset({"/healthz"})
"""The only paths served without a token."""
CONSOLE_PREFIX = "/console/"
"""Paths under this prefix are the support console's: it authenticates its own sessions."""
STORE_PATHS = ("/scim/v2/", "/api/stores/")
"""Path prefixes followed by a store name (checked against a token's store limit)."""
HUB_PATHS = frozenset({"/readyz", "/api/stores", "/api/openapi.json"})
"""Paths naming no store that a token limited to one store may still use."""
REASON_HEADER = "Idconnect-Reason"
"""The header carrying why a request changes something (as the CLI's ``--reason``)."""


class FailureWindow:
    """Refused attempts per client address within a sliding window, in this process only.

    :param max_failures: refused attempts allowed within the window (1 or more).
    :param window: the window's length in seconds.
    :param clock: monotonic seconds (tests inject one).
    :param max_clients: the most addresses tracked at once (memory stays bounded under a
        distributed attack): past that, those without recent failures are forgotten first,
        then the longest-tracked ones.
    :raises ValueError: for ``max_failures`` or ``max_clients`` below 1 or a window that is not
        positive.
    """

    def __init__(
        self,
        max_failures: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        if max_failures < 1 or max_clients < 1 or window <= 0:
            raise ValueError("max_failures and max_clients must be 1 or more, window positive")
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, client: str) -> int | None:
        """Say how long ``client`` must wait, if it is blocked.

        :param client: the client's address.
        :returns: whole seconds until its oldest failure leaves the window, or ``None`` when
            it may try.
        """
        now = self._clock()
        times = self._recent(client, now)
        if not times:
            self._failures.pop(client, None)
            return None
        if len(times) < self.max_failures:
            return None
        return max(1, math.ceil(times[0] + self.window - now))

    def fail(self, client: str) -> None:
        """Count one refused attempt of ``client``.

        :param client: the client's address.
        """
        now = self._clock()
        if client not in self._failures and len(self._failures) >= self.max_clients:
            for known in [c for c in self._failures if not self._recent(c, now)]:
                del self._failures[known]
            if len(self._failures) >= self.max_clients:
                del self._failures[next(iter(self._failures))]
        times = self._recent(client, now)
        times.append(now)
        self._failures[client] = times


def _bearer(scope: Scope) -> str:
    values: list[bytes] = [v for k, v in scope.get("headers", ()) if k == b"authorization"]
    if not values:
        raise Unauthenticated(
            "no API token: send 'Authorization: Bearer TOKEN' (idconnect tokens create)",
            why="missing",
        )
    scheme, _, token = values[0].decode("latin-1").strip().partition(" ")
    if len(values) > 1 or scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "the Authorization header must be one 'Bearer TOKEN'", why="malformed"
        )
    return token.strip()


def _store_of(path: str) -> str | None:
    for prefix in STORE_PATHS:
        if path.startswith(prefix):
            return path[len(prefix) :].split("/", 1)[0] or None
    return None


def _outside_limit(token: ApiToken, store: str | None, path: str) -> bool:
    if token.store is None:
        return False
    return store != token.store if store is not None else path not in HUB_PATHS


class TokenAuth:
    """Let only requests bearing a valid API token through (see the module's description).

    :param app: the application to wrap.
    :param hub: the hub whose state database keeps the tokens.
    :param max_failures: refused attempts a client address may make within ``window``.
    :param window: the rate limit's sliding window, in seconds.
    :param clock: monotonic seconds for the window (tests inject one).
    :param token_reads: reads tokens on the event loop (a PostgreSQL state database), else
        they are read through the hub's engine.
    """

    def __init__(
        self,
        app: ASGIApp,
        hub: Hub,
        *,
        max_failures: int = 10,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        token_reads: LoopTokenReads | None = None,
    ) -> None:
        self.app = app
        self.hub = hub
        self.token_reads = token_reads
        self.failures = FailureWindow(max_failures, window, clock=clock)
        """The refused attempts per client address."""
        self._local_state = sa.make_url(hub.state.url).get_backend_name() == "sqlite"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate one request, refuse it, or pass a lifespan scope through."""
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websocket is served: refuse before accepting
            await send({"type": "websocket.close", "code": 1008})
            return
        path = service_path(scope)
        if path in OPEN_PATHS or path.startswith(CONSOLE_PREFIX):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self.failures.retry_after(client)
        if wait is not None:
            refusal = ApiError(
                429,
                "too_many_requests",
                f"too many refused API tokens from {client}; retry in {wait} s",
                scim_type="tooMany",
                headers={"Retry-After": str(wait)},
            )
            await error_response(Request(scope), refusal)(scope, receive, send)
            return
        try:
            token = await self._token(scope, client)
        except Unauthenticated as exc:
            self.failures.fail(client)
            log.warning(
                "refused %s %s from %s: %s (%s)",
                scope["method"],
                scope["path"],
                client,
                exc.message,
                exc.details.get("why"),
            )
            headers = {"WWW-Authenticate": 'Bearer realm="idconnect"'}
            refusal = ApiError(401, exc.code, exc.message, headers=headers)
            await error_response(Request(scope), refusal)(scope, receive, send)
            return
        except IdconnectError as exc:
            await error_response(Request(scope), api_error(exc))(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["actor"] = token.admin
        state["store_limit"] = token.store
        state["api_token"] = token.id
        store = _store_of(path)
        if _outside_limit(token, store, path):
            where = f"store {store!r}" if store is not None else "hub-wide endpoints"
            refusal = ApiError(
                403,
                "permission_denied",
                f"API token {token.id} is limited to store {token.store!r}, not {where}",
            )
            log.warning(
                "refused %s %s from %s: %s", scope["method"], scope["path"], client, refusal
            )
            await error_response(Request(scope), refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _token(self, scope: Scope, client: str) -> ApiToken:
        token = _bearer(scope)
        if self.token_reads is not None and well_formed(token):
            found = settled_by_reading(await self.token_reads.find(token), self.hub.clock())
            if found is not None:
                return found
        elif self._local_state:
            # One indexed read of a local SQLite file (WAL: readers never wait for writers)
            # costs less than the hop to a thread; anything that writes takes the hop.
            found = accepted_by_reading(self.hub, token)
            if found is not None:
                return found
        check = functools.partial(authenticate, self.hub, token, client=client)
        return await run_in_threadpool(check)


def reason_of(request: HTTPConnection) -> str | None:
    """Read why a request acts from its ``Idconnect-Reason`` header.

    The header's bytes are read as UTF-8 (else Latin-1) and checked like the CLI's
    ``--reason``: not blank, at most 512 characters, no control characters.

    :param request: the request.
    :returns: the reason, or ``None`` without the header.
    :raises ApiError: 400 for a blank or otherwise unacceptable reason.
    """
    value = request.headers.get(REASON_HEADER)
    if value is None:
        return None
    with contextlib.suppress(UnicodeError):
        value = value.encode("latin-1").decode("utf-8")
    try:
        if not value.strip():
            raise InvalidInput(
                f"the {REASON_HEADER} header must not be empty: say why"
                " (it goes into the audit trail)"
            )
        return check_text(value, f"the {REASON_HEADER} header")
    except InvalidInput as exc:
        raise api_error(exc) from exc
