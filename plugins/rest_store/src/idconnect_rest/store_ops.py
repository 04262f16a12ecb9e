"""Store-wide operations of the ``rest`` backend: catalogue, capabilities, ping, refresh, close."""

from __future__ import annotations

from idconnect.backend import Catalogue, hookimpl, operations_of
from idconnect_rest.base import RestBase

__all__ = ["StoreOps"]

_NEEDS_PATCH = frozenset(
    {
        "update_account",
        "set_account_enabled",
        "bulk_set_accounts_enabled",
        "add_group_member",
        "remove_group_member",
        "set_password",
    }
)
_NEEDS_BULK = frozenset(
    {"bulk_create_accounts", "bulk_set_accounts_enabled", "bulk_delete_accounts"}
)
_GROUP_OPERATIONS = frozenset(op.name for op in operations_of("groups"))


class StoreOps(RestBase):
    """What the store as a whole offers, derived from the server's discovery."""

    @hookimpl
    def idconnect_refresh(self) -> None:
        """Forget the cached discovery and read it again.

        :raises StoreUnavailable: when the server cannot be reached.
        """
        self.refresh()

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """Return the canonical attributes the server holds (discovered).

        :returns: the catalogue.
        :raises StoreUnavailable: when discovery fails.
        """
        return self.profile.catalogue

    @hookimpl
    def idconnect_available_operations(self, implemented: frozenset[str]) -> frozenset[str]:
        """Narrow the operations to what the server advertises.

        :param implemented: the operations this backend implements.
        :returns: those the server can serve.
        :raises StoreUnavailable: when discovery fails.
        """
        p = self.profile
        drop: set[str] = set()
        if not p.patch:
            drop |= _NEEDS_PATCH
        if not p.change_password:
            drop.add("set_password")
        if not p.bulk:
            drop |= _NEEDS_BULK
        if p.groups_endpoint is None:
            drop |= _GROUP_OPERATIONS
        if p.catalogue.get("active") is None:
            drop |= {"set_account_enabled", "bulk_set_accounts_enabled"}
        return implemented - drop

    @hookimpl
    def idconnect_ping(self) -> bool:
        """Read ``/ServiceProviderConfig``.

        :returns: ``True``.
        :raises StoreUnavailable: when the server cannot be reached.
        """
        self.client.request("GET", "/ServiceProviderConfig", what="the service provider config")
        return True

    @hookimpl
    def idconnect_close(self) -> None:
        """Close the pooled connections."""
        if self._client is not None:
            self._client.close()
