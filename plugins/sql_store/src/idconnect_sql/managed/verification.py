"""Managed store: identity verifications in ``idc_verifications`` (revision 0003)."""

from __future__ import annotations

from datetime import datetime

from idconnect.backend import CallContext, IdentityVerification, hookimpl
from idconnect_sql.managed.base import ManagedBase

__all__ = ["VerificationOps"]


class VerificationOps(ManagedBase):
    """Verification hooks: list, verify, revoke (an account's rows go with it: FK cascade)."""

    @hookimpl
    def idconnect_list_verifications(self, account_id: str) -> list[IdentityVerification]:
        """List the account's verifications, newest first."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            return self.records.verifications(connection, {"account_id": account_id})

    @hookimpl
    def idconnect_verify_identity(
        self, account_id: str, verification: IdentityVerification
    ) -> IdentityVerification:
        """Insert the verification record."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            return self.records.add_verification(
                connection, {"account_id": account_id}, verification
            )

    @hookimpl
    def idconnect_revoke_verification(
        self, context: CallContext, account_id: str, verification_id: str, revoked_at: datetime
    ) -> IdentityVerification:
        """Mark the verification revoked by the acting admin, for the call's reason."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            return self.records.revoke_verification(
                connection,
                {"account_id": account_id},
                verification_id,
                at=revoked_at,
                by=context.actor,
                reason=context.reason,
            )
