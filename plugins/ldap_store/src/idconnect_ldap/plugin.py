"""Entry point module: registers the ``ldap`` store type with idconnect.

It imports no ldap3: the backend loads when an ``ldap`` store is first built.
"""

from __future__ import annotations

from idconnect.backend import StoreFactory, hookimpl, lazy_factory

__all__ = ["idconnect_store_types"]


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``ldap`` store type."""
    return {"ldap": lazy_factory("idconnect_ldap.backend:LdapBackend")}
