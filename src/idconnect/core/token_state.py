"""Customer-facing tokens in the hub's state database: password reset tokens, impersonation grants.

A reset token is random (:func:`secrets.token_urlsafe`) and kept only as its SHA-256 digest; an
impersonation token is a signed JWT and is not kept at all, only its grant (by ``jti``). Using
either is one conditional ``UPDATE`` (not used, not revoked, not expired), so of two concurrent
redemptions exactly one changes the row and wins; the other is refused with the reason read
back. The tables are created in the state database at first use.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection

from idconnect.core.errors import Conflict, NotFound, TokenRefused
from idconnect.core.impersonation import Impersonation
from idconnect.core.state import StateDatabase
from idconnect.core.state_tables import StateTables

__all__ = ["ResetGrant", "TokenState", "new_reset_token"]

_meta = sa.MetaData()
_AT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

_resets = sa.Table(
    "idconnect_reset_tokens",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("store", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(512), nullable=False),
    sa.Column("client", sa.String(128), nullable=False),
    sa.Column("issued_by", sa.String(512), nullable=False),
    sa.Column("issued_at", _AT, nullable=False),
    sa.Column("expires_at", _AT, nullable=False),
    sa.Column("used_at", _AT),
)
_grants = sa.Table(
    "idconnect_impersonations",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("store", sa.String(64), nullable=False),
    sa.Column("account_id", sa.String(512), nullable=False),
    sa.Column("client", sa.String(128), nullable=False),
    sa.Column("admin", sa.String(512), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("event_id", sa.String(32), nullable=False),
    sa.Column("issued_at", _AT, nullable=False),
    sa.Column("expires_at", _AT, nullable=False),
    sa.Column("redeemed_at", _AT),
    sa.Column("revoked_at", _AT),
    sa.Column("revoked_by", sa.String(512)),
    sa.Column("revoke_reason", sa.Text),
    sa.Index("ix_idconnect_impersonations_account", "store", "account_id", "issued_at"),
)
_GRANT_COLUMNS = tuple(c.name for c in _grants.columns)


def new_reset_token() -> str:
    """Return a fresh reset token: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(value: Any) -> Any:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@frozen(kw_only=True)
class ResetGrant:
    """What a redeemed reset token was issued for (never the token)."""

    id: str
    """The token's record id (audit events name it)."""
    store: str
    """The store of the account."""
    account_id: str
    """The account whose password the customer sets."""
    client: str
    """The client the link was sent for."""
    issued_by: str
    """The admin who sent the link."""


_TABLES = StateTables(_meta, "tokens")


class TokenState:
    """The token tables of the hub's state database.

    :param state: the hub's state database.
    """

    def __init__(self, state: StateDatabase) -> None:
        self._state = state

    def _begin(self) -> AbstractContextManager[Connection]:
        return _TABLES.begin(self._state)

    # -- password reset tokens --------------------------------------------------------------------

    def add_reset(
        self,
        token: str,
        *,
        record_id: str,
        grant: ResetGrant,
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Keep a new reset token's digest.

        :param token: the token (only its SHA-256 digest is written).
        :param record_id: the record's id.
        :param grant: what it is for.
        :param issued_at: when it was made.
        :param expires_at: when it stops working.
        :raises StoreUnavailable: when the state database cannot be written.
        """
        with self._begin() as connection:
            connection.execute(
                sa.insert(_resets).values(
                    id=record_id,
                    digest=_digest(token),
                    store=grant.store,
                    account_id=grant.account_id,
                    client=grant.client,
                    issued_by=grant.issued_by,
                    issued_at=issued_at,
                    expires_at=expires_at,
                )
            )

    def use_reset(self, token: str, *, now: datetime) -> ResetGrant:
        """Mark a reset token used, atomically: of two concurrent calls one wins.

        :param token: the token the customer brought.
        :param now: the current instant.
        :returns: what it was issued for.
        :raises TokenRefused: ``unknown``, ``used`` or ``expired`` (never naming the token).
        :raises StoreUnavailable: when the state database cannot be reached.
        """
        if not isinstance(token, str) or not 0 < len(token) <= 512:
            raise TokenRefused("the password reset token is malformed", why="malformed")
        digest = _digest(token)
        t = _resets.c
        with self._begin() as connection:
            done = connection.execute(
                sa.update(_resets)
                .where(t.digest == digest, t.used_at.is_(None), t.expires_at > now)
                .values(used_at=now)
            )
            row = connection.execute(sa.select(_resets).where(t.digest == digest)).first()
        if row is None:
            raise TokenRefused("the password reset token is unknown", why="unknown")
        if done.rowcount != 1:
            if row.used_at is not None:
                raise TokenRefused("the password reset token was used already", why="used")
            raise TokenRefused("the password reset token has expired", why="expired")
        return ResetGrant(
            id=row.id,
            store=row.store,
            account_id=row.account_id,
            client=row.client,
            issued_by=row.issued_by,
        )

    def release_reset(self, record_id: str, *, used_at: datetime) -> None:
        """Make a used reset token usable again (its password change failed).

        :param record_id: the record's id.
        :param used_at: when it was marked used (only that use is undone).
        :raises StoreUnavailable: when the state database cannot be written.
        """
        t = _resets.c
        with self._begin() as connection:
            connection.execute(
                sa.update(_resets)
                .where(t.id == record_id, t.used_at == used_at)
                .values(used_at=None)
            )

    # -- impersonation grants ---------------------------------------------------------------------

    def add_grant(self, grant: Impersonation) -> None:
        """Keep a new impersonation grant (never its link).

        :param grant: the grant.
        :raises StoreUnavailable: when the state database cannot be written.
        """
        with self._begin() as connection:
            connection.execute(
                sa.insert(_grants).values({c: getattr(grant, c) for c in _GRANT_COLUMNS})
            )

    def grant(self, grant_id: str) -> Impersonation | None:
        """Read one grant.

        :param grant_id: its id.
        :returns: the grant, or ``None`` when there is none with that id.
        :raises StoreUnavailable: when the state database cannot be read.
        """
        with self._begin() as connection:
            row = connection.execute(sa.select(_grants).where(_grants.c.id == grant_id)).first()
        return None if row is None else _grant(row._mapping)

    def grants(
        self, *, store: str | None = None, account_id: str | None = None, limit: int = 1000
    ) -> list[Impersonation]:
        """List grants, newest first.

        :param store: only this store's.
        :param account_id: only this account's.
        :param limit: at most this many.
        :returns: the grants.
        :raises StoreUnavailable: when the state database cannot be read.
        """
        t = _grants.c
        stmt = sa.select(_grants)
        if store is not None:
            stmt = stmt.where(t.store == store)
        if account_id is not None:
            stmt = stmt.where(t.account_id == account_id)
        stmt = stmt.order_by(t.issued_at.desc(), t.id).limit(limit)
        with self._begin() as connection:
            return [_grant(row._mapping) for row in connection.execute(stmt)]

    def redeem_grant(self, grant_id: str, *, now: datetime) -> Impersonation:
        """Mark a grant redeemed, atomically: a second redemption is refused.

        :param grant_id: the token's ``jti``.
        :param now: the current instant.
        :returns: the redeemed grant.
        :raises TokenRefused: ``unknown``, ``revoked``, ``used`` or ``expired``.
        :raises StoreUnavailable: when the state database cannot be reached.
        """
        t = _grants.c
        with self._begin() as connection:
            done = connection.execute(
                sa.update(_grants)
                .where(
                    t.id == grant_id,
                    t.redeemed_at.is_(None),
                    t.revoked_at.is_(None),
                    t.expires_at > now,
                )
                .values(redeemed_at=now)
            )
            row = connection.execute(sa.select(_grants).where(t.id == grant_id)).first()
        if row is None:
            raise TokenRefused("no impersonation grant matches the token", why="unknown")
        found = _grant(row._mapping)
        if done.rowcount == 1:
            return found
        if found.revoked_at is not None:
            raise TokenRefused(f"impersonation grant {grant_id} was revoked", why="revoked")
        if found.redeemed_at is not None:
            raise TokenRefused(f"impersonation grant {grant_id} was used already", why="used")
        raise TokenRefused(f"impersonation grant {grant_id} has expired", why="expired")

    def revoke_grant(
        self, grant_id: str, *, store: str, at: datetime, by: str, reason: str
    ) -> Impersonation:
        """Revoke a grant before it is used.

        :param grant_id: the grant's id.
        :param store: the store it must belong to.
        :param at: when.
        :param by: the acting admin.
        :param reason: why.
        :returns: the revoked grant.
        :raises NotFound: when the store has no such grant.
        :raises Conflict: when it was redeemed or revoked already.
        :raises StoreUnavailable: when the state database cannot be reached.
        """
        t = _grants.c
        mine = sa.and_(t.id == grant_id, t.store == store)
        with self._begin() as connection:
            done = connection.execute(
                sa.update(_grants)
                .where(mine, t.redeemed_at.is_(None), t.revoked_at.is_(None))
                .values(revoked_at=at, revoked_by=by, revoke_reason=reason)
            )
            row = connection.execute(sa.select(_grants).where(mine)).first()
        if row is None:
            raise NotFound(f"no impersonation grant with id {grant_id!r}", store=store)
        found = _grant(row._mapping)
        if done.rowcount != 1:
            state = "revoked" if found.revoked_at is not None else "redeemed"
            raise Conflict(f"impersonation grant {grant_id!r} was {state} already", store=store)
        return found


def _grant(row: Any) -> Impersonation:
    values = {c: row[c] for c in _GRANT_COLUMNS}
    for column in ("issued_at", "expires_at", "redeemed_at", "revoked_at"):
        values[column] = _utc(values[column])
    return Impersonation(**values)
