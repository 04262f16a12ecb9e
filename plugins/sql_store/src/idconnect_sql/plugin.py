"""The ``sql`` store type: managed schema, or a mapped one when ``[stores.X.mapping]`` is set."""

from __future__ import annotations

from idconnect.core.config import StoreConfig
from idconnect.core.hookspecs import StoreFactory
from idconnect.core.plugins import hookimpl
from idconnect_sql.backend import SqlBackend

__all__ = ["make_store"]


def make_store(config: StoreConfig) -> SqlBackend:
    """Build the backend for one ``sql`` store.

    :param config: the store's config.
    :returns: a :class:`~idconnect_sql.mapped.MappedStore` when the config has a ``mapping``
        table, else a :class:`~idconnect_sql.managed.ManagedStore`.
    :raises ConfigError: for bad settings.
    """
    if "mapping" in config.settings:
        from idconnect_sql.mapped import MappedStore

        return MappedStore(config)
    from idconnect_sql.managed import ManagedStore

    return ManagedStore(config)


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``sql`` store type."""
    return {"sql": make_store}
