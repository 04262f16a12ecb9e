"""The consents family: record, supersede by a newer version, revoke, list the log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from idconnect import Conflict, NotFound, Store
from idconnect.core.records import ConsentEnd
from idconnect.testing.suite.base import REASON, BaseSuite, needs

__all__ = ["ConsentSuite"]

_AGREED = datetime(2025, 3, 1, 9, 30, 15, 250000, tzinfo=UTC)


class ConsentSuite(BaseSuite):
    """Consents: the log, superseding, revocation by the customer and by support."""

    def test_record_supersede_and_revoke(self, store: Store) -> None:
        """A newer version supersedes; revocations say how; ended consents stay in the log."""
        needs(store, "record_consent", "list_consents", "revoke_consent")
        account = self._one(store)
        assert account.id
        assert store.consents(account.id) == []
        v1 = store.record_consent(
            account.id, purpose="marketing-email", version="1", agreed_at=_AGREED
        )
        assert (v1.purpose, v1.version, v1.agreed_at, v1.active) == (
            "marketing-email",
            "1",
            _AGREED,
            True,
        )
        terms = store.record_consent(account.id, purpose="terms", version="2025-01")
        v2 = store.record_consent(account.id, purpose="marketing-email", version="2")
        log = {c.id: c for c in store.consents(account.id)}
        assert set(log) == {v1.id, v2.id, terms.id}
        assert log[v1.id].ended_how is ConsentEnd.SUPERSEDED
        assert log[v1.id].opted_out_at == v2.agreed_at
        assert log[v2.id] == v2 and log[terms.id] == terms
        assert store.consents(account.id)[0].agreed_at >= v2.agreed_at
        by_customer = store.revoke_consent(account.id, v2.id, reason=REASON, by_customer=True)
        assert by_customer.ended_how is ConsentEnd.REVOKED_BY_CUSTOMER
        by_support = store.revoke_consent(account.id, terms.id, reason=REASON)
        assert by_support.ended_how is ConsentEnd.REVOKED_BY_SUPPORT
        assert by_support.reason == REASON and by_support.revoked_by
        log = {c.id: c for c in store.consents(account.id)}
        assert log[v2.id] == by_customer and log[terms.id] == by_support
        with pytest.raises(Conflict):
            store.revoke_consent(account.id, v1.id, reason=REASON)

    def test_consent_errors(self, store: Store) -> None:
        """Unknown accounts and consents are NotFound; consents are per account."""
        needs(store, "record_consent", "list_consents", "revoke_consent")
        account = self._one(store)
        other = self._one(store, "kit.other")
        assert account.id and other.id
        with pytest.raises(NotFound):
            store.record_consent("no-such-account", purpose="terms", version="1")
        with pytest.raises(NotFound):
            store.consents("no-such-account")
        made = store.record_consent(account.id, purpose="terms", version="1")
        assert store.consents(other.id) == []
        with pytest.raises(NotFound):
            store.revoke_consent(other.id, made.id, reason=REASON)
        with pytest.raises(NotFound):
            store.revoke_consent(account.id, "no-such-consent", reason=REASON)
