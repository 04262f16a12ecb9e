"""The groups family: groups and memberships, single and bulk."""

from __future__ import annotations

import pytest

from idconnect import NotFound, Store
from idconnect.testing.dataset import DATASET
from idconnect.testing.suite.base import REASON, BaseSuite, SeededStore, needs

__all__ = ["GroupSuite"]


class GroupSuite(BaseSuite):
    """Groups and memberships, single and bulk."""

    def test_memberships_read_back(self, seeded: SeededStore) -> None:
        """Group members read back on the group and on each account."""
        store = seeded.store
        needs(store, "create_group", "add_group_member")
        for name, group_id in seeded.groups.items():
            expected = {seeded.by_name[s.account.user_name] for s in DATASET if name in s.groups}
            if "get_group" in store.capabilities:
                assert set(store.get_group(group_id).members) == expected
            for account_id, account in seeded.accounts.items():
                in_group = any(g.value == group_id for g in account.groups)
                assert in_group == (account_id in expected), f"{name} membership of {account_id}"

    def test_search_groups(self, seeded: SeededStore) -> None:
        """Group search filters by display name, ignoring case."""
        store = seeded.store
        needs(store, "search_groups")
        names = [g.display_name for g in store.iter_groups('displayName sw "ADM"')]
        assert names == (["admins"] if seeded.groups else [])

    def test_add_and_remove_members(self, store: Store) -> None:
        """Members are added and removed per account; an unknown account or group fails alone."""
        needs(store, "create_group", "add_group_member", "remove_group_member")
        group = store.create_group({"displayName": "kit-group"}, reason=REASON)
        ids = [self._one(store, f"member.{n}").id or "" for n in range(3)]
        assert group.id
        added = store.add_to_group(group.id, [*ids, "missing"], reason=REASON)
        assert [o.ok for o in added.outcomes] == [True, True, True, False]
        assert {g.value for g in store.get_account(ids[0]).groups} == {group.id}
        removed = store.remove_from_group(group.id, ids[:2], reason=REASON)
        assert removed.ok
        assert store.get_account(ids[0]).groups == ()
        assert [g.value for g in store.get_account(ids[2]).groups] == [group.id]
        unknown = store.add_to_group("no-such-group", ids[:1], reason=REASON)
        assert not unknown.ok and isinstance(unknown.failed[0].error, NotFound)

    def test_delete_group_ends_its_memberships(self, store: Store) -> None:
        """A deleted group is NotFound and gone from its members' accounts."""
        needs(store, "create_group", "add_group_member", "delete_group")
        group = store.create_group({"displayName": "kit-doomed"}, reason=REASON)
        member = self._one(store, "member.left").id or ""
        assert group.id
        assert store.add_to_group(group.id, [member], reason=REASON).ok
        store.delete_group(group.id, reason=REASON)
        with pytest.raises(NotFound):
            store.get_group(group.id)
        assert store.get_account(member).groups == ()
