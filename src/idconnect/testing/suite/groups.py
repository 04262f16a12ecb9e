"""The groups family: groups, renaming them, and memberships, single and bulk."""

from __future__ import annotations

import pytest

from idconnect import Conflict, InvalidInput, NotFound, Store
from idconnect.testing.dataset import DATASET
from idconnect.testing.suite.base import REASON, BaseSuite, SeededStore, has, needs

__all__ = ["GroupSuite"]


class GroupSuite(BaseSuite):
    """Groups, renaming them, and memberships, single and bulk."""

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

    def test_rename_group_reads_back(self, store: Store) -> None:
        """A renamed group keeps its id and members; reads, searches and accounts show the name."""
        needs(store, "create_group", "rename_group")
        group = store.create_group({"displayName": "kit-before"}, reason=REASON)
        assert group.id
        member = None
        if has(store, "add_group_member"):
            member = self._one(store, "member.renamed").id or ""
            assert store.add_to_group(group.id, [member], reason=REASON).ok
        renamed = store.rename_group(group.id, "kit-after", reason=REASON)
        assert (renamed.id, renamed.display_name) == (group.id, "kit-after")
        read = store.get_group(group.id)
        assert read.display_name == "kit-after"
        assert read.members == ((member,) if member else ())
        assert renamed.members == read.members
        if has(store, "search_groups"):
            assert [g.id for g in store.iter_groups('displayName eq "kit-after"')] == [group.id]
            assert list(store.iter_groups('displayName eq "kit-before"')) == []
        if member is not None:
            refs = store.get_account(member).groups
            assert [r.value for r in refs] == [group.id]
            assert refs[0].display in (None, "kit-after")
        again = store.rename_group(group.id, "kit-after", reason=REASON)
        assert (again.id, again.display_name) == (group.id, "kit-after")

    def test_rename_group_refuses_a_taken_or_bad_name(self, store: Store) -> None:
        """A name the store refuses on create is refused on rename; bad names before any I/O."""
        needs(store, "create_group", "rename_group")
        group = store.create_group({"displayName": "kit-mine"}, reason=REASON)
        store.create_group({"displayName": "kit-taken"}, reason=REASON)
        assert group.id
        try:
            store.create_group({"displayName": "kit-taken"}, reason=REASON)
            unique = False
        except Conflict:
            unique = True
        if unique:
            with pytest.raises(Conflict) as taken:
                store.rename_group(group.id, "kit-taken", reason=REASON)
            assert store.name in str(taken.value)
        for bad in ("", "   ", "a" * 256, "tab\there", "new\nline"):
            with pytest.raises(InvalidInput) as refused:
                store.rename_group(group.id, bad, reason=REASON)
            assert store.name in str(refused.value)
        assert store.get_group(group.id).display_name == "kit-mine"
        with pytest.raises(NotFound):
            store.rename_group("no-such-group", "kit-nowhere", reason=REASON)
