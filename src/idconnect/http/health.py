"""``/healthz`` (the process answers) and ``/readyz`` (every store and the state database do)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from idconnect.core.errors import IdconnectError
from idconnect.core.facade import Hub
from idconnect.http.calls import call

__all__ = ["health_routes"]


def _readiness(hub: Hub) -> dict[str, Any]:
    stores: dict[str, str] = {}
    for name in hub.stores:
        try:
            hub.store(name).ping()
            stores[name] = "ok"
        except IdconnectError as exc:
            stores[name] = exc.message
    try:
        hub.state.ping()
        state = "ok"
    except IdconnectError as exc:
        state = exc.message
    ready = state == "ok" and all(v == "ok" for v in stores.values())
    return {"status": "ready" if ready else "unavailable", "state": state, "stores": stores}


def health_routes(hub: Hub) -> list[Route]:
    """Build the two probe routes for a load balancer.

    ``GET /healthz`` answers 200 ``{"status": "ok"}`` while the process runs, touching nothing.
    ``GET /readyz`` pings every store and the hub's state database: 200 when all answer, else
    503; the body names each store with ``"ok"`` or why it is not ready (never a secret).

    :param hub: the hub whose stores are checked.
    :returns: the routes.
    """

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        report = await call(_readiness, hub)
        return JSONResponse(report, 200 if report["status"] == "ready" else 503)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
