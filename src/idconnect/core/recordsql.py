"""Identity verifications and consents in SQL tables: the statements every SQL keeper shares.

The hub's state database (for stores that cannot hold these records) and the sql backend's
managed schema keep them in tables with the same column names (:data:`VERIFICATION_COLUMNS`,
:data:`CONSENT_COLUMNS`); :class:`RecordSql` runs the statements on either. A *key* is the
mapping of columns naming one account's records: ``{"account_id": ...}`` in a store's own
database, ``{"store": ..., "account_id": ...}`` in the hub's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from attrs import evolve
from sqlalchemy.engine import Connection

from idconnect.core.errors import Conflict, NotFound
from idconnect.core.records import Consent, ConsentEnd, IdentityVerification

__all__ = ["CONSENT_COLUMNS", "VERIFICATION_COLUMNS", "RecordSql"]

VERIFICATION_COLUMNS = (
    "id",
    "account_id",
    "policy",
    "methods",
    "level",
    "evidence",
    "verified_at",
    "verified_by",
    "expires_at",
    "revoked_at",
    "revoked_by",
    "revoke_reason",
)
"""The columns of a verifications table (``methods`` holds the names joined by spaces)."""

CONSENT_COLUMNS = (
    "id",
    "account_id",
    "purpose",
    "version",
    "agreed_at",
    "opted_out_at",
    "ended_how",
    "revoked_by",
    "reason",
)
"""The columns of a consents table."""

Key = Mapping[str, Any]


def _utc(value: Any) -> Any:
    """Read an instant column: aware in UTC (SQLite gives it back naive), ``None`` as is."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RecordSql:
    """The statements on one pair of verification and consent tables.

    :param verifications: a table with :data:`VERIFICATION_COLUMNS` (and the key's columns).
    :param consents: a table with :data:`CONSENT_COLUMNS` (and the key's columns).
    """

    def __init__(self, verifications: sa.Table, consents: sa.Table) -> None:
        self.verifications_table = verifications
        self.consents_table = consents

    @staticmethod
    def _where(table: sa.Table, key: Key) -> sa.ColumnElement[bool]:
        return sa.and_(*(table.c[column] == value for column, value in key.items()))

    # -- verifications ----------------------------------------------------------------------------

    def verifications(self, connection: Connection, key: Key) -> list[IdentityVerification]:
        """List one account's verifications, newest first.

        :param connection: an open connection, in a transaction.
        :param key: the columns naming the account's records.
        :returns: the records.
        """
        t = self.verifications_table
        rows = connection.execute(
            sa.select(t).where(self._where(t, key)).order_by(t.c.verified_at.desc(), t.c.id)
        )
        return [self._verification(row._mapping) for row in rows]

    def add_verification(
        self, connection: Connection, key: Key, verification: IdentityVerification
    ) -> IdentityVerification:
        """Insert a verification record as given.

        :param connection: an open connection, in a transaction.
        :param key: the columns naming the account's records.
        :param verification: the record.
        :returns: the record.
        """
        row = {c: getattr(verification, c) for c in VERIFICATION_COLUMNS}
        row["methods"] = " ".join(verification.methods)
        row["level"] = verification.level.value
        connection.execute(sa.insert(self.verifications_table).values({**row, **key}))
        return verification

    def revoke_verification(
        self,
        connection: Connection,
        key: Key,
        verification_id: str,
        *,
        at: datetime,
        by: str,
        reason: str | None,
    ) -> IdentityVerification:
        """Mark one verification revoked.

        :param connection: an open connection, in a transaction.
        :param key: the columns naming the account's records.
        :param verification_id: the record's id.
        :param at: when.
        :param by: the acting admin.
        :param reason: why.
        :returns: the revoked record.
        :raises NotFound: when the account has no such verification.
        :raises Conflict: when it was revoked already.
        """
        t = self.verifications_table
        mine = sa.and_(self._where(t, key), t.c.id == verification_id)
        found = connection.execute(sa.select(t).where(mine)).first()
        if found is None:
            raise NotFound(f"no identity verification with id {verification_id!r}")
        done = connection.execute(
            sa.update(t)
            .where(mine, t.c.revoked_at.is_(None))
            .values(revoked_at=at, revoked_by=by, revoke_reason=reason)
        )
        if done.rowcount == 0:
            raise Conflict(f"identity verification {verification_id!r} was revoked already")
        return evolve(
            self._verification(found._mapping), revoked_at=at, revoked_by=by, revoke_reason=reason
        )

    @staticmethod
    def _verification(row: Any) -> IdentityVerification:
        return IdentityVerification(
            id=row["id"],
            account_id=row["account_id"],
            policy=row["policy"],
            methods=tuple(row["methods"].split()),
            level=row["level"],
            evidence=row["evidence"],
            verified_at=_utc(row["verified_at"]),
            verified_by=row["verified_by"],
            expires_at=_utc(row["expires_at"]),
            revoked_at=_utc(row["revoked_at"]),
            revoked_by=row["revoked_by"],
            revoke_reason=row["revoke_reason"],
        )

    # -- consents ---------------------------------------------------------------------------------

    def consents(self, connection: Connection, key: Key) -> list[Consent]:
        """List one account's consents, newest agreement first.

        :param connection: an open connection, in a transaction.
        :param key: the columns naming the account's records.
        :returns: the records.
        """
        t = self.consents_table
        rows = connection.execute(
            sa.select(t).where(self._where(t, key)).order_by(t.c.agreed_at.desc(), t.c.id)
        )
        return [self._consent(row._mapping) for row in rows]

    def add_consent(self, connection: Connection, key: Key, consent: Consent) -> Consent:
        """End the consents of the same purpose that still hold (superseded), then insert.

        :param connection: an open connection, in a transaction.
        :param key: the columns naming the account's records.
        :param consent: the new record.
        :returns: the record.
        """
        t = self.consents_table
        connection.execute(
            sa.update(t)
            .where(self._where(t, key), t.c.purpose == consent.purpose, t.c.opted_out_at.is_(None))
            .values(opted_out_at=consent.agreed_at, ended_how=ConsentEnd.SUPERSEDED.value)
        )
        row = {c: getattr(consent, c) for c in CONSENT_COLUMNS}
        row["ended_how"] = None if consent.ended_how is None else consent.ended_how.value
        connection.execute(sa.insert(t).values({**row, **key}))
        return consent

    def end_consent(
        self,
        connection: Connection,
        key: Key,
        consent_id: str,
        *,
        how: ConsentEnd,
        at: datetime,
        by: str,
        reason: str | None,
    ) -> Consent:
        """End one consent that still holds.

        :param connection: an open connection, in a transaction.
        :param key: the columns naming the account's records.
        :param consent_id: the record's id.
        :param how: how it ends.
        :param at: when (its ``opted_out_at``).
        :param by: who ends it.
        :param reason: why.
        :returns: the ended record.
        :raises NotFound: when the account has no such consent.
        :raises Conflict: when it had ended already.
        """
        t = self.consents_table
        mine = sa.and_(self._where(t, key), t.c.id == consent_id)
        found = connection.execute(sa.select(t).where(mine)).first()
        if found is None:
            raise NotFound(f"no consent with id {consent_id!r}")
        done = connection.execute(
            sa.update(t)
            .where(mine, t.c.opted_out_at.is_(None))
            .values(opted_out_at=at, ended_how=how.value, revoked_by=by, reason=reason)
        )
        if done.rowcount == 0:
            raise Conflict(f"consent {consent_id!r} had ended already")
        return evolve(
            self._consent(found._mapping),
            opted_out_at=at,
            ended_how=how,
            revoked_by=by,
            reason=reason,
        )

    @staticmethod
    def _consent(row: Any) -> Consent:
        return Consent(
            id=row["id"],
            account_id=row["account_id"],
            purpose=row["purpose"],
            version=row["version"],
            agreed_at=_utc(row["agreed_at"]),
            opted_out_at=_utc(row["opted_out_at"]),
            ended_how=row["ended_how"],
            revoked_by=row["revoked_by"],
            reason=row["reason"],
        )
