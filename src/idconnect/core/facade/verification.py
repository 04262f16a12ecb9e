"""Identity verification: list an account's verifications, verify under a policy, revoke one."""

from __future__ import annotations

from idconnect.core.errors import InvalidInput
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.facade.checks import check_note
from idconnect.core.instants import utc_now
from idconnect.core.opspec import covers
from idconnect.core.policies import VerificationPolicy
from idconnect.core.records import MAX_EVIDENCE, IdentityVerification, new_record_id

__all__ = ["VerificationOperations"]


class VerificationOperations(StoreCalls):
    """The verification family of :class:`~idconnect.core.facade.store.Store`."""

    @covers("list_verifications")
    def verifications(
        self, account_id: str, *, actor: str | None = None
    ) -> list[IdentityVerification]:
        """List an account's identity verifications, revoked and expired ones included.

        :param account_id: the account's id.
        :param actor: the acting admin.
        :returns: the history, newest first; each record's ``status`` says where it stands.
        :raises NotFound: when the account does not exist.
        :raises NotSupported: when neither the store nor the hub can keep verifications for it.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        return list(
            self._call("list_verifications", context, subject=account_id, account_id=account_id)
        )

    def _policy(self, name: object, account_id: str) -> VerificationPolicy:
        policies = self.hub.config.verification_policies
        found = policies.get(name) if isinstance(name, str) else None
        if found is None:
            known = ", ".join(sorted(policies)) or "none; add [verification.policies.NAME]"
            raise InvalidInput(
                f"unknown identity verification policy {name!r} (configured: {known})",
                store=self.name,
                account=account_id,
            )
        return found

    @covers("verify_identity")
    def verify_identity(
        self,
        account_id: str,
        *,
        policy: str,
        evidence: str,
        reason: str,
        actor: str | None = None,
    ) -> IdentityVerification:
        """Record that support verified the account holder's identity under a policy.

        :param account_id: the account's id.
        :param policy: a policy name from the hub config's ``[verification.policies]``.
        :param evidence: a short note or reference number of what was checked (at most 200
            characters, no control characters; never a document).
        :param reason: why (required).
        :param actor: the acting admin (recorded as ``verified_by``).
        :returns: the new record, expiring after the policy's validity.
        :raises InvalidInput: for an unknown policy or a bad evidence note (before any I/O).
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        chosen = self._policy(policy, account_id)
        note = check_note(
            evidence, "evidence", most=MAX_EVIDENCE, store=self.name, account=account_id
        )
        context = self._context(actor, reason, need_reason=True)
        now = utc_now()
        record = IdentityVerification(
            id=new_record_id(),
            account_id=account_id,
            policy=chosen.name,
            methods=chosen.methods,
            level=chosen.level,
            evidence=note,
            verified_at=now,
            verified_by=context.actor,
            expires_at=None if chosen.validity is None else now + chosen.validity,
        )
        result: IdentityVerification = self._call(
            "verify_identity",
            context,
            subject=account_id,
            account_id=account_id,
            verification=record,
        )
        return result

    @covers("revoke_verification")
    def revoke_verification(
        self,
        account_id: str,
        verification_id: str,
        *,
        reason: str,
        actor: str | None = None,
    ) -> IdentityVerification:
        """Revoke an identity verification (the identity carries a risk); it stays listed.

        :param account_id: the account's id.
        :param verification_id: the verification's id.
        :param reason: why (required; recorded on the verification).
        :param actor: the acting admin (recorded as ``revoked_by``).
        :returns: the revoked record.
        :raises NotFound: when the account or the verification does not exist.
        :raises Conflict: when it was revoked already.
        """
        account_id = self._id(account_id)
        verification_id = self._id(verification_id, "verification id")
        context = self._context(actor, reason, need_reason=True)
        result: IdentityVerification = self._call(
            "revoke_verification",
            context,
            subject=account_id,
            account_id=account_id,
            verification_id=verification_id,
            revoked_at=utc_now(),
        )
        return result
