"""Hub providers answer only the operations a store's backend lacks (DESIGN §11)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

import idconnect
from idconnect import hookimpl


class OnlyReads:
    """A backend that reads accounts and nothing else."""

    def __init__(self, config: Any) -> None:
        self.calls: list[str] = []

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> idconnect.Account:
        self.calls.append(f"get_account {account_id}")
        return idconnect.Account(id=account_id, user_name="from-the-backend")


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"reads": OnlyReads}


class HubRecords:
    """What a hub keeps for stores that cannot: here, sessions (and a get it must never answer)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @hookimpl
    def idconnect_list_sessions(self, context: Any, account_id: str) -> list[idconnect.Session]:
        self.calls.append((context.store, account_id))
        seen = datetime(2026, 1, 2, tzinfo=UTC)
        return [idconnect.Session(id="s1", created=seen, last_seen=seen)]

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> idconnect.Account:
        raise AssertionError("a provider is never asked for what the backend answers")


@pytest.fixture
def hub_and_records() -> Iterator[tuple[idconnect.Hub, HubRecords]]:
    records = HubRecords()
    config = {
        "hub": {"state": "sqlite://"},
        "stores": {"dir": {"plugin": "reads"}, "mem": {"plugin": "memory"}},
    }
    with idconnect.connect(config, plugins=[Types()], providers=[records]) as hub:
        yield hub, records


def test_a_provider_adds_the_operation_the_backend_lacks(
    hub_and_records: tuple[idconnect.Hub, HubRecords],
) -> None:
    hub, records = hub_and_records
    store = hub.store("dir")
    assert "list_sessions" in store.capabilities
    assert [s.id for s in store.list_sessions("a1")] == ["s1"]
    assert records.calls == [("dir", "a1")]


def test_the_backend_answers_what_it_implements(
    hub_and_records: tuple[idconnect.Hub, HubRecords],
) -> None:
    hub, _ = hub_and_records
    assert hub.store("dir").get_account("a1").user_name == "from-the-backend"
    assert hub.store("dir").backend.calls == ["get_account a1"]


def test_a_store_whose_backend_has_the_operation_never_reaches_the_provider(
    hub_and_records: tuple[idconnect.Hub, HubRecords],
) -> None:
    hub, records = hub_and_records
    mem = hub.store("mem")
    created = mem.create_account({"userName": "ann"})
    assert created.id is not None
    assert mem.list_sessions(created.id) == []
    assert records.calls == []


def test_what_neither_has_stays_not_supported(
    hub_and_records: tuple[idconnect.Hub, HubRecords],
) -> None:
    hub, _ = hub_and_records
    with pytest.raises(idconnect.NotSupported, match="revoke sessions"):
        hub.store("dir").revoke_sessions("a1", reason="ticket 1")
