"""Consents: an account's consent log, recording a new consent, revoking one."""

from __future__ import annotations

from datetime import datetime

from idconnect.core.facade.calls import StoreCalls
from idconnect.core.facade.checks import check_instant, check_note
from idconnect.core.instants import utc_now
from idconnect.core.opspec import covers
from idconnect.core.records import MAX_PURPOSE, MAX_VERSION, Consent, ConsentEnd, new_record_id

__all__ = ["ConsentOperations"]


class ConsentOperations(StoreCalls):
    """The consents family of :class:`~idconnect.core.facade.store.Store`."""

    @covers("list_consents")
    def consents(self, account_id: str, *, actor: str | None = None) -> list[Consent]:
        """List an account's consent log: what it agreed to, when, and how each consent ended.

        :param account_id: the account's id.
        :param actor: the acting admin.
        :returns: every consent, newest agreement first; ended ones have ``opted_out_at`` and
            ``ended_how``.
        :raises NotFound: when the account does not exist.
        :raises NotSupported: when neither the store nor the hub can keep consents for it.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        return list(self._call("list_consents", context, subject=account_id, account_id=account_id))

    @covers("record_consent")
    def record_consent(
        self,
        account_id: str,
        *,
        purpose: str,
        version: str,
        agreed_at: datetime | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Consent:
        """Record that the account holder agreed to a version of a purpose's consent text.

        For the customer-facing app and for imports (record an account's consents oldest
        first). The consent of the same purpose that still holds ends, ``superseded``.

        :param account_id: the account's id.
        :param purpose: what is consented to, e.g. ``marketing-email`` (at most 128 characters).
        :param version: the version of the text agreed to (at most 64 characters).
        :param agreed_at: when the customer agreed (aware, not in the future); default now.
        :param reason: why, for the audit trail (optional).
        :param actor: the acting admin or application.
        :returns: the new record.
        :raises InvalidInput: for a bad purpose, version or instant (before any I/O).
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        where = {"store": self.name, "account": account_id}
        purpose = check_note(purpose, "purpose", most=MAX_PURPOSE, **where)
        version = check_note(version, "version", most=MAX_VERSION, **where)
        now = utc_now()
        if agreed_at is not None:
            check_instant(agreed_at, "agreed_at", store=self.name, latest=now)
        context = self._context(actor, reason, need_reason=False)
        record = Consent(
            id=new_record_id(),
            account_id=account_id,
            purpose=purpose,
            version=version,
            agreed_at=now if agreed_at is None else agreed_at,
        )
        result: Consent = self._call(
            "record_consent", context, subject=account_id, account_id=account_id, consent=record
        )
        return result

    @covers("revoke_consent")
    def revoke_consent(
        self,
        account_id: str,
        consent_id: str,
        *,
        reason: str,
        by_customer: bool = False,
        actor: str | None = None,
    ) -> Consent:
        """End a consent that still holds; it stays in the log as revoked.

        :param account_id: the account's id.
        :param consent_id: the consent's id.
        :param reason: why (required; recorded on the consent).
        :param by_customer: ``True`` when the customer opted out (the customer-facing app
            records it), else support revoked it.
        :param actor: the acting admin or application (recorded as ``revoked_by``).
        :returns: the ended record.
        :raises NotFound: when the account or the consent does not exist.
        :raises Conflict: when the consent had ended already.
        """
        account_id = self._id(account_id)
        consent_id = self._id(consent_id, "consent id")
        context = self._context(actor, reason, need_reason=True)
        how = ConsentEnd.REVOKED_BY_CUSTOMER if by_customer else ConsentEnd.REVOKED_BY_SUPPORT
        result: Consent = self._call(
            "revoke_consent",
            context,
            subject=account_id,
            account_id=account_id,
            consent_id=consent_id,
            ended_how=how,
            revoked_at=utc_now(),
        )
        return result
