"""The credentials family: authenticators, passwords and failed attempts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from idconnect import AuthenticatorKind, NotFound, Store
from idconnect.testing.suite.base import REASON, BaseSuite, needs

__all__ = ["AuthenticatorSuite"]


class AuthenticatorSuite(BaseSuite):
    """Authenticators, passwords and failed attempts."""

    def test_add_list_remove(self, store: Store) -> None:
        """An added authenticator is listed, masked, then removed; removing it again is NotFound."""
        needs(store, "add_authenticator", "list_authenticators", "remove_authenticator")
        account = self._one(store)
        assert account.id
        added = store.add_authenticator(
            account.id, "phone", "+447700900123", verified=True, reason=REASON
        )
        assert added.kind is AuthenticatorKind.PHONE
        assert added.label and "+447700900123" not in added.label
        listed = store.list_authenticators(account.id)
        assert added.id in {m.id for m in listed}
        store.remove_authenticator(account.id, added.id, reason=REASON)
        assert added.id not in {m.id for m in store.list_authenticators(account.id)}
        with pytest.raises(NotFound):
            store.remove_authenticator(account.id, added.id, reason=REASON)

    def test_set_password_leaves_no_trace(self, store: Store) -> None:
        """Setting a password is audited as a password change and the secret shows nowhere."""
        needs(store, "set_password")
        account = self._one(store)
        assert account.id
        secret = "Tr0ub4dor&3-kit"
        store.set_password(account.id, secret, reason=REASON)
        events = store.events(account.id, action="set_password")
        assert events and events[-1].changed == ("password",)
        assert secret not in repr(events) + repr(store.get_account(account.id))
        with pytest.raises(NotFound) as info:
            store.set_password("no-such-id", secret, reason=REASON)
        assert secret not in str(info.value)

    def test_reset_failed_attempts(
        self,
        store: Store,
        seed_failed_attempts: Callable[[Store, str, int, int], None] | None,
    ) -> None:
        """Resetting failed attempts sets both counters to zero."""
        needs(store, "reset_failed_attempts")
        account = self._one(store)
        assert account.id
        if seed_failed_attempts is not None:
            seed_failed_attempts(store, account.id, 3, 2)
            counts = store.get_account(account.id).failed_attempts
            assert (counts.password, counts.otp) != (0, 0)
        store.reset_failed_attempts(account.id, reason=REASON)
        counts = store.get_account(account.id).failed_attempts
        assert (counts.password, counts.otp) == (0, 0)
