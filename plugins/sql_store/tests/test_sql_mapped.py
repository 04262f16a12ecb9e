from __future__ import annotations

import re
import sqlite3
import tomllib
from pathlib import Path

import pytest
from idconnect_sql.passwords import verify_password

import idconnect
from idconnect import NotSupported
from idconnect.core.filter import bind, evaluate, parse

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _block(kind: str, containing: str) -> str:
    return next(b for b in re.findall(rf"```{kind}\n(.*?)```", README, re.S) if containing in b)


@pytest.fixture
def django(tmp_path, monkeypatch):
    db = tmp_path / "django.db"
    connection = sqlite3.connect(db)
    connection.executescript(_block("sql", "auth_user"))
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
    config = tomllib.loads(_block("toml", "[stores.django.mapping]"))
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
    assert encoded.startswith("pbkdf2_sha256$600000$")
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
