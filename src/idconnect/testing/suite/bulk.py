"""The bulk checks: a bulk action reports each account, and one bad id never stops the others."""

from __future__ import annotations

from typing import Any

import pytest

from idconnect import Conflict, InvalidInput, NotFound, Store
from idconnect.testing.suite.base import REASON, BaseSuite, needs

__all__ = ["BulkSuite"]


class BulkSuite(BaseSuite):
    """Bulk actions report each account; one bad id never stops the others."""

    def test_bulk_disable_reports_each_account(self, store: Store) -> None:
        """Bulk disable reports each account in order; an unknown id fails alone and is audited."""
        needs(store, "set_account_enabled")
        ids = [self._one(store, f"bulk.{n}").id or "" for n in range(5)]
        result = store.disable_accounts([*ids[:3], "no-such-id", *ids[3:]], reason=REASON)
        assert [o.account_id for o in result.outcomes] == [*ids[:3], "no-such-id", *ids[3:]]
        assert [o.ok for o in result.outcomes] == [True, True, True, False, True, True]
        assert isinstance(result.failed[0].error, NotFound)
        assert "no-such-id" in str(result.failed[0].error)
        assert all(not store.get_account(i).active for i in ids)
        failures = [e for e in store.events(action="disable_account") if e.outcome == "failure"]
        assert [e.account_id for e in failures] == ["no-such-id"]

    def test_bulk_delete_reports_each_account(self, store: Store) -> None:
        """Bulk delete reports each account; an unknown id does not stop the others."""
        needs(store, "delete_account")
        ids = [self._one(store, f"gone.{n}").id or "" for n in range(3)]
        result = store.delete_accounts(["missing-1", *ids], reason=REASON)
        assert [o.ok for o in result.outcomes] == [False, True, True, True]
        assert store.search_accounts().items == ()

    def test_bulk_create_reports_each_account(self, store: Store) -> None:
        """Bulk create reports each resource: created, Conflict, InvalidInput, each in its place."""
        taken = self._one(store, "taken.name")
        resources: list[Any] = [
            {"userName": "import.one"},
            {"userName": "TAKEN.name"},
            {"userName": "import.two", "emails": "not-a-list"},
            {"displayName": "no user name"},
            {"userName": "import.three"},
        ]
        result = store.create_accounts(resources, reason=REASON)
        assert [o.ok for o in result.outcomes] == [True, False, False, False, True]
        assert [o.account_id for o in result.outcomes[1:4]] == ["TAKEN.name", "import.two", "#3"]
        assert isinstance(result.outcomes[1].error, Conflict)
        assert isinstance(result.outcomes[2].error, InvalidInput)
        for outcome in (result.outcomes[0], result.outcomes[4]):
            assert outcome.account is not None and outcome.account.id == outcome.account_id
            assert store.get_account(outcome.account_id).user_name == outcome.account.user_name
        assert taken.id and store.get_account(taken.id).user_name == "taken.name"
        failures = [e for e in store.events(action="create_account") if e.outcome == "failure"]
        assert [e.target for e in failures] == ["TAKEN.name"]

    def test_bulk_needs_a_reason(self, store: Store) -> None:
        """A bulk action without a reason is InvalidInput."""
        with pytest.raises(InvalidInput):
            store.disable_accounts(["x"], reason="")
