"""Secrets in the config: one rule for secret-looking keys, URLs with passwords, safe reading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import idconnect
from idconnect.core.config import StoreConfig, load_config
from idconnect.core.errors import SecretUnavailable
from idconnect.core.secrets import SECRET_FILE_LIMIT, is_secret_key

CANARY = "canary-s3cr3t-4711"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "key",
    [
        "bindPassword",
        "bind_pw",
        "db_pass",
        "apiKey",
        "client_secret",
        "dbpassword",
        "accessToken",
        "PRIVATE_KEY",
        "ssl-passphrase",
        "BindPwd",
        "auth.credentials",
        "refresh_token",
    ],
)
def test_secret_key_spellings_are_refused_naming_file_store_and_key(
    tmp_path: Path, key: str
) -> None:
    path = write(tmp_path, f'[stores.dir]\nplugin = "memory"\n"{key}" = "{CANARY}"\n')
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert str(path) in text and "store 'dir'" in text and repr(key) in text
    assert f"{key}_env" in text and CANARY not in text
    assert info.value.details["key"] == key


@pytest.mark.parametrize(
    "key",
    [
        "password_env",
        "bind_password_file",
        "token_url",
        "key_column",
        "password_scheme",
        "password_attribute",
        "client_key",
        "client_id",
        "bind_dn",
        "url",
        "users_base",
        "keyset_size",
        "monkey",
        "bypass_cache",
    ],
)
def test_harmless_keys_are_accepted(key: str) -> None:
    config = load_config({"stores": {"s": {"plugin": "memory", key: "x"}}})
    assert config.stores["s"].settings[key] == "x"


_SECRET_WORDS = ["password", "passwd", "secret", "token", "pass", "pw", "pwd", "key", "apikey"]
_PREFIXES = ["", "bind", "db", "client", "ldap", "api", "access"]


@given(
    prefix=st.sampled_from(_PREFIXES),
    word=st.sampled_from(_SECRET_WORDS),
    style=st.sampled_from(["snake", "camel", "kebab", "upper"]),
)
def test_every_spelling_of_a_secret_word_is_a_secret_and_its_env_form_is_not(
    prefix: str, word: str, style: str
) -> None:
    words = [w for w in (prefix, word) if w]
    if style == "snake":
        key = "_".join(words)
    elif style == "kebab":
        key = "-".join(words)
    elif style == "upper":
        key = "_".join(words).upper()
    else:
        key = words[0] + "".join(w.capitalize() for w in words[1:])
    assume(key.lower() != "client_key")  # the one known harmless key: a TLS key file's path
    assert is_secret_key(key)
    assert not is_secret_key(f"{key}_env") and not is_secret_key(f"{key}_file")


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{CANARY}@db/idm",
        f"postgresql://:{CANARY}@db/idm",
        f"postgresql://app@db/idm?password={CANARY}",
        f"mysql+pymysql://root@db/idm?charset=utf8mb4&pass={CANARY}",
        f"postgresql://db/idm?sslmode=require&sslpassword={CANARY}",
        f"https://scim.example.com/v2?api_key={CANARY}",
        f"https://scim.example.com/v2?access_token={CANARY}",
    ],
)
def test_urls_holding_a_password_are_refused(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f'[stores.db]\nplugin = "sql"\nurl = "{url}"\n')
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "url_env" in text and CANARY not in text and str(path) in text and "'db'" in text


def test_urls_in_nested_tables_and_the_state_url_are_checked() -> None:
    nested = {"stores": {"m": {"plugin": "memory", "mapping": {"dsn": f"ldap://u:{CANARY}@h"}}}}
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(nested)
    assert "'mapping.dsn'" in str(info.value) and CANARY not in str(info.value)
    listed = {
        "stores": {"m": {"plugin": "memory", "mirrors": ["https://a", f"https://b?pw={CANARY}"]}}
    }
    with pytest.raises(idconnect.ConfigError) as info:
        load_config(listed)
    assert "'mirrors[1]'" in str(info.value) and CANARY not in str(info.value)
    for state in (
        f"postgresql://hub:{CANARY}@db/state",
        f"postgresql://db/state?password={CANARY}",
    ):
        with pytest.raises(idconnect.ConfigError) as info:
            load_config({"hub": {"state": state}})
        assert "'state'" in str(info.value) and CANARY not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app@db/idm?sslmode=require",
        "postgresql+psycopg://app@db:5432/idm?application_name=idconnect",
        "sqlite:////var/lib/idconnect/idconnect.db",
        "https://scim.example.com/v2?lang=en&password_policy=strict",
        "ldap://ldap.example.org",
    ],
)
def test_urls_without_a_password_are_accepted(url: str) -> None:
    config = load_config({"stores": {"s": {"plugin": "memory", "url": url}}})
    assert config.stores["s"].settings["url"] == url


def file_secret(tmp_path: Path, content: bytes) -> StoreConfig:
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(content)
    return StoreConfig(
        name="dir", plugin="memory", settings={"token_file": str(secret_file)}, source=tmp_path
    )


def chain(exc: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while exc is not None and exc not in found:
        found.append(exc)
        exc = exc.__cause__ or exc.__context__
    return found


def reveal_error(store: StoreConfig, key: str = "token") -> str:
    secret = store.secret(key)
    assert secret is not None
    with pytest.raises(idconnect.ConfigError) as info:
        secret.reveal()
    for exc in chain(info.value):  # not even a suppressed context may hold the secret
        held = repr(exc.args) + repr(vars(exc)) + repr(getattr(exc, "object", ""))
        assert CANARY not in held and CANARY.encode().hex() not in held
    return str(info.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"tok\n", "tok"),
        (b"tok\r\n", "tok"),
        (b"  spaced out  ", "  spaced out  "),
        ("pässwörd\n".encode(), "pässwörd"),
        (b"x" * SECRET_FILE_LIMIT, "x" * SECRET_FILE_LIMIT),
    ],
)
def test_secret_files_lose_one_trailing_newline(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    secret = file_secret(tmp_path, content).secret("token")
    assert secret is not None and secret.reveal() == expected


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (CANARY.encode() + b"\n\n", "control character"),
        (CANARY.encode() + b"\nsecond line", "control character"),
        (CANARY.encode() + b"\tx", "control character"),
        (b"\xff\xfe" + CANARY.encode(), "not UTF-8"),
        (CANARY.encode() + b"\x00", "control character"),
        (CANARY.encode() + "\u2028".encode(), "control character"),
        (b"", "is empty"),
        (b"\n", "is empty"),
        (b"x" * (SECRET_FILE_LIMIT + 1), "larger than 64 KiB"),
    ],
)
def test_bad_secret_files_are_refused_without_their_value(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    text = reveal_error(file_secret(tmp_path, content))
    assert reason in text and "'token_file'" in text and "store 'dir'" in text
    assert CANARY not in text and str(tmp_path) in text


def test_endless_and_non_regular_secret_files_are_refused(tmp_path: Path) -> None:
    for path, reason in (("/dev/zero", "is not a regular file"), (tmp_path, "Is a directory")):
        store = StoreConfig(name="dir", plugin="memory", settings={"token_file": str(path)})
        assert reason in reveal_error(store)
    store = StoreConfig(name="dir", plugin="memory", settings={"token_file": "/nonexistent/x"})
    assert "cannot be read" in reveal_error(store)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (CANARY + "\ninner", "control character"),
        (CANARY + "\n\n", "control character"),
        (CANARY + "\x1b[0m", "control character"),
        ("", "not set or empty"),
    ],
)
def test_bad_secret_variables_are_refused_without_their_value(
    monkeypatch: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    monkeypatch.setenv("IDC_TEST_TOKEN", value)
    store = StoreConfig(name="api", plugin="memory", settings={"token_env": "IDC_TEST_TOKEN"})
    text = reveal_error(store)
    assert reason in text and "'token_env'" in text and "IDC_TEST_TOKEN" in text
    assert CANARY not in text and "store 'api'" in text


def test_secret_variables_lose_one_trailing_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDC_TEST_TOKEN", "tok\n")
    store = StoreConfig(name="api", plugin="memory", settings={"token_env": "IDC_TEST_TOKEN"})
    secret = store.secret("token")
    assert secret is not None and secret.reveal() == "tok"


def test_undecodable_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDC_TEST_TOKEN", os.fsdecode(b"tok\xff"))
    store = StoreConfig(name="api", plugin="memory", settings={"token_env": "IDC_TEST_TOKEN"})
    assert "not valid UTF-8" in reveal_error(store)


def test_secret_keys_are_checked_when_named(tmp_path: Path) -> None:
    both = StoreConfig(
        name="s", plugin="memory", settings={"token_env": "A", "token_file": str(tmp_path)}
    )
    with pytest.raises(idconnect.ConfigError, match="not both"):
        both.secret("token")
    empty = StoreConfig(name="s", plugin="memory", settings={"token_env": ""})
    with pytest.raises(idconnect.ConfigError, match="name of an environment variable"):
        empty.secret("token")
    wrong = StoreConfig(name="s", plugin="memory", settings={"token_file": 3})
    with pytest.raises(idconnect.ConfigError, match="expected str") as info:
        wrong.secret("token")
    assert not isinstance(info.value, SecretUnavailable)  # a mistake in the file, not deferred
    with pytest.raises(idconnect.ConfigError, match="missing required secret") as info:
        wrong.secret("password", required=True)
    assert not isinstance(info.value, SecretUnavailable)


def test_a_secret_is_read_at_first_use_and_again_after_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IDC_TEST_LATE", raising=False)
    store = StoreConfig(name="late", plugin="memory", settings={"password_env": "IDC_TEST_LATE"})
    secret = store.secret("password")
    assert secret is not None
    with pytest.raises(idconnect.ConfigError) as info:
        secret.reveal()
    assert "IDC_TEST_LATE" in str(info.value) and info.value.store == "late"
    assert isinstance(info.value, SecretUnavailable)
    assert info.value.details["key"] == "password_env"
    monkeypatch.setenv("IDC_TEST_LATE", "now-set")
    assert secret.reveal() == "now-set"
    monkeypatch.setenv("IDC_TEST_LATE", "changed")
    assert secret.reveal() == "now-set"
    assert "now-set" not in repr(secret) and "now-set" not in str(secret)
