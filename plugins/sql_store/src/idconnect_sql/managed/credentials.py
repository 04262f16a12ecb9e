"""Managed store: authenticators, passwords and failed-attempt counters."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from idconnect.backend import (
    Authenticator,
    AuthenticatorKind,
    Secret,
    hookimpl,
    new_authenticator,
    utc_now,
)
from idconnect_sql.managed.base import ManagedBase
from idconnect_sql.managed.rows import authenticator_from_row
from idconnect_sql.passwords import hash_password

__all__ = ["CredentialOps"]


class CredentialOps(ManagedBase):
    """Credential hooks: list, add and remove authenticators, set a password, reset counters."""

    @hookimpl
    def idconnect_list_authenticators(self, account_id: str) -> list[Authenticator]:
        """List methods, oldest first, masked."""
        au = self.tables.authenticators
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            rows = connection.execute(
                sa.select(au).where(au.c.account_id == account_id).order_by(au.c.created, au.c.id)
            )
            return [authenticator_from_row(row) for row in rows]

    @hookimpl
    def idconnect_add_authenticator(
        self, account_id: str, kind: AuthenticatorKind, value: str, verified: bool
    ) -> Authenticator:
        """Add an email or phone method with a masked label."""
        added = new_authenticator(kind, value, verified)
        row = {
            "id": added.id,
            "account_id": account_id,
            "kind": str(kind),
            "label": added.label,
            "verified": verified,
            "created": added.created,
        }
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            connection.execute(sa.insert(self.tables.authenticators), [row])
        return added

    @hookimpl
    def idconnect_remove_authenticator(self, account_id: str, authenticator_id: str) -> None:
        """Remove one method of the account."""
        au = self.tables.authenticators
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.delete(au).where(au.c.account_id == account_id, au.c.id == authenticator_id)
            )
            if done.rowcount == 0:
                raise self.not_found("authenticator", authenticator_id, account=account_id)

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """Store an argon2id hash in the account's password authenticator."""
        au = self.tables.authenticators
        encoded = hash_password("argon2id", password.reveal())
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.update(au)
                .where(au.c.account_id == account_id, au.c.kind == str(AuthenticatorKind.PASSWORD))
                .values(secret_hash=encoded)
            )
            if done.rowcount == 0:
                connection.execute(
                    sa.insert(au),
                    [
                        {
                            "id": uuid.uuid4().hex,
                            "account_id": account_id,
                            "kind": str(AuthenticatorKind.PASSWORD),
                            "label": "password",
                            "secret_hash": encoded,
                            "verified": True,
                            "created": utc_now(),
                        }
                    ],
                )

    @hookimpl
    def idconnect_reset_failed_attempts(self, account_id: str) -> None:
        """Zero both counters."""
        with self.begin(account_id) as connection:
            self._touch(connection, account_id, failed_password=0, failed_otp=0)
