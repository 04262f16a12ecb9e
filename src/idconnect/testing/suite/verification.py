"""The verification family: verify under a policy, list the history, revoke.

The store's hub must configure at least one verification policy: add :data:`KIT_VERIFICATION`
as the ``verification`` table of the config ``make_store`` connects with.
"""

from __future__ import annotations

from typing import Any

import pytest

from idconnect import Conflict, NotFound, Store
from idconnect.core.policies import VerificationPolicy
from idconnect.core.records import VerificationStatus
from idconnect.testing.suite.base import REASON, BaseSuite, needs

__all__ = ["KIT_VERIFICATION", "VerificationSuite", "kit_policy"]

KIT_VERIFICATION: dict[str, Any] = {
    "policies": {
        "kit-document": {"methods": ["document"], "level": "substantial", "validity": "30d"}
    }
}
"""A ``[verification]`` config table with one policy, for the stores the kit tests."""


def kit_policy(store: Store) -> VerificationPolicy:
    """Return a verification policy the store's hub has configured.

    :param store: the store under test.
    :returns: the first policy by name.
    :raises pytest.fail.Exception: when the hub has none (the config lacks
        :data:`KIT_VERIFICATION`).
    """
    policies = store.hub.config.verification_policies
    if not policies:
        pytest.fail(
            f"store {store.name} can verify identities but its hub configures no verification"
            " policy: connect with verification=KIT_VERIFICATION (idconnect.testing.suite)"
        )
    return policies[min(policies)]


class VerificationSuite(BaseSuite):
    """Identity verification: verify, list, revoke, history kept, errors."""

    def test_verify_list_and_revoke(self, store: Store) -> None:
        """A verification follows its policy, is listed, and stays listed once revoked."""
        needs(store, "verify_identity", "list_verifications", "revoke_verification")
        policy = kit_policy(store)
        account = self._one(store)
        assert account.id
        assert store.verifications(account.id) == []
        first = store.verify_identity(
            account.id, policy=policy.name, evidence="passport ref 4711", reason=REASON
        )
        assert (first.policy, first.methods, first.level) == (
            policy.name,
            policy.methods,
            policy.level,
        )
        assert first.account_id == account.id and first.evidence == "passport ref 4711"
        if policy.validity is not None:
            assert first.expires_at == first.verified_at + policy.validity
        assert first.status is VerificationStatus.VALID
        second = store.verify_identity(
            account.id, policy=policy.name, evidence="video call 12", reason=REASON
        )
        assert {v.id for v in store.verifications(account.id)} == {first.id, second.id}
        revoked = store.revoke_verification(account.id, first.id, reason=REASON)
        assert revoked.revoked_at is not None and revoked.revoke_reason == REASON
        assert revoked.revoked_by == first.verified_by
        listed = {v.id: v for v in store.verifications(account.id)}
        assert listed[first.id] == revoked
        assert listed[first.id].status is VerificationStatus.REVOKED
        assert listed[second.id] == second
        with pytest.raises(Conflict):
            store.revoke_verification(account.id, first.id, reason=REASON)

    def test_verification_errors(self, store: Store) -> None:
        """Unknown accounts and verifications are NotFound; records are per account."""
        needs(store, "verify_identity", "list_verifications", "revoke_verification")
        policy = kit_policy(store)
        account = self._one(store)
        other = self._one(store, "kit.other")
        assert account.id and other.id
        with pytest.raises(NotFound):
            store.verify_identity(
                "no-such-account", policy=policy.name, evidence="x", reason=REASON
            )
        with pytest.raises(NotFound):
            store.verifications("no-such-account")
        made = store.verify_identity(account.id, policy=policy.name, evidence="x", reason=REASON)
        assert store.verifications(other.id) == []
        with pytest.raises(NotFound):
            store.revoke_verification(other.id, made.id, reason=REASON)
        with pytest.raises(NotFound):
            store.revoke_verification(account.id, "no-such-verification", reason=REASON)
