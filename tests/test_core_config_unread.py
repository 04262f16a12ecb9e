"""Unknown store keys are found (what the backend never read), and secrets fail only their store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect.core.config import StoreConfig, load_config
from idconnect.core.plugins import make_root_manager, store_types


def test_read_keys_are_recorded_by_get_require_secret_and_declare() -> None:
    store = StoreConfig(
        name="s",
        plugin="memory",
        settings={
            "url": "x",
            "size": 3,
            "absent_default": 1,
            "password_env": "V",
            "later": True,
            "stray": 1,
        },
    )
    assert store.unread_keys() == (
        "absent_default",
        "later",
        "password_env",
        "size",
        "stray",
        "url",
    )
    store.require("url", str)
    store.get("size", int)
    store.get("never_set", int, 5)
    store.secret("password")
    store.declare("later")
    assert store.unread_keys() == ("absent_default", "stray")
    store.get("absent_default", int)
    assert store.unread_keys() == ("stray",)


def test_refuse_unread_names_file_store_and_key_and_suggests_a_spelling(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[stores.crm]\nplugin = "sql"\nurl = "sqlite://"\npool_sise = 3\n')
    store = load_config(path).stores["crm"]
    store.get("url", str)
    store.get("pool_size", int, 5)
    with pytest.raises(idconnect.ConfigError) as info:
        store.refuse_unread()
    text = str(info.value)
    assert str(path) in text and "store 'crm'" in text and "'pool_sise'" in text
    assert "did you mean 'pool_size'?" in text and "'sql' store" in text
    assert info.value.details["key"] == "pool_sise"
    store.declare("pool_sise")
    store.refuse_unread()


def hub_config(tmp_path: Path, stores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"}, "stores": stores}


def sql_store(tmp_path: Path) -> dict[str, Any]:
    return {
        "plugin": "sql",
        "url": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "pool_size": 2,
        "connect_timeout": 3.0,
        "batch_size": 100,
        "create_schema": True,
    }


LDAP_STORE: dict[str, Any] = {
    "plugin": "ldap",
    "url": "ldap://127.0.0.1:1",
    "bind_dn": "cn=admin,dc=example,dc=org",
    "bind_password_env": "IDC_TEST_UNSET_BIND_PASSWORD",
    "users_base": "ou=people,dc=example,dc=org",
    "users_scope": "one",
    "groups_base": "ou=groups,dc=example,dc=org",
    "groups_scope": "sub",
    "profile": "openldap",
    "pool_size": 2,
    "page_size": 100,
    "connect_timeout": 1.0,
    "receive_timeout": 1.0,
    "start_tls": False,
}


REST_STORE: dict[str, Any] = {
    "plugin": "rest",
    "url": "http://127.0.0.1:1/v2",
    "connect_timeout": 1.0,
    "read_timeout": 2.0,
    "retries": 1,
    "backoff": 0.1,
    "max_retry_delay": 1.0,
    "concurrency": 2,
    "discovery_ttl": 0,
    "memberships": "groups",
    "attribute_map": {"organization": "urn:example:organization"},
    "username": "idconnect",
    "password_env": "IDC_TEST_SCIM_PASSWORD",
}


def build(name: str, table: dict[str, Any]) -> StoreConfig:
    """Run the store type's factory on one store's table, as the hub does, and return its config."""
    config = load_config({"stores": {name: table}}).stores[name]
    backend = store_types(make_root_manager())[config.plugin](config)
    close = getattr(backend, "close", None)
    if close is not None:
        close()
    return config


def test_every_key_the_backends_read_is_recorded_and_a_typo_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDC_TEST_UNSET_BIND_PASSWORD", raising=False)
    monkeypatch.setenv("IDC_TEST_SCIM_PASSWORD", "pw")
    assert build("db", sql_store(tmp_path)).unread_keys() == ()
    assert build("dir", LDAP_STORE).unread_keys() == ()
    assert build("scim", REST_STORE).unread_keys() == ()
    json_store = {"plugin": "json", "path": str(tmp_path / "accounts.json")}
    assert build("file", json_store).unread_keys() == ()
    typo = build("db", {**sql_store(tmp_path), "batchsize": 10})
    assert typo.unread_keys() == ("batchsize",)
    with pytest.raises(idconnect.ConfigError, match="did you mean 'batch_size'"):
        typo.refuse_unread()
    typo = build("dir", {**LDAP_STORE, "group_base": "ou=groups,dc=example,dc=org"})
    assert typo.unread_keys() == ("group_base",)


def test_an_unset_secret_variable_fails_only_its_own_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDC_TEST_UNSET_BIND_PASSWORD", raising=False)
    config = hub_config(tmp_path, {"db": sql_store(tmp_path), "dir": dict(LDAP_STORE)})
    with idconnect.connect(config) as hub:
        db = hub.store("db")
        db.create_account({"userName": "ann"}, reason="lazy secrets")
        assert [a.user_name for a in db.search_accounts().items] == ["ann"]
        with pytest.raises(idconnect.ConfigError) as info:
            hub.store("dir").search_accounts('userName eq "ann"')
        text = str(info.value)
        assert "store 'dir'" in text and "'bind_password_env'" in text
        assert "IDC_TEST_UNSET_BIND_PASSWORD" in text
        assert info.value.store == "dir" and info.value.details["key"] == "bind_password_env"
