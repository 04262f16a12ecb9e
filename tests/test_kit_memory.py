"""The in-memory store passes the whole conformance kit: the kit itself is proven here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

import idconnect
from idconnect.core.instants import utc_now
from idconnect.core.model import Session
from idconnect.testing.memory_store import MemoryStore
from idconnect.testing.suite import KIT_ATTRIBUTES, KIT_VERIFICATION, ConformanceSuite


def _backend(store: idconnect.Store) -> MemoryStore:
    assert isinstance(store.backend, MemoryStore)
    return store.backend


class TestMemoryStore(ConformanceSuite):
    expected_capabilities = frozenset(
        {
            "get_account",
            "search_accounts",
            "explain_search",
            "create_account",
            "update_account",
            "set_account_enabled",
            "bulk_set_accounts_enabled",
            "delete_account",
            "search_groups",
            "get_group",
            "create_group",
            "delete_group",
            "rename_group",
            "add_group_member",
            "remove_group_member",
            "list_roles",
            "assign_role",
            "unassign_role",
            "list_authenticators",
            "add_authenticator",
            "remove_authenticator",
            "set_password",
            "reset_failed_attempts",
            "list_sessions",
            "revoke_session",
            "revoke_sessions",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
            "list_activity",
            "record_activity",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls) -> Iterator[Callable[[], idconnect.Store]]:
        yield from _memory_stores({})

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls) -> Iterator[Callable[[], idconnect.Store]]:
        yield from _memory_stores({"attributes": KIT_ATTRIBUTES})

    @pytest.fixture
    def seed_sessions(self) -> Callable[[idconnect.Store, str], list[str]]:
        def seed(store: idconnect.Store, account_id: str) -> list[str]:
            now = utc_now()
            ids = ["s-1", "s-2"]
            for n, session_id in enumerate(ids):
                _backend(store).record_session(
                    account_id,
                    Session(
                        id=session_id,
                        created=now - timedelta(hours=n + 1),
                        last_seen=now - timedelta(minutes=n),
                        ip_address="192.0.2.1",
                        user_agent="Firefox",
                        location="Lisbon, PT",
                    ),
                )
            return ids

        return seed

    @pytest.fixture
    def seed_failed_attempts(self) -> Callable[[idconnect.Store, str, int, int], None]:
        def seed(store: idconnect.Store, account_id: str, password: int, otp: int) -> None:
            _backend(store).record_failed_attempts(account_id, password, otp)

        return seed


def _memory_stores(settings: dict[str, object]) -> Iterator[Callable[[], idconnect.Store]]:
    """A factory of fresh memory stores with these settings (their hubs closed at the end)."""
    hubs: list[idconnect.Hub] = []

    def factory() -> idconnect.Store:
        hub = idconnect.connect(
            {
                "hub": {"state": "sqlite://"},
                "stores": {"mem": {"plugin": "memory", **settings}},
                "verification": KIT_VERIFICATION,
            }
        )
        hubs.append(hub)
        return hub.store("mem")

    yield factory
    for hub in hubs:
        hub.close()
