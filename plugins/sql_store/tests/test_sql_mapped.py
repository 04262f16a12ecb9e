from __future__ import annotations

import sqlite3
import tomllib
from datetime import timedelta

import pytest
from idconnect_sql.passwords import verify_password

import idconnect
from idconnect import NotSupported
from idconnect.backend import bind, evaluate, format_instant, parse, utc_now


@pytest.fixture
def django(tmp_path, monkeypatch, readme):
    db = tmp_path / "django.db"
    connection = sqlite3.connect(db)
    connection.executescript(readme("sql", "-- SQLite\n"))
    rows = [
        (
            "!x",
            "2024-05-01 10:00:00",
            0,
            "bjensen",
            "Jensen",
            "bjensen@example.org",
            0,
            1,
            "2020-01-01 00:00:00",
            "Barbara",
        ),
        ("!x", None, 0, "Zoë", "Müller", "", 0, 0, "2021-06-01 12:30:00.250000", "Zoë"),
        ("!x", None, 0, "o'malley", "", "OM@Example.ORG", 0, 1, "2022-02-02 00:00:00", ""),
    ]
    connection.executemany(
        "INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, email,"
        " is_staff, is_active, date_joined, first_name) VALUES (?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    connection.execute("INSERT INTO auth_group (name) VALUES ('Support')")
    connection.execute("INSERT INTO auth_user_groups (user_id, group_id) VALUES (1, 1)")
    connection.commit()
    connection.close()
    monkeypatch.setenv("DJANGO_DB_URL", f"sqlite:///{db}")
    config = tomllib.loads(readme("toml", "[stores.django.mapping]"))
    config["hub"] = {"state": f"sqlite:///{tmp_path / 'state.db'}"}
    hub = idconnect.connect(config)
    yield hub.store("django"), db
    hub.close()


def test_reads_django_users(django):
    store, _ = django
    page = store.search_accounts(include_total=True)
    assert page.total == 3
    barbara = store.get_account("1")
    assert barbara.user_name == "bjensen"
    assert barbara.name.given_name == "Barbara"
    assert [e.value for e in barbara.emails] == ["bjensen@example.org"]
    assert barbara.active and barbara.last_login.isoformat() == "2024-05-01T10:00:00+00:00"
    assert [(g.value, g.display) for g in barbara.groups] == [("1", "Support")]
    zoe = store.get_account("2")
    assert zoe.emails == () and zoe.active is False
    assert "list_sessions" not in store.capabilities
    with pytest.raises(NotSupported):
        store.list_sessions("1")
    assert "phoneNumbers.value" not in store.catalogue


@pytest.mark.parametrize(
    "text",
    [
        'emails.value ew "@example.org" and active eq true',
        'emails.value eq "om@example.org"',
        "not (emails pr)",
        'userName eq "ZOË"',
        'name.familyName ne "jensen"',
        "name.familyName pr",
        'meta.created gt "2021-06-01T12:30:00.1Z"',
        'groups.display eq "support"',
        'userName co "\'"',
        "active eq false",
        'meta.created eq "2020-01-01T00:00:00Z"',
        'meta.created le "2020-01-01T00:00:00Z"',
        'meta.created lt "2021-06-01T12:30:00.250001Z"',
        'meta.created ge "2021-06-01T12:30:00.25Z"',
    ],
)
def test_filters_agree_with_evaluator(django, text):
    store, _ = django
    accounts = [store.get_account(i) for i in ("1", "2", "3")]
    bound = bind(parse(text), store.catalogue)
    want = sorted(a.id for a in accounts if evaluate(bound, a, store.catalogue))
    assert sorted(a.id for a in store.search_accounts(text).items) == want


def test_writes_and_password_scheme(django):
    store, db = django
    created = store.create_account({"userName": "newbie", "emails": [{"value": "n@example.com"}]})
    assert store.get_account(created.id).emails[0].value == "n@example.com"
    store.set_password(created.id, "correct horse", reason="reset")
    encoded = (
        sqlite3.connect(db)
        .execute("SELECT password FROM auth_user WHERE id = ?", (int(created.id),))
        .fetchone()[0]
    )
    assert encoded.startswith("pbkdf2_sha256$1000000$")  # Django 5.2's count (was 600000)
    assert verify_password(encoded, "correct horse")
    current = store.get_account("1")
    updated = store.update_account(
        "1", {"name.givenName": "Babs"}, expected_version=current.version
    )
    assert updated.name.given_name == "Babs"
    with pytest.raises(idconnect.Conflict):
        store.update_account("1", {"name.givenName": "B"}, expected_version=current.version)
    assert store.disable_accounts(["1", "999"], reason="r").succeeded == ("1",)
    assert store.get_account("1").active is False
    store.remove_from_group("1", ["1"], reason="r")
    assert store.get_group("1").members == ()
    store.delete_accounts(["1"], reason="r")
    with pytest.raises(idconnect.NotFound):
        store.get_account("1")


def test_paging_with_integer_ids(django):
    store, _ = django
    seen = [a.id for a in store.iter_accounts(page_size=1)]
    assert seen == ["1", "2", "3"]
    seen = [
        a.user_name for a in store.iter_accounts(sort_by="userName", descending=True, page_size=2)
    ]
    assert seen == ["Zoë", "o'malley", "bjensen"]


@pytest.fixture
def mapped(make_mapped_store):
    return make_mapped_store()


def test_instants_are_utc_whatever_the_session_time_zone(mapped):
    # On PostgreSQL the store's sessions run in Pacific/Chatham (see conftest): a naive value
    # written to a timestamptz column would be shifted by 12h45 or 13h45.
    before = utc_now()
    account = mapped.create_account({"userName": "tz.user"})
    after = utc_now()
    assert before - timedelta(seconds=1) <= account.created <= after + timedelta(seconds=1)
    assert account.created.utcoffset() == timedelta(0)
    stamp = format_instant(account.created)
    assert [a.id for a in mapped.search_accounts(f'meta.created eq "{stamp}"').items] == [
        account.id
    ]
    assert mapped.search_accounts(f'meta.created gt "{stamp}"').items == ()
