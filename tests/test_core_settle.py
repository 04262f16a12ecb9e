"""Indeterminate bulk outcomes: kept apart from failed ones, settled by re-reading the store.

The backend below is the in-memory store with a connection that "dies" after sending some
requests: it applies a change and then reports that no answer came back (or does not apply it),
which is what a real directory does when its connection drops mid-batch (the LDAP suite kills
slapd for the same situation).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

import idconnect
from idconnect import Outcome, OutcomeUnknown, StoreUnavailable, hookimpl
from idconnect.core.convert import to_json
from idconnect.testing.memory_store import MemoryStore


class DroppingStore(MemoryStore):
    """Applies every change, but loses the answers of the accounts named in ``lost``;
    ``unsent`` accounts get no change and no answer; ``unreadable`` ones cannot be read back."""

    lost: set[str] = set()
    unsent: set[str] = set()
    unreadable: set[str] = set()

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> idconnect.Account:
        if account_id in self.unreadable:
            raise StoreUnavailable("still down")
        return super().idconnect_get_account(account_id)

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, context: Any, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        sent = [i for i in account_ids if i not in self.unsent]
        super().idconnect_bulk_set_accounts_enabled(
            context=context, account_ids=sent, enabled=enabled
        )
        return [
            Outcome(account_id=i, error=OutcomeUnknown("connection lost", account=i))
            if i in self.lost or i in self.unsent
            else Outcome(account_id=i)
            for i in account_ids
        ]


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"dropping": DroppingStore}


@pytest.fixture
def store() -> Iterator[idconnect.Store]:
    config = {"hub": {"state": "sqlite://"}, "stores": {"s": {"plugin": "dropping"}}}
    with idconnect.connect(config, plugins=[Types()]) as hub:
        yield hub.store("s")


def _accounts(store: idconnect.Store, n: int) -> list[str]:
    return [store.create_account({"userName": f"u{i}"}).id or "" for i in range(n)]


def test_lost_answers_are_settled_to_what_the_store_holds(store: idconnect.Store) -> None:
    ids = _accounts(store, 4)
    backend: DroppingStore = store.backend  # type: ignore[assignment]
    backend.lost, backend.unsent, backend.unreadable = {ids[1]}, {ids[2]}, set()
    result = store.disable_accounts(ids, reason="ticket 9")
    assert [o.status for o in result.outcomes] == ["ok", "ok", "failed", "ok"]
    assert "unchanged" in str(result.outcomes[2].error)
    assert [store.get_account(i).active for i in ids] == [False, False, True, False]
    events = store.events(action="disable_account")
    last = {e.account_id: e.outcome for e in events}
    assert last == {ids[0]: "success", ids[1]: "success", ids[2]: "failure", ids[3]: "success"}
    assert len(events) == 6  # four from the batch, two settlements, under one request id
    assert len({e.request_id for e in events}) == 1


def test_an_account_that_cannot_be_read_back_stays_indeterminate(store: idconnect.Store) -> None:
    ids = _accounts(store, 2)
    backend: DroppingStore = store.backend  # type: ignore[assignment]
    backend.lost, backend.unsent, backend.unreadable = {ids[0]}, set(), {ids[0]}
    result = store.disable_accounts(ids, reason="ticket 9")
    assert [o.status for o in result.outcomes] == ["indeterminate", "ok"]
    assert result.indeterminate == (result.outcomes[0],)
    doc = to_json(result)
    assert (doc["succeeded"], doc["failed"], doc["indeterminate"]) == (1, 0, 1)
    assert doc["outcomes"][0]["error"]["status"] == "504"
    outcomes = {e.account_id: e.outcome for e in store.events(action="disable_account")}
    assert outcomes == {ids[0]: "indeterminate", ids[1]: "success"}
