"""The sorting checks: code-point order of lowered strings, instants in time, missing last."""

from __future__ import annotations

import pytest

from idconnect import FilterError, InvalidInput, NotSupported
from idconnect.core.filter import sort_key, values_at
from idconnect.testing.suite.base import BaseSuite, SeededStore

__all__ = ["SortingSuite"]


class SortingSuite(BaseSuite):
    """sortBy/sortOrder: code-point order of lowered strings, instants, missing values last."""

    @pytest.mark.parametrize("path", ["userName", "meta.created", "name.familyName", "displayName"])
    @pytest.mark.parametrize("descending", [False, True])
    def test_sorted(self, seeded: SeededStore, path: str, descending: bool) -> None:
        """Sorted results follow the core's ordering, missing values last, across pages."""
        store = seeded.store
        definition = seeded.catalogue.get(path)
        if definition is None:
            with pytest.raises(FilterError):
                store.search_accounts(sort_by=path)
            return
        try:
            got = list(store.iter_accounts(sort_by=path, descending=descending, page_size=5))
        except NotSupported as exc:
            pytest.skip(f"store {store.name} cannot sort by {path}: {exc}")
        keys = [sort_key((values_at(a, path) or [None])[0], definition.case_exact)[:2] for a in got]
        present = [k for k in keys if k[0] == 0]
        missing = [k for k in keys if k[0] == 1]
        assert keys == present + missing, "missing values must come last"
        values = [k[1] for k in present]
        assert values == sorted(values, reverse=descending)
        assert len(got) == len({a.id for a in got}), "an account came twice across pages"
        assert {a.id for a in got} == set(seeded.ids)

    def test_sort_by_multi_valued_attribute_is_refused(self, seeded: SeededStore) -> None:
        """Sorting by a multi-valued attribute is InvalidInput."""
        with pytest.raises(InvalidInput):
            seeded.store.search_accounts(sort_by="emails.value")
