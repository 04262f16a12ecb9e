"""Entry point module: registers the ``rest`` store type with idconnect."""

from __future__ import annotations

from idconnect.core.hookspecs import StoreFactory
from idconnect.core.plugins import hookimpl
from idconnect_rest.backend import RestStore

__all__ = ["idconnect_store_types"]


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``rest`` store type (SCIM 2.0 servers)."""
    return {"rest": RestStore}
