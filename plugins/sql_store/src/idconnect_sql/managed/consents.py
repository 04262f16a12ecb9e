"""Managed store: the consent log in ``idc_consents`` (revision 0003)."""

from __future__ import annotations

from datetime import datetime

from idconnect.backend import CallContext, Consent, ConsentEnd, hookimpl
from idconnect_sql.managed.base import ManagedBase

__all__ = ["ConsentOps"]


class ConsentOps(ManagedBase):
    """Consent hooks: list, record (superseding), revoke (an account's rows go with it)."""

    @hookimpl
    def idconnect_list_consents(self, account_id: str) -> list[Consent]:
        """List the account's consents, newest agreement first."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            return self.records.consents(connection, {"account_id": account_id})

    @hookimpl
    def idconnect_record_consent(self, account_id: str, consent: Consent) -> Consent:
        """Supersede the purpose's consent that still holds and insert the new one."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            return self.records.add_consent(connection, {"account_id": account_id}, consent)

    @hookimpl
    def idconnect_revoke_consent(
        self,
        context: CallContext,
        account_id: str,
        consent_id: str,
        ended_how: ConsentEnd,
        revoked_at: datetime,
    ) -> Consent:
        """End the consent, by the acting admin or app, for the call's reason."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            return self.records.end_consent(
                connection,
                {"account_id": account_id},
                consent_id,
                how=ended_how,
                at=revoked_at,
                by=context.actor,
                reason=context.reason,
            )
