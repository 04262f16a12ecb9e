"""Mapped Django tables: the ``pbkdf2_iterations`` setting of new password hashes."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
from idconnect_sql.passwords import verify_password
from idconnect_sql.testing.django import django_settings

from idconnect import ConfigError


def _mapped(open_hub, namespaces, **mapping):
    settings = django_settings(namespaces)
    return open_hub({**settings, "mapping": {**settings["mapping"], **mapping}}).store("s")


def _stored_hash(store, account_id: str) -> str:
    backend = store.backend
    table = backend.mapped
    with backend.engine.connect() as connection:
        return connection.execute(
            sa.select(table.c.password).where(table.c.id == int(account_id))
        ).scalar_one()


@pytest.mark.parametrize(
    ("setting", "written"), [({}, 1_000_000), ({"pbkdf2_iterations": 260_000}, 260_000)]
)
def test_new_hashes_get_the_configured_iterations(open_hub, namespaces, setting, written):
    store = _mapped(open_hub, namespaces, **setting)
    account = store.create_account({"userName": "pbkdf2.user"}, reason="test")
    store.set_password(account.id, "correct horse", reason="test")
    encoded = _stored_hash(store, account.id)
    assert encoded.startswith(f"pbkdf2_sha256${written}$")
    assert verify_password(encoded, "correct horse")
    assert not verify_password(encoded, "correct horsE")


@pytest.mark.parametrize(
    "value", [0, 99_999, 10_000_001, -1, "1000000", True, 1_000_000.0, None, [1_000_000]]
)
def test_a_bad_iteration_count_is_refused(open_hub, namespaces, value):
    with pytest.raises(ConfigError) as caught:
        _mapped(open_hub, namespaces, pbkdf2_iterations=value)
    assert caught.value.store == "s"
    assert caught.value.details["key"] == "mapping.pbkdf2_iterations"
    assert "from 100000 to 10000000" in caught.value.message


def test_iterations_without_the_pbkdf2_scheme_are_refused(open_hub, namespaces):
    with pytest.raises(ConfigError, match="only with password_scheme pbkdf2_sha256"):
        _mapped(open_hub, namespaces, password_scheme="argon2id", pbkdf2_iterations=1_000_000)


def _django_hash(iterations: int, salt: str, digest_hex: str) -> str:
    digest = base64.b64encode(bytes.fromhex(digest_hex)).decode()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


@pytest.mark.parametrize(
    ("iterations", "digest_hex"),
    [
        # the published PBKDF2-HMAC-SHA256 vectors for P="password", S="salt", dkLen=32
        (1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        (4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
    ],
)
def test_a_hash_of_any_iteration_count_verifies(iterations, digest_hex):
    encoded = _django_hash(iterations, "salt", digest_hex)
    assert verify_password(encoded, "password")
    assert not verify_password(encoded, "passwore")


@pytest.mark.parametrize(
    "encoded",
    [
        "pbkdf2_sha256$",
        "pbkdf2_sha256$many$salt$abc=",
        "pbkdf2_sha256$0$salt$abc=",
        "pbkdf2_sha256$²$salt$abc=",
        "pbkdf2_sha256$1$salt$abc=$extra",
        "pbkdf2_sha256$1$sält$abc=",
    ],
)
def test_a_malformed_hash_does_not_verify(encoded):
    assert verify_password(encoded, "password") is False
