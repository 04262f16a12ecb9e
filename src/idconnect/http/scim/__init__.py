"""SCIM 2.0 service provider (RFC 7643, RFC 7644, RFC 9865) over every configured store.

Mounted at ``/scim/v2/{store}``: ``Users``, ``Groups``, ``Bulk``, ``ServiceProviderConfig``,
``ResourceTypes`` and ``Schemas``, each derived from that store's capabilities and catalogue.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from idconnect.core.facade import Hub
from idconnect.http.limits import Limits
from idconnect.http.scim.bulk import bulk_routes
from idconnect.http.scim.discovery import discovery_routes
from idconnect.http.scim.groups import group_routes
from idconnect.http.scim.users import user_routes

__all__ = ["scim_routes"]


def scim_routes(hub: Hub, limits: Limits) -> list[BaseRoute]:
    """Build every SCIM route for one store (the store is the ``{store}`` path parameter).

    :param hub: the hub whose stores are served.
    :param limits: the service's limits.
    :returns: the routes, to mount under ``/scim/v2/{store}``.
    """
    resources: list[BaseRoute] = [*user_routes(hub, limits), *group_routes(hub, limits)]
    return [*resources, *bulk_routes(hub, limits, resources), *discovery_routes(hub, limits)]
