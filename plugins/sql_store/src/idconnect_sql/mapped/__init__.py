"""The mapped store: an existing user table (and optional group tables) described by config.

:class:`MappedStore` is assembled from one mixin per operation family (:mod:`.accounts`,
:mod:`.groups`, :mod:`.credentials`) over :mod:`.base` (mapping, reflection, layout, reading).
"""

from __future__ import annotations

from idconnect_sql.explain import ExplainOps
from idconnect_sql.mapped.accounts import MappedAccountOps
from idconnect_sql.mapped.credentials import MappedCredentialOps
from idconnect_sql.mapped.groups import MappedGroupOps

__all__ = ["MappedStore"]


class MappedStore(MappedAccountOps, MappedGroupOps, MappedCredentialOps, ExplainOps):
    """A store over tables idconnect does not own, described by ``[stores.X.mapping]``.

    :param config: the store's config.
    :raises ConfigError: for an incomplete or unknown mapping key.
    """
