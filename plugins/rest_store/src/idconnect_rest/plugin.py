"""Entry point module: registers the ``rest`` store type with idconnect.

It imports no HTTP client: the backend loads when a ``rest`` store is first built.
"""

from __future__ import annotations

from idconnect.backend import StoreFactory, hookimpl, lazy_factory

__all__ = ["idconnect_store_types"]


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``rest`` store type (SCIM 2.0 servers).

    :returns: ``{"rest": <factory of RestBackend>}``.
    """
    return {"rest": lazy_factory("idconnect_rest.backend:RestBackend")}
