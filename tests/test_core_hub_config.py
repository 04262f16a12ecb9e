"""The hub refuses a store setting that nothing reads, naming the store, the key and a hint."""

from __future__ import annotations

import pytest

import idconnect


def test_a_misspelt_setting_is_refused_with_the_closest_key() -> None:
    config = {
        "hub": {"state": "sqlite://"},
        "stores": {"mem": {"plugin": "memory", "batchsize": 5}},
    }
    with pytest.raises(idconnect.ConfigError) as info:
        idconnect.connect(config)
    message = str(info.value)
    assert "mem" in message and "batchsize" in message and "batch_size" in message


def test_settings_the_hub_reads_are_accepted() -> None:
    config = {
        "hub": {"state": "sqlite://"},
        "stores": {"mem": {"plugin": "memory", "batch_size": 5}},
    }
    with idconnect.connect(config) as hub:
        assert hub.store("mem").batch_size == 5


def test_a_store_whose_secret_is_unset_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("idconnect_sql", reason="needs the sql plugin")
    monkeypatch.delenv("IDC_TEST_UNSET_URL", raising=False)
    config = {
        "hub": {"state": "sqlite://"},
        "stores": {
            "mem": {"plugin": "memory"},
            "db": {"plugin": "sql", "url_env": "IDC_TEST_UNSET_URL"},
        },
    }
    with idconnect.connect(config) as hub:
        assert hub.stores == ("mem", "db")
        assert hub.store("mem").search_accounts().items == ()
        with pytest.raises(idconnect.ConfigError) as info:
            hub.store("db")
        assert "IDC_TEST_UNSET_URL" in str(info.value) and "db" in str(info.value)
