"""explain and the scan guard on SQLite, PostgreSQL and MariaDB: statements, plans, threshold."""

from __future__ import annotations

import re

import pytest

import idconnect
from idconnect import ConfigError, UnsupportedFilter

REASON = "explain test"
HOSTILE = "x'; DROP TABLE idc_accounts; --"


@pytest.fixture
def store(namespaces, open_hub):
    made = open_hub({**namespaces.fresh(), "scan_threshold": 3}).store("s")
    for n in range(3):
        made.create_account({"userName": f"exp{n}", "displayName": f"Explained {n}"}, reason=REASON)
    return made


def test_an_indexed_search_names_its_index_and_binds_its_values(store) -> None:
    explanation = store.explain(f'userName eq "{HOSTILE}"')
    assert explanation.backend == f"sql ({store.backend.dialect})"
    assert ":idc_f0" in explanation.native and "idc_f0" in explanation.parameters
    assert HOSTILE.lower() not in explanation.native.lower()
    assert "DROP" not in explanation.native
    assert explanation.natively == (f'userName eq "{HOSTILE}"',)
    assert explanation.rechecked == ()
    assert explanation.plan
    if store.backend.dialect not in ("mariadb", "mysql"):  # it may read a tiny table whole
        assert explanation.full_scan is False
        (index,) = [i for i in explanation.indexes if "user_name_ci" in i]
        assert index in str(explanation)
    assert f"sends: {explanation.native}" in str(explanation)
    assert "DROP" not in "".join(explanation.plan)  # the plan names conditions, no values


def test_an_unfiltered_listing_is_explained_with_the_limit_it_sends(store) -> None:
    listing = store.explain(None, sort_by="userName")
    assert re.search(r"\bLIMIT 2\b", listing.native) and "idc_limit" not in listing.parameters
    assert listing.plan
    assert f"sends: {listing.native}" in str(listing)
    filtered = store.explain('userName eq "exp1"', sort_by="userName")
    assert "LIMIT :idc_limit" in filtered.native and "idc_limit" in filtered.parameters


def test_a_substring_search_on_a_plain_column_is_a_full_scan(store) -> None:
    if store.backend.dialect in ("mariadb", "mysql"):
        pytest.skip("MariaDB's EXPLAIN shows a range over IS NOT NULL as an index read")
    explanation = store.explain('displayName co "plain"')
    assert explanation.full_scan is True
    cause = explanation.scan_cause or ""
    assert "idc_accounts" in cause
    if store.backend.dialect == "sqlite":
        assert cause.startswith("SQLite plan: SCAN idc_accounts")
    assert "full scan: yes" in str(explanation)


def test_the_scan_guard_refuses_above_the_threshold_only(store) -> None:
    if store.backend.dialect in ("mariadb", "mysql"):
        pytest.skip("MariaDB's EXPLAIN shows a range over IS NOT NULL as an index read")
    assert len(store.search_accounts('displayName co "plain"').items) == 3
    store.create_account({"userName": "exp3", "displayName": "Explained 3"}, reason=REASON)
    with pytest.raises(UnsupportedFilter, match="scan_threshold") as refused:
        store.search_accounts('displayName co "plain"')
    assert refused.value.store == "s"
    assert len(store.search_accounts('displayName co "plain"', allow_scan=True).items) == 4
    assert len(list(store.iter_accounts('displayName co "plain"', allow_scan=True))) == 4
    assert len(store.search_accounts('userName eq "exp3"').items) == 1
    assert len(store.search_accounts().items) == 4  # a listing is never refused


@pytest.mark.parametrize("value", [-1, 1_000_000_001, "100", True])
def test_scan_threshold_is_validated(tmp_path, value) -> None:
    store = {"plugin": "sql", "url": f"sqlite:///{tmp_path / 's.db'}", "scan_threshold": value}
    with pytest.raises(ConfigError, match="scan_threshold"):
        idconnect.connect({"hub": {"state": "sqlite://"}, "stores": {"s": store}})
