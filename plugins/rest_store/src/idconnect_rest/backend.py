"""The ``rest`` backend: an idconnect store over a SCIM 2.0 server.

Accounts are SCIM Users, groups SCIM Groups. What the store can do comes from the server's
discovery endpoints (cached for ``discovery_ttl`` seconds, or until ``refresh``). Sessions,
roles and authenticators are not part of SCIM and are not implemented.

:class:`RestBackend` is assembled from one class per operation family:
:mod:`~idconnect_rest.store_ops` (store-wide), :mod:`~idconnect_rest.account_ops`,
:mod:`~idconnect_rest.account_bulk` and :mod:`~idconnect_rest.group_ops`, all over the
plumbing in :mod:`~idconnect_rest.base`.
"""

from __future__ import annotations

from idconnect_rest.account_bulk import AccountBulkOps
from idconnect_rest.account_ops import AccountOps
from idconnect_rest.explain import ExplainOps
from idconnect_rest.group_ops import GroupOps
from idconnect_rest.store_ops import StoreOps

__all__ = ["RestBackend", "RestStore"]


class RestBackend(StoreOps, ExplainOps, AccountOps, AccountBulkOps, GroupOps):
    """A store over one SCIM 2.0 server.

    :param config: the store's config; see :mod:`idconnect_rest.settings`.
    :raises ConfigError: for a missing or malformed setting.
    """

    def __repr__(self) -> str:
        return f"<RestBackend {self.name!r} {self.settings.url}>"


RestStore = RestBackend
"""The former name of :class:`RestBackend`, kept importable."""
