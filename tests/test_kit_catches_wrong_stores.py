"""The kit must fail stores that get the semantics wrong; otherwise passing it proves nothing."""

from __future__ import annotations

import pytest

BROKEN_STORES = '''
from collections.abc import Callable

import pytest
from attrs import evolve

import idconnect
from idconnect import hookimpl
from idconnect.core.filter import And, CompareOp, Comparison, Filter, Not, Or, Present, ValuePath
from idconnect.core.query import Page, Query
from idconnect.testing.memory_store import MemoryStore
from idconnect.testing.suite import FilterSuite, GroupSuite, PagingSuite


def _ne_needs_presence(node: Filter) -> Filter:
    if isinstance(node, Comparison) and node.op is CompareOp.NE:
        return And(Present(node.path), node)
    if isinstance(node, And | Or):
        return type(node)(_ne_needs_presence(node.left), _ne_needs_presence(node.right))
    if isinstance(node, Not):
        return Not(_ne_needs_presence(node.operand))
    if isinstance(node, ValuePath):
        return ValuePath(node.path, _ne_needs_presence(node.filter))
    return node


class NeDropsMissing(MemoryStore):
    """Wrong: `ne` does not match accounts that lack the attribute."""

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page:
        if query.filter is not None:
            query = evolve(query, filter=_ne_needs_presence(query.filter))
        return super().idconnect_search_accounts(query)


class RepeatsAnItem(MemoryStore):
    """Wrong: every page after the first starts with the last item of the page before."""

    def __init__(self, config):
        super().__init__(config)
        self._last = {}

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page:
        page = super().idconnect_search_accounts(query)
        items = page.items
        if query.cursor is not None and query.cursor in self._last:
            items = (self._last[query.cursor], *items)
        if page.next_cursor is not None and page.items:
            self._last[page.next_cursor] = page.items[-1]
        return Page(items=items, next_cursor=page.next_cursor, total=page.total)


class RenameMakesANewGroup(MemoryStore):
    """Wrong: a rename deletes the group and adds one (a new id, the members gone)."""

    @hookimpl
    def idconnect_rename_group(self, group_id, display_name):
        old = self.idconnect_get_group(group_id)
        self.idconnect_delete_group(group_id)
        return self.idconnect_create_group(evolve(old, display_name=display_name, members=()))


class RenameIgnoresTakenNames(MemoryStore):
    """Wrong: create refuses a name another group has, rename takes it."""

    @hookimpl
    def idconnect_rename_group(self, group_id, display_name):
        with self._lock:
            group = evolve(self._group(group_id), display_name=display_name)
            self._groups[group_id] = group
            return group


class Types:
    @hookimpl
    def idconnect_store_types(self):
        return {
            "ne-drops-missing": NeDropsMissing,
            "repeats-an-item": RepeatsAnItem,
            "rename-makes-a-new-group": RenameMakesANewGroup,
            "rename-ignores-taken-names": RenameIgnoresTakenNames,
        }


def _factory(kind: str) -> Callable[[], idconnect.Store]:
    def make() -> idconnect.Store:
        config = {"hub": {"state": "sqlite://"}, "stores": {"s": {"plugin": kind}}}
        return idconnect.connect(config, plugins=[Types()]).store("s")

    return make


class TestNeDropsMissing(FilterSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return _factory("ne-drops-missing")


class TestRepeatsAnItem(PagingSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return _factory("repeats-an-item")


class TestRenameMakesANewGroup(GroupSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return _factory("rename-makes-a-new-group")


class TestRenameIgnoresTakenNames(GroupSuite):
    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls):
        return _factory("rename-ignores-taken-names")
'''


@pytest.fixture
def outcome(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makepyfile(test_broken=BROKEN_STORES)
    return pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--tb=line")


def test_kit_fails_a_store_whose_ne_drops_missing_attributes(outcome: pytest.RunResult) -> None:
    failed = [line for line in outcome.outlines if line.startswith("FAILED")]
    ne_failures = [line for line in failed if "TestNeDropsMissing" in line]
    assert any("organization ne" in line for line in ne_failures), outcome.stdout.str()
    assert any("test_generated_filters" in line for line in ne_failures)
    assert not any("userName eq" in line for line in ne_failures), "eq filters are not broken"


def test_kit_fails_a_store_whose_paging_repeats_an_item(outcome: pytest.RunResult) -> None:
    failed = [line for line in outcome.outlines if line.startswith("FAILED")]
    paging = [line for line in failed if "TestRepeatsAnItem" in line]
    assert any("test_walk_every_page" in line for line in paging), outcome.stdout.str()
    assert not any("garbage_cursor" in line for line in paging), "cursor checks are not broken"


def test_kit_fails_a_store_whose_rename_makes_a_new_group(outcome: pytest.RunResult) -> None:
    failed = [line for line in outcome.outlines if line.startswith("FAILED")]
    renamed = [line for line in failed if "TestRenameMakesANewGroup" in line]
    assert any("test_rename_group_reads_back" in line for line in renamed), outcome.stdout.str()
    assert not any("test_add_and_remove_members" in line for line in renamed)


def test_kit_fails_a_store_whose_rename_takes_a_taken_name(outcome: pytest.RunResult) -> None:
    failed = [line for line in outcome.outlines if line.startswith("FAILED")]
    taken = [line for line in failed if "TestRenameIgnoresTakenNames" in line]
    assert any("test_rename_group_refuses_a_taken_or_bad_name" in line for line in taken), (
        outcome.stdout.str()
    )
    assert not any("test_rename_group_reads_back" in line for line in taken)
