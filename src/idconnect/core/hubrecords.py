"""The hub provider of identity verifications and consents, for stores that cannot hold them.

An LDAP directory, a SCIM server or a mapped SQL schema has no place for these records, so the
hub keeps them in its state database (DESIGN §11), keyed by store name and account id. The hub
offers :class:`HubRecords` to every store (:meth:`HubRecords.for_backend`: the families of which
the backend implements nothing); like any provider it answers only operations the backend lacks
(:func:`idconnect.core.plugins.make_store_manager`), so a store that keeps the records natively
(the sql managed schema) never reaches it.

Before writing or reading a record it confirms the account exists, through the store's own
``get_account`` (``NotFound`` otherwise). Deleting the account in the store does not delete the
hub's records of it: they are the history of what support did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection

from idconnect.core.context import CallContext
from idconnect.core.operations import operations_of
from idconnect.core.plugins import hookimpl
from idconnect.core.records import Consent, ConsentEnd, IdentityVerification
from idconnect.core.recordsql import RecordSql
from idconnect.core.state import StateDatabase
from idconnect.core.state_tables import StateTables

if TYPE_CHECKING:
    from idconnect.core.facade.store import Store

__all__ = ["FAMILIES", "HubRecords"]

_meta = sa.MetaData()
_AT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(512), nullable=False),
    ]


_verifications = sa.Table(
    "idconnect_verifications",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    *_key_columns(),
    sa.Column("policy", sa.String(64), nullable=False),
    sa.Column("methods", sa.String(255), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("evidence", sa.String(255), nullable=False),
    sa.Column("verified_at", _AT, nullable=False),
    sa.Column("verified_by", sa.String(512), nullable=False),
    sa.Column("expires_at", _AT),
    sa.Column("revoked_at", _AT),
    sa.Column("revoked_by", sa.String(512)),
    sa.Column("revoke_reason", sa.Text),
    sa.Index("ix_idconnect_verifications_account", "store", "account_id", "verified_at"),
)
_consents = sa.Table(
    "idconnect_consents",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    *_key_columns(),
    sa.Column("purpose", sa.String(128), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("agreed_at", _AT, nullable=False),
    sa.Column("opted_out_at", _AT),
    sa.Column("ended_how", sa.String(32)),
    sa.Column("revoked_by", sa.String(512)),
    sa.Column("reason", sa.Text),
    sa.Index("ix_idconnect_consents_account", "store", "account_id", "purpose", "agreed_at"),
)


FAMILIES = ("verification", "consents")
"""The operation families the hub keeps records of."""


class _Hooks:
    """The hooks of :class:`HubRecords` that one store gets (set as attributes)."""


_TABLES = StateTables(_meta, "records")


class HubRecords:
    """Answers the verification and consent operations from the hub's state database.

    :param state: the hub's state database (the tables are created there at first use).
    :param store_of: gives the facade of a store by name (``Hub.store``), through which the
        account is confirmed to exist.
    """

    def __init__(self, state: StateDatabase, store_of: Callable[[str], Store]) -> None:
        self._state = state
        self._store_of = store_of
        self._sql = RecordSql(_verifications, _consents)

    def for_backend(self, backend: object) -> object | None:
        """Return what this provider offers one store: the families its backend has none of.

        A backend keeping part of a family itself (its own consent log, but no way to write to
        it) is not completed from the hub, whose records it would never list.

        :param backend: the store's backend instance.
        :returns: an object holding this provider's hooks of those families, or ``None`` when
            there are none or the backend cannot read accounts (the hub could not confirm them).
        """
        if not hasattr(backend, "idconnect_get_account"):
            return None
        hooks = [
            op.hook
            for family in FAMILIES
            if not any(hasattr(backend, op.hook) for op in operations_of(family))
            for op in operations_of(family)
        ]
        if not hooks:
            return None
        subset = _Hooks()
        for hook in hooks:
            setattr(subset, hook, getattr(self, hook))
        return subset

    @contextmanager
    def _begin(self, context: CallContext, account_id: str) -> Iterator[Connection]:
        """Confirm the account exists in its store, then open a state transaction."""
        self._store_of(context.store).get_account(account_id, actor=context.actor)
        with _TABLES.begin(self._state, account=account_id) as connection:
            yield connection

    @staticmethod
    def _key(context: CallContext, account_id: str) -> dict[str, str]:
        return {"store": context.store, "account_id": account_id}

    @hookimpl
    def idconnect_list_verifications(
        self, context: CallContext, account_id: str
    ) -> list[IdentityVerification]:
        """List the verifications the hub keeps for the account, newest first."""
        with self._begin(context, account_id) as connection:
            return self._sql.verifications(connection, self._key(context, account_id))

    @hookimpl
    def idconnect_verify_identity(
        self, context: CallContext, account_id: str, verification: IdentityVerification
    ) -> IdentityVerification:
        """Keep a new verification record."""
        with self._begin(context, account_id) as connection:
            return self._sql.add_verification(
                connection, self._key(context, account_id), verification
            )

    @hookimpl
    def idconnect_revoke_verification(
        self, context: CallContext, account_id: str, verification_id: str, revoked_at: datetime
    ) -> IdentityVerification:
        """Mark one verification revoked, by the acting admin, for the call's reason."""
        with self._begin(context, account_id) as connection:
            return self._sql.revoke_verification(
                connection,
                self._key(context, account_id),
                verification_id,
                at=revoked_at,
                by=context.actor,
                reason=context.reason,
            )

    @hookimpl
    def idconnect_list_consents(self, context: CallContext, account_id: str) -> list[Consent]:
        """List the consents the hub keeps for the account, newest agreement first."""
        with self._begin(context, account_id) as connection:
            return self._sql.consents(connection, self._key(context, account_id))

    @hookimpl
    def idconnect_record_consent(
        self, context: CallContext, account_id: str, consent: Consent
    ) -> Consent:
        """Keep a new consent, superseding the one of the same purpose that still holds."""
        with self._begin(context, account_id) as connection:
            return self._sql.add_consent(connection, self._key(context, account_id), consent)

    @hookimpl
    def idconnect_revoke_consent(
        self,
        context: CallContext,
        account_id: str,
        consent_id: str,
        ended_how: ConsentEnd,
        revoked_at: datetime,
    ) -> Consent:
        """End one consent that still holds."""
        with self._begin(context, account_id) as connection:
            return self._sql.end_consent(
                connection,
                self._key(context, account_id),
                consent_id,
                how=ended_how,
                at=revoked_at,
                by=context.actor,
                reason=context.reason,
            )
