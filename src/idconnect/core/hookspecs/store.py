# mypy: disable-error-code="empty-body"
"""Store-wide hooks: catalogue, capabilities, health, discovery, provisioning, lifecycle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.schema import Catalogue

__all__ = [
    "idconnect_available_operations",
    "idconnect_catalogue",
    "idconnect_close",
    "idconnect_ping",
    "idconnect_provision",
    "idconnect_refresh",
    "idconnect_seed_demo",
]


@hookspec(firstresult=True)
def idconnect_catalogue(context: CallContext) -> Catalogue:
    """Return the attributes this store holds and can filter on.

    Implement it to narrow :data:`~idconnect.core.schema.USER_CATALOGUE`; a store that does not
    implement it has the full catalogue. Filters naming other attributes are refused with
    ``FilterError`` before the backend sees them. A store may also change an attribute's
    characteristics where it really differs (e.g. ``case_exact`` as a SCIM server's schema
    declares it); filters are then judged by those. Stop at first non-None result.

    :param context: the call context.
    :returns: the store's catalogue.
    :raises StoreUnavailable: when answering needs the store (remote discovery) and it is down.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def idconnect_available_operations(
    context: CallContext, implemented: frozenset[str]
) -> frozenset[str]:
    """Narrow the store's capabilities to what it can do right now.

    The capabilities are first derived from the hooks the backend implements (``implemented``);
    a backend whose abilities depend on configuration or on what a server advertises returns the
    subset that really works. It can only remove operations, never add them. Stop at first
    non-None result.

    :param context: the call context.
    :param implemented: operation names (hook names without ``idconnect_``) the backend implements.
    :returns: the operations available, a subset of ``implemented``.
    :raises StoreUnavailable: when answering needs the store and it is down.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def idconnect_ping(context: CallContext) -> bool:
    """Check that the store answers, for health checks.

    :param context: the call context.
    :returns: ``True`` when the store answered.
    :raises StoreUnavailable: when it cannot be reached, naming the store and the address.

    .. versionadded:: 0.1
    """


@hookspec
def idconnect_refresh(context: CallContext) -> None:
    """Forget what the backend learnt about the store (discovery, schema) and learn it again.

    Called by :meth:`~idconnect.core.facade.Store.refresh`, after which the facade derives the
    capabilities and the catalogue anew.

    :param context: the call context.
    :raises StoreUnavailable: when the store cannot be asked.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def idconnect_provision(context: CallContext) -> str:
    """Create what the store needs before first use (tables, schema, base entries); idempotent.

    Called by :meth:`~idconnect.core.facade.Store.provision` (``idconnect store init NAME``). A
    store that needs nothing set up does not implement it; the facade then raises
    ``NotSupported``. Stop at first non-None result.

    :param context: the call context.
    :returns: what was done, for the admin to read (e.g. ``"schema revision 0001_baseline"``).
    :raises StoreUnavailable: when the store cannot be reached.
    :raises PermissionDenied: when the configured credentials may not create the schema.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def idconnect_seed_demo(context: CallContext, count: int, seed: int) -> Mapping[str, int]:
    """Fill an empty store with realistic demo customers, natively and fast (optional).

    Called by :meth:`~idconnect.core.facade.Store.seed_demo` (``idconnect demo``). A store that
    does not implement it is seeded through the facade's own operations instead. The same
    ``seed`` gives the same data; instants are relative to now. Stop at first non-None result.

    :param context: the call context.
    :param count: how many accounts to create.
    :param seed: the random seed.
    :returns: how many rows or entries of each kind were written, by a name a person reads.
    :raises InvalidInput: when the store already holds accounts.

    .. versionadded:: 0.2
    """


@hookspec
def idconnect_close(context: CallContext) -> None:
    """Release the store's connections and pools; called once when the hub closes.

    :param context: the call context.

    .. versionadded:: 0.1
    """
