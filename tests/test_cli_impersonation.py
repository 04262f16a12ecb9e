"""The CLI of customer-facing tokens on a real SQLite store (sql plugin) and a real SMTP server:
``impersonate`` (the link alone on stdout), ``impersonations list|revoke``, ``impersonation
jwks`` and ``password reset-link`` (which never prints the link)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

import idconnect
from idconnect.cli import cli
from idconnect.core.errors import TokenRefused
from tests.token_helpers import PASSWORD, Inbox, inbox, token

__all__ = ["inbox"]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("idconnect_sql") is None, reason="needs the sql plugin"
)


class Env:
    def __init__(self, tmp_path: Path, port: int) -> None:
        key = tmp_path / "impersonation.pem"
        key.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
        self.config = tmp_path / "idconnect.toml"
        self.config.write_text(
            f"""
[hub]
state = "sqlite:///{tmp_path / "state.db"}"

[stores.main]
plugin = "sql"
url = "sqlite:///{tmp_path / "store.db"}"

[applications.shop]

[clients.shop-web]
application = "shop"
login_url = "https://shop.example.com/login"
reset_url = "https://shop.example.com/reset?token={{token}}"

[notifications.channels.email]
plugin = "smtp"
host = "127.0.0.1"
port = {port}
security = "none"
sender = "support@example.com"

[impersonation]
signing_key_file = "{key}"
lifetime = "2m"
"""
        )
        assert self.run("store", "init", "main").exit_code == 0
        self.hub = idconnect.connect(self.config)
        doc = {
            "userName": "bjensen",
            "emails": [{"value": "bjensen@example.org", "primary": True, "verified": True}],
        }
        created = self.hub.store("main").create_account(doc, reason="setup")
        assert created.id is not None
        self.account_id = created.id

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def env(tmp_path: Path, inbox: tuple[Inbox, int]) -> Iterator[Env]:
    made = Env(tmp_path, inbox[1])
    yield made
    made.hub.close()


def test_impersonate_prints_only_the_link_on_stdout(env: Env) -> None:
    result = env.run("impersonate", "main", "bjensen", "--client", "shop-web", "--reason", "t-1")
    assert result.exit_code == 0, result.output
    [link] = result.stdout.splitlines()
    assert link.startswith("https://shop.example.com/login?impersonation_token=")
    assert "valid until" in result.stderr
    jwks = json.loads(env.run("impersonation", "jwks").stdout)
    value = parse_qs(urlsplit(link).query)["impersonation_token"][0]
    claims = jwt.decode(value, KeySet.import_key_set(jwks), algorithms=["ES256"]).claims
    assert (claims["sub"], claims["aud"], claims["exp"] - claims["iat"]) == (
        env.account_id,
        "shop-web",
        120,
    )
    [listed] = env.json("impersonations", "list", "main", "--account", "bjensen")
    assert (listed["id"], listed["status"], listed["reason"]) == (claims["jti"], "pending", "t-1")
    assert value not in json.dumps(listed)


def test_a_revoked_grant_no_longer_redeems(env: Env) -> None:
    result = env.run("impersonate", "main", "bjensen", "--client", "shop-web", "--reason", "t-2")
    value = parse_qs(urlsplit(result.stdout.strip()).query)["impersonation_token"][0]
    [listed] = env.json("impersonations", "list")
    revoked = env.run("impersonations", "revoke", listed["id"], "--reason", "wrong customer")
    assert revoked.exit_code == 0, revoked.output
    assert env.json("impersonations", "list")[0]["status"] == "revoked"
    with pytest.raises(TokenRefused, match="revoked"):
        env.hub.redeem_impersonation(value, client="shop-web")
    again = env.run("impersonations", "revoke", listed["id"], "--reason", "again")
    assert again.exit_code == 1 and "revoked already" in again.stderr


def test_reset_link_mails_the_link_and_never_prints_it(env: Env, inbox: tuple[Inbox, int]) -> None:
    result = env.run(
        "password", "reset-link", "main", "bjensen", "--client", "shop-web", "--reason", "call 9"
    )
    assert result.exit_code == 0, result.output
    assert "Reset link sent to bjensen@example.org (email)" in result.stdout
    secret = token(inbox[0].link())
    assert secret not in result.output
    env.hub.redeem_password_reset(secret, PASSWORD)
    actions = [e.action for e in env.hub.store("main").events(env.account_id)]
    assert actions[-3:] == ["set_password", "record_activity", "redeem_password_reset"]
    kinds = [r.kind for r in env.hub.store("main").activity(env.account_id).items]
    assert "password_reset" in kinds


def test_without_a_reason_nothing_is_issued(env: Env) -> None:
    result = env.run("impersonate", "main", "bjensen", "--client", "shop-web")
    assert result.exit_code == 2
    assert env.json("impersonations", "list") == []
