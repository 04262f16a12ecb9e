"""The sessions family: list, revoke one, revoke all."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from idconnect import NotFound, Store
from idconnect.testing.suite.base import REASON, BaseSuite, needs

__all__ = ["SessionSuite"]


class SessionSuite(BaseSuite):
    """Sessions: list, revoke one, revoke all."""

    def test_sessions(
        self, store: Store, seed_sessions: Callable[[Store, str], list[str]] | None
    ) -> None:
        """Sessions are listed, revoked one by one and all at once."""
        needs(store, "list_sessions", "revoke_session", "revoke_sessions")
        account = self._one(store)
        assert account.id
        if seed_sessions is None:
            assert store.list_sessions(account.id) == []
            with pytest.raises(NotFound):
                store.revoke_session(account.id, "no-such-session", reason=REASON)
            return
        ids = seed_sessions(store, account.id)
        assert {s.id for s in store.list_sessions(account.id)} == set(ids)
        store.revoke_session(account.id, ids[0], reason=REASON)
        assert {s.id for s in store.list_sessions(account.id)} == set(ids[1:])
        assert store.revoke_sessions(account.id, reason=REASON) == len(ids) - 1
        assert store.list_sessions(account.id) == []
