from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from idconnect_sql.demo import seed_demo
from idconnect_sql.demo_data import transliterate

import idconnect
from idconnect import InvalidInput, NotSupported
from idconnect.backend import format_instant, parse, utc_now


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


# -- the demo as the README shows it -------------------------------------------------------------

ROOT_README = Path(__file__).resolve().parents[3] / "README.md"


def readme_filters() -> list[str]:
    """The filters of the root README's Filters section (its first ``text`` block), one a line."""
    text = ROOT_README.read_text(encoding="utf-8")
    section = text.split("\n## Filters\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block is not None, "README.md's Filters section has no text block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_filters_section_is_read():
    filters = readme_filters()
    assert len(filters) >= 3
    assert 'groups.display eq "beta testers"' in filters
    assert all(parse(f) is not None for f in filters)


def _demo_hub(home: Path, *args: str) -> idconnect.Hub:
    """Run ``idconnect demo`` in an empty IDCONNECT_HOME; open its embedded store."""
    command = Path(sys.executable).with_name("idconnect")
    result = subprocess.run(
        [str(command), "demo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=home,
        env={**os.environ, "IDCONNECT_HOME": str(home), "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stderr
    assert "Seeded store 'default'" in result.stdout
    return idconnect.connect(
        {
            "hub": {"state": f"sqlite:///{home / 'idconnect-state.db'}"},
            "stores": {"default": {"plugin": "sql", "url": f"sqlite:///{home / 'idconnect.db'}"}},
        }
    )


@pytest.mark.parametrize("args", [(), ("--accounts", "2")], ids=["default", "two-accounts"])
def test_every_readme_filter_matches_a_demo_account(tmp_path, args):
    hub = _demo_hub(tmp_path, *args)
    try:
        store = hub.store("default")
        empty = [f for f in readme_filters() if not store.search_accounts(f, count=1).items]
        assert empty == [], f"README filters matching no demo account: {empty}"
    finally:
        hub.close()


def test_the_demo_tour_shows_acme_and_the_beta_testers(tmp_path):
    command = Path(sys.executable).with_name("idconnect")
    result = subprocess.run(
        [str(command), "demo", "--accounts", "50"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "IDCONNECT_HOME": str(tmp_path), "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert 'organization eq "Acme"' in result.stdout
    assert "'beta testers'" in result.stdout


def test_demo_dates_are_relative_to_the_seeding_time(make_sql_store):
    now = utc_now()
    store = make_sql_store()
    seed_demo(store, count=400, seed=3)
    after = utc_now()
    accounts = list(store.iter_accounts())
    assert max(a.created for a in accounts) <= after
    assert min(a.created for a in accounts) >= now - timedelta(days=5 * 365 + 1)
    logins = [a.last_login for a in accounts if a.last_login is not None]
    assert max(logins) <= after
    assert sum(login >= now - timedelta(days=90) for login in logins) > len(logins) / 2
    week = format_instant(now - timedelta(days=7))
    recent = store.search_accounts(f'lastLogin gt "{week}"', count=50).items
    assert recent, "no demo account logged in in the last week"
    live = [
        s
        for a in recent
        for s in store.list_sessions(a.id)
        if s.expires is not None and s.expires > after
    ]
    assert live, "every demo session has expired"
    for account in accounts[:100]:
        assert account.disabled_at is None or account.disabled_at >= account.created
        for used in (a.last_used for a in store.list_authenticators(account.id)):
            assert used is None or account.created <= used <= after


def test_demo_dates_follow_the_now_given(make_sql_store):
    then = datetime(2021, 3, 1, 9, 30, tzinfo=UTC)
    store = make_sql_store()
    seed_demo(store, count=300, seed=3, now=then)
    accounts = list(store.iter_accounts())
    assert max(a.created for a in accounts) <= then
    logins = [a.last_login for a in accounts if a.last_login is not None]
    assert max(logins) <= then
    assert sum(login >= then - timedelta(days=90) for login in logins) > len(logins) / 2
    with pytest.raises(InvalidInput, match="aware datetime"):
        seed_demo(make_sql_store(), count=1, now=datetime(2021, 3, 1))


def test_demo_user_names_spell_every_letter(make_sql_store):
    store = make_sql_store()
    seed_demo(store, count=600, seed=11)
    accounts = list(store.iter_accounts())
    assert all(re.fullmatch(r"[a-z0-9.]+", a.user_name) for a in accounts)
    spelled = {"Øyvind": "oyvind.", "Søren": "soren.", "Łukasz": "lukasz.", "Zoë": "zoe."}
    for given, prefix in spelled.items():
        named = [a for a in accounts if a.name.given_name == given]
        assert named, given
        assert all(a.user_name.startswith(prefix) for a in named), given
    turkish = [a for a in accounts if a.name.family_name == "Yılmaz"]  # noqa: RUF001
    assert turkish and all(".yilmaz." in a.user_name for a in turkish)
    assert all(
        e.value.split("@")[0].replace(".", "").isalnum() and e.value.isascii()
        for a in accounts
        for e in a.emails
    )


@pytest.mark.parametrize(
    ("name", "spelled"),
    [
        ("Øyvind", "oyvind"),
        ("Søren", "soren"),
        ("Łukasz", "lukasz"),
        ("Strauß", "strauss"),
        ("Dvořák", "dvorak"),
        ("Nguyễn", "nguyen"),
        ("O'Brien", "obrien"),
        ("Ægir", "aegir"),
        ("Þóra", "thora"),
    ],
)
def test_transliterate_keeps_every_letter(name, spelled):
    assert transliterate(name) == spelled
