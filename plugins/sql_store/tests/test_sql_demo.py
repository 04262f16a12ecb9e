from __future__ import annotations

import pytest
from idconnect_sql.demo import seed_demo

from idconnect import InvalidInput, NotSupported


def test_seed_demo_counts_and_reproducible(make_sql_store):
    store = make_sql_store()
    counts = seed_demo(store, count=2000, seed=7)
    assert counts["accounts"] == 2000
    assert counts["organizations"] == 20 and counts["groups"] == 8
    assert counts["emails"] > 2000  # some customers have two addresses
    for table in (
        "phones",
        "sessions",
        "authenticators",
        "role_assignments",
        "memberships",
        "external_identities",
    ):
        assert counts[table] > 0, table
    page = store.search_accounts("active eq false", include_total=True, count=1)
    assert 40 <= (page.total or 0) <= 160  # about 5 %
    assert page.items[0].disabled_at is not None
    assert store.search_accounts("emails[verified eq false]", count=1).items
    assert store.search_accounts('externalIdentities.provider eq "okta"', count=1).items
    assert store.search_accounts("failedAttempts.password gt 0", count=1).items
    non_ascii = store.search_accounts('name.familyName eq "NGUYỄN"', count=1).items
    assert non_ascii and non_ascii[0].name.family_name == "Nguyễn"
    sample = store.search_accounts("lastLogin pr", count=5).items
    assert sample and all(a.last_login is not None for a in sample)
    assert store.list_sessions(store.search_accounts(count=1000).items[0].id) is not None
    again = make_sql_store()
    assert seed_demo(again, count=2000, seed=7) == counts
    first = [(a.id, a.user_name, a.emails) for a in store.search_accounts(count=50).items]
    second = [(a.id, a.user_name, a.emails) for a in again.search_accounts(count=50).items]
    assert first == second


def test_seed_demo_10000_on_sqlite(tmp_path, open_hub):
    store = open_hub({"url": f"sqlite:///{tmp_path / 'demo.db'}"}).store("s")
    counts = seed_demo(store, count=10_000)
    assert counts["accounts"] == 10_000
    assert store.search_accounts(include_total=True, count=1).total == 10_000


def test_seed_demo_refuses_bad_count(make_sql_store):
    with pytest.raises(InvalidInput):
        seed_demo(make_sql_store(), count=-1)


def test_the_seed_demo_hook_seeds_an_empty_managed_store_natively(make_sql_store):
    store = make_sql_store()
    counts = store.seed_demo(25, 5)
    assert counts["accounts"] == 25
    assert len(list(store.iter_accounts())) == 25
    with pytest.raises(InvalidInput, match="already holds accounts"):
        store.seed_demo(25, 5)


def test_a_mapped_store_has_no_native_seeder(make_mapped_store):
    with pytest.raises(NotSupported):
        make_mapped_store().seed_demo(5, 1)
