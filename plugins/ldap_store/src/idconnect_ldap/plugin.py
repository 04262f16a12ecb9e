"""Entry point module: registers the ``ldap`` store type with idconnect."""

from __future__ import annotations

from idconnect.backend import StoreFactory, hookimpl
from idconnect_ldap.backend import LdapBackend

__all__ = ["idconnect_store_types"]


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``ldap`` store type."""
    return {"ldap": LdapBackend}
