"""Entry point module: registers the ``ldap`` store type with idconnect."""

from __future__ import annotations

from idconnect.core.hookspecs import StoreFactory
from idconnect.core.plugins import hookimpl
from idconnect_ldap.backend import LdapStore

__all__ = ["idconnect_store_types"]


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``ldap`` store type."""
    return {"ldap": LdapStore}
