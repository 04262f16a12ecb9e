"""The paging checks: no duplicates, no gaps, honest totals, resumable cursors tied to a query."""

from __future__ import annotations

import pytest

from idconnect import InvalidInput, NotSupported, Store
from idconnect.core.filter import bind, parse
from idconnect.testing.suite.base import BaseSuite, SeededStore

__all__ = ["PagingSuite"]


class PagingSuite(BaseSuite):
    """Cursors: no duplicates, no gaps, honest totals, resumable, tied to their query."""

    def test_walk_every_page(self, seeded: SeededStore) -> None:
        """Walking every page gives each account once, with an honest total."""
        store = seeded.store
        seen: list[str] = []
        page = store.search_accounts(count=4, include_total=True)
        if page.total is not None:
            assert page.total == len(seeded.ids), "total must count every result, not the page"
        while True:
            assert len(page.items) <= 4
            seen.extend(a.id for a in page.items if a.id)
            if page.next_cursor is None:
                break
            page = store.search_accounts(count=4, cursor=page.next_cursor)
        assert len(seen) == len(set(seen)), "an account came twice"
        assert set(seen) == set(seeded.ids), "an account was skipped"

    def test_total_of_a_filtered_first_page(self, seeded: SeededStore) -> None:
        """A total counts the filter's matches, whether or not they all fit the first page."""
        store = seeded.store
        text = "active eq true"
        expected = len(seeded.expected(bind(parse(text), seeded.catalogue)))
        assert expected > 1, "the dataset must hold several active accounts"
        for count in (expected + 5, expected, expected - 1):
            page = store.search_accounts(text, count=count, include_total=True)
            if page.total is not None:
                assert page.total == expected, f"total with count={count}"
            assert len(page.items) == min(count, expected)

    def test_walk_filtered_sorted_pages(self, seeded: SeededStore) -> None:
        """Walking filtered, sorted pages gives each match once."""
        store = seeded.store
        text = "active eq true"
        try:
            expected = seeded.expected(bind(parse(text), seeded.catalogue))
            got = [a.id for a in store.iter_accounts(text, sort_by="userName", page_size=3)]
        except NotSupported:
            got = [a.id for a in store.iter_accounts(text, page_size=3)]
        assert len(got) == len(set(got))
        assert set(got) == expected

    def test_cursor_of_another_query_is_refused(self, seeded: SeededStore) -> None:
        """A cursor is refused for another query."""
        page = seeded.store.search_accounts('userName sw "user"', count=2)
        assert page.next_cursor is not None
        with pytest.raises(InvalidInput):
            seeded.store.search_accounts('userName sw "b"', count=2, cursor=page.next_cursor)

    def test_garbage_cursor_is_refused(self, seeded: SeededStore) -> None:
        """A malformed cursor is InvalidInput."""
        with pytest.raises(InvalidInput):
            seeded.store.search_accounts(count=2, cursor="not-a-cursor!!")

    def test_cursor_survives_inserts(self, store: Store) -> None:
        """Accounts created while paging cause no duplicates and no gaps."""
        ids = {self._one(store, f"page.{n:02d}").id for n in range(7)}
        first = store.search_accounts(count=3)
        for n in range(3):
            self._one(store, f"late.{n:02d}")
        seen = [a.id for a in first.items]
        cursor = first.next_cursor
        while cursor:
            page = store.search_accounts(count=3, cursor=cursor)
            seen.extend(a.id for a in page.items)
            cursor = page.next_cursor
        assert len(seen) == len(set(seen))
        assert ids <= set(seen)
