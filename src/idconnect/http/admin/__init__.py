"""The admin API: JSON endpoints for every facade operation a SCIM resource does not cover.

One module per family, like the facade; each declares its :data:`ENDPOINTS`
(:class:`~idconnect.http.admin.spec.Endpoint`), from which both the routes
(:func:`admin_routes`, mounted under ``/api``) and ``/api/openapi.json``
(:mod:`idconnect.http.openapi`) are built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idconnect.http.admin import (
    accounts,
    activity,
    credentials,
    explain,
    export,
    federated,
    groups,
    impersonation,
    jobs,
    notifications,
    policies,
    records,
    roles,
    sessions,
    stores,
)
from idconnect.http.admin.spec import Endpoint, route

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from idconnect.core.facade import Hub

__all__ = ["ENDPOINTS", "admin_routes"]

ENDPOINTS: tuple[Endpoint, ...] = (
    *stores.ENDPOINTS,
    *accounts.ENDPOINTS,
    *federated.ENDPOINTS,
    *explain.ENDPOINTS,
    *groups.ENDPOINTS,
    *roles.ENDPOINTS,
    *credentials.ENDPOINTS,
    *sessions.ENDPOINTS,
    *records.ENDPOINTS,
    *activity.ENDPOINTS,
    *notifications.ENDPOINTS,
    *impersonation.ENDPOINTS,
    *export.ENDPOINTS,
    *jobs.ENDPOINTS,
    *policies.ENDPOINTS,
)
"""Every admin endpoint, in the order the OpenAPI document lists them."""


def admin_routes(hub: Hub) -> list[BaseRoute]:
    """Build the admin API's routes, relative to ``/api``, with ``/openapi.json``.

    The routes read the acting admin from ``request.state.actor`` (the token middleware sets
    it) and raise :class:`~idconnect.http.calls.ApiError` for every refusal; the application
    renders those with :func:`~idconnect.http.calls.error_response`.

    :param hub: the hub the handlers call.
    :returns: the routes, to mount under ``/api``.
    """
    from idconnect.http.openapi import openapi_route

    return [*(route(hub, endpoint) for endpoint in ENDPOINTS), openapi_route(ENDPOINTS)]
