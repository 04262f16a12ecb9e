from __future__ import annotations

import os
import subprocess
import sys

import pytest

import idconnect
from idconnect import StoreUnavailable
from idconnect.backend import USER_CATALOGUE, AttrPath, CompareOp, Comparison, bind, evaluate, parse

HOSTILE = (
    "o'malley",
    'say "hi"',
    "100%",
    "%",
    "_",
    "under_score",
    "a_c",
    "semi;--",
    "x' OR '1'='1",
    "back\\slash",
    "\\",
    "/",
    "//",
    "nul\x00byte",
    "\x00",
    "é",
    "ÉMILE",
    "ß",
    "a" * 200,
    "a" * 5000,
    "%_\\/",
    "trailing ",
    " ",
)


def test_embedded_default_in_a_fresh_home(tmp_path):
    env = {**os.environ, "IDCONNECT_HOME": str(tmp_path)}
    env.pop("IDCONNECT_CONFIG", None)
    code = "import idconnect; hub = idconnect.connect(); print(hub.store('default').capabilities)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "search_accounts" in done.stdout
    hub = idconnect.connect(
        {
            "hub": {"state": f"sqlite:///{tmp_path / 's.db'}"},
            "stores": {
                "default": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'idconnect.db'}"}
            },
        }
    )
    store = hub.store("default")
    store.create_account({"userName": "first"})
    with store.backend.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    hub.close()


def test_unreachable_server_names_store_and_host_not_password(tmp_path, monkeypatch):
    monkeypatch.setenv("IDC_TEST_PW", "hunter2-secret")
    hub = idconnect.connect(
        {
            "hub": {"state": f"sqlite:///{tmp_path / 's.db'}"},
            "stores": {
                "down": {
                    "plugin": "sql",
                    "url": "postgresql+psycopg://app@127.0.0.1:1/x",
                    "password_env": "IDC_TEST_PW",
                    "connect_timeout": 2,
                }
            },
        }
    )
    with pytest.raises(StoreUnavailable) as info:
        hub.store("down").get_account("a")
    text = str(info.value)
    assert "'down'" in text and "127.0.0.1" in text
    assert "hunter2" not in text and "hunter2" not in repr(info.value.details)
    cause = info.value.__cause__
    assert cause is not None  # chained, not leaked: the facade only raises idconnect errors
    hub.close()


def test_a_sqlite_file_in_a_missing_folder_is_reported_as_such(tmp_path):
    missing = tmp_path / "not" / "made"
    hub = idconnect.connect(
        {
            "hub": {"state": f"sqlite:///{tmp_path / 's.db'}"},
            "stores": {"default": {"plugin": "sql", "url": f"sqlite:///{missing / 'i.db'}"}},
        }
    )
    with pytest.raises(StoreUnavailable) as info:
        hub.store("default").get_account("a")
    assert f"cannot reach SQLite database {missing / 'i.db'}" in str(info.value)
    assert f"(its folder {missing} does not exist)" in str(info.value)
    missing.mkdir(parents=True)
    assert hub.store("default").search_accounts().items == ()  # the schema is made once it can be
    hub.close()


def test_literal_password_in_url_is_refused():
    with pytest.raises(idconnect.ConfigError):
        idconnect.connect({"stores": {"x": {"plugin": "sql", "url": "postgresql://u:pw@h/db"}}})


def test_missing_schema_is_created_on_sqlite_and_explained_elsewhere(namespaces, open_hub):
    if namespaces.dialect == "sqlite":
        store = open_hub(namespaces.fresh()).store("s")  # a file that does not exist yet
        assert store.search_accounts().items == ()
        return
    store = open_hub({"url": namespaces.url, "schema": "idc_never_created"}).store("s")
    with pytest.raises(StoreUnavailable, match="store init"):
        store.get_account("x")


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"])
def test_hostile_values_match_the_evaluator(make_sql_store, op):
    store = make_sql_store()
    ids = [
        store.create_account(
            {"userName": f"u{n}", "displayName": value, "emails": [{"value": f"{value}@x.org"}]}
        ).id
        for n, value in enumerate(
            v
            for v in HOSTILE
            if len(v) < 250 and ("\x00" not in v or store.backend.dialect != "postgresql")
        )
    ]
    ids.append(store.create_account({"userName": "plain"}).id)
    accounts = [store.get_account(i) for i in ids]
    for value in HOSTILE:
        for path in (AttrPath("displayName"), AttrPath("emails", "value")):
            tree = bind(Comparison(path, CompareOp(op), value), USER_CATALOGUE)
            want = sorted(a.id for a in accounts if evaluate(tree, a))
            got = sorted(a.id for a in store.iter_accounts(tree))
            assert got == want, (op, path, value[:20])
    assert store.search_accounts(parse('displayName eq "semi;--"')).items


def test_values_too_long_for_the_column_are_invalid_input(make_sql_store):
    store = make_sql_store()
    if store.backend.dialect == "sqlite":  # SQLite keeps any length: it must come back whole
        created = store.create_account({"userName": "long", "displayName": "a" * 5000})
        assert store.get_account(created.id).display_name == "a" * 5000
        return
    with pytest.raises(idconnect.InvalidInput) as info:
        store.create_account({"userName": "long", "displayName": "a" * 5000})
    assert "aaaa" not in str(info.value)
