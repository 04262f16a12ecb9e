"""Entry point module: registers the ``rest`` store type with idconnect."""

from __future__ import annotations

from idconnect.backend import StoreFactory, hookimpl
from idconnect_rest.backend import RestBackend

__all__ = ["idconnect_store_types"]


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``rest`` store type (SCIM 2.0 servers).

    :returns: ``{"rest": RestBackend}``.
    """
    return {"rest": RestBackend}
