"""Config loading: clear errors naming file, store and key; secrets only from env or files."""

from __future__ import annotations

from pathlib import Path

import pytest

import idconnect
from idconnect.core.config import embedded_default, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return path


def test_toml_file_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[hub]\nstate = "sqlite://"\nconcurrency = 2\n[stores.mem]\nplugin = "memory"\n',
    )
    config = load_config(path)
    assert config.source == path
    assert config.concurrency == 2
    assert list(config.stores) == ["mem"]
    assert config.stores["mem"].plugin == "memory"


def test_config_env_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[hub]\nstate = "sqlite://"\n[stores.x]\nplugin = "memory"\n')
    monkeypatch.setenv("IDCONNECT_CONFIG", str(path))
    with idconnect.connect() as hub:
        assert hub.stores == ("x",)


def test_embedded_default_lives_in_idconnect_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDCONNECT_CONFIG", raising=False)
    monkeypatch.setenv("IDCONNECT_HOME", str(tmp_path))
    doc = embedded_default()
    assert doc["stores"]["default"] == {
        "plugin": "sql",
        "url": f"sqlite:///{tmp_path}/idconnect.db",
    }
    assert load_config(None).state_url == f"sqlite:///{tmp_path}/idconnect-state.db"


def test_missing_plugin_key_names_file_store_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[stores.customers]\nurl = "sqlite://"\n')
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert str(path) in text and "customers" in text and "'plugin'" in text


def test_unknown_store_type_lists_installed_ones(tmp_path: Path) -> None:
    path = write(tmp_path, '[hub]\nstate = "sqlite://"\n[stores.crm]\nplugin = "nosuch"\n')
    with pytest.raises(idconnect.ConfigError) as info:
        idconnect.connect(path)
    text = str(info.value)
    assert "crm" in text and "'nosuch'" in text and "memory" in text and str(path) in text


def test_unknown_store_name_lists_configured_ones() -> None:
    with (
        idconnect.connect(
            {"hub": {"state": "sqlite://"}, "stores": {"a": {"plugin": "memory"}}}
        ) as hub,
        pytest.raises(idconnect.ConfigError) as info,
    ):
        hub.store("b")
    assert "'b'" in str(info.value) and "configured: a" in str(info.value)


@pytest.mark.parametrize("key", ["password", "bind_password", "token", "client_secret", "api_key"])
def test_literal_secrets_are_refused(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, f'[stores.dir]\nplugin = "memory"\n{key} = "hunter2"\n')
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert f"{key}_env" in text and "hunter2" not in text and "dir" in text


def test_url_with_password_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[stores.db]\nplugin = "sql"\nurl = "postgresql://app:hunter2@db/idm"\n')
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(path)
    assert "url_env" in str(info.value) and "hunter2" not in str(info.value)


def test_secrets_come_from_env_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-file\n")
    monkeypatch.setenv("DIR_PW", "from-env")
    config = load_config(
        {
            "stores": {
                "a": {"plugin": "memory", "password_env": "DIR_PW"},
                "b": {"plugin": "memory", "password_file": str(secret_file)},
                "c": {"plugin": "memory", "password_env": "UNSET_VAR_4711"},
            }
        }
    )
    a = config.stores["a"].secret("password")
    b = config.stores["b"].secret("password")
    assert a is not None and a.reveal() == "from-env" and "from-env" not in repr(a)
    assert b is not None and b.reveal() == "from-file"
    c = config.stores["c"].secret("password")  # read at first use, so only store c fails
    assert c is not None
    with pytest.raises(idconnect.ConfigError) as info:
        c.reveal()
    assert "UNSET_VAR_4711" in str(info.value)
    assert config.stores["a"].secret("token") is None
    with pytest.raises(idconnect.ConfigError):
        config.stores["a"].secret("token", required=True)


def test_typed_settings(tmp_path: Path) -> None:
    config = load_config({"stores": {"a": {"plugin": "memory", "timeout": "5", "size": 3}}})
    store = config.stores["a"]
    assert store.get("size", int) == 3
    assert store.get("absent", int, 7) == 7
    assert store.get("size", float) == 3.0
    with pytest.raises(idconnect.ConfigError) as info:
        store.get("timeout", int)
    assert "'timeout'" in str(info.value) and "expected int" in str(info.value)
    with pytest.raises(idconnect.ConfigError):
        store.require("absent", str)


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ({"stores": {"1bad": {"plugin": "memory"}}}, "must start with a letter"),
        ({"hub": {"concurrency": 0}}, "concurrency"),
        ({"hub": {"colour": "blue"}}, "unknown key 'colour'"),
        ({"extra": {}}, "unknown top-level key 'extra'"),
    ],
)
def test_malformed_configs(doc: dict[str, object], fragment: str) -> None:
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(doc)
    assert fragment in str(info.value)


def test_bad_toml_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "[stores.a\nplugin=")
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(path)
    assert "not valid TOML" in str(info.value) and str(path) in str(info.value)
