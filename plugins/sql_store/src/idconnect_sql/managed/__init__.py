"""The managed store: every hook over the ``idc_`` tables idconnect owns.

:class:`ManagedStore` is assembled from one mixin per operation family (:mod:`.accounts`,
:mod:`.groups`, :mod:`.roles`, :mod:`.credentials`, :mod:`.sessions`, :mod:`.verification`,
:mod:`.consents`, :mod:`.activity`) over :mod:`.base`.
"""

from __future__ import annotations

from idconnect_sql.explain import ExplainOps
from idconnect_sql.managed.accounts import AccountOps
from idconnect_sql.managed.activity import ActivityOps
from idconnect_sql.managed.consents import ConsentOps
from idconnect_sql.managed.credentials import CredentialOps
from idconnect_sql.managed.groups import GroupOps
from idconnect_sql.managed.layout import managed_layout
from idconnect_sql.managed.roles import RoleOps
from idconnect_sql.managed.sessions import SessionOps
from idconnect_sql.managed.verification import VerificationOps

__all__ = ["ManagedStore", "managed_layout"]


class ManagedStore(
    AccountOps,
    GroupOps,
    RoleOps,
    CredentialOps,
    SessionOps,
    VerificationOps,
    ConsentOps,
    ActivityOps,
    ExplainOps,
):
    """A store over the managed ``idc_`` schema (``plugin = "sql"`` without a ``mapping``).

    The schema is created automatically on first use for SQLite; elsewhere run
    ``idconnect store init NAME`` (the ``idconnect_provision`` hook, or
    :func:`idconnect_sql.init_store`) or set ``create_schema = true``.

    :param config: the store's config.
    :raises ConfigError: for bad settings.
    """
