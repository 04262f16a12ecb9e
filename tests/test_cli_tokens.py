"""``idconnect tokens create|list|revoke`` on a SQLite hub state, each command in a fresh hub."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import idconnect
from idconnect.cli import cli
from idconnect.cli.tokens import parse_lifetime
from idconnect.core.api_tokens import PREFIX, authenticate
from idconnect.core.errors import Unauthenticated


class Env:
    """A config with two memory stores and a CLI runner."""

    def __init__(self, tmp_path: Path, admins: str = "") -> None:
        self.tmp_path = tmp_path
        self.config = tmp_path / "hub.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n\n'
            '[stores.main]\nplugin = "memory"\n\n[stores.side]\nplugin = "memory"\n' + admins
        )

    def run(self, *args: str, actor: str | None = None) -> Result:
        who = ["--actor", actor] if actor else []
        return CliRunner().invoke(cli, ["--config", str(self.config), *who, *args])

    def hub(self) -> idconnect.Hub:
        return idconnect.connect(str(self.config))


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_create_prints_the_token_once_on_stdout_and_its_id_on_stderr(env: Env) -> None:
    done = env.run(
        "tokens", "create", "--admin", "alice", "--store", "main", "--expires", "90d",
        "--reason", "provisioning system",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    token = done.stdout.strip()
    assert done.stdout == token + "\n" and token.startswith(PREFIX)
    assert token not in done.stderr
    assert "for admin 'alice' on store 'main', expires" in done.stderr
    assert "shown only this once" in done.stderr
    with env.hub() as hub:
        accepted = authenticate(hub, token)
        assert (accepted.admin, accepted.store) == ("alice", "main")
        assert accepted.id in done.stderr
        assert accepted.expires is not None
        assert accepted.expires - accepted.created == timedelta(days=90)
    listed = env.run("tokens", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert token not in listed.output
    [doc] = json.loads(listed.stdout)
    assert doc["id"] == accepted.id and doc["status"] == "active"
    assert (doc["admin"], doc["store"], doc["revokedAt"]) == ("alice", "main", None)
    assert doc["lastUsedAt"] is not None


def test_list_as_a_table_then_revoke(env: Env) -> None:
    assert env.run("tokens", "list").stdout.strip() == "No API tokens."
    created = env.run("tokens", "create", "--admin", "bot", "--reason", "nightly sync")
    token = created.stdout.strip()
    with env.hub() as hub:
        token_id = authenticate(hub, token).id
    table = env.run("tokens", "list")
    assert table.exit_code == 0, table.output
    assert token_id in table.stdout and "active" in table.stdout and "never" in table.stdout
    assert token not in table.stdout

    revoked = env.run("tokens", "revoke", token_id, "--reason", "sync retired")
    assert revoked.exit_code == 0, revoked.output
    assert f"API token {token_id} of admin 'bot' is revoked." in revoked.stdout
    with env.hub() as hub, pytest.raises(Unauthenticated, match="revoked"):
        authenticate(hub, token)
    assert json.loads(env.run("tokens", "list", "--json").stdout)[0]["status"] == "revoked"
    again = env.run("tokens", "revoke", token_id, "--reason", "twice")
    assert again.exit_code == 1 and "revoked already" in again.stderr
    unknown = env.run("tokens", "revoke", "nope", "--reason", "typo")
    assert unknown.exit_code == 1 and "no API token with id 'nope'" in unknown.stderr


def test_create_refuses_bad_options_before_issuing_anything(env: Env) -> None:
    cases = [
        (("--admin", "a", "--expires", "soon", "--reason", "r"), "write a number"),
        (("--admin", "a", "--store", "nowhere", "--reason", "r"), "no store named 'nowhere'"),
        (("--admin", "a", "--reason", "  "), "must not be empty"),
        (("--admin", "a"), "Missing option '--reason'"),
    ]
    for args, message in cases:
        done = env.run("tokens", "create", *args)
        assert done.exit_code == 2, done.output
        assert message in done.stderr
        assert done.stdout == ""
    assert json.loads(env.run("tokens", "list", "--json").stdout) == []


def test_tokens_need_their_permissions(tmp_path: Path) -> None:
    env = Env(
        tmp_path,
        "\n[admins.roles.agent]\npermissions = ['accounts.read']\n"
        "[admins.roles.keeper]\npermissions = ['tokens.manage', 'tokens.read']\n"
        "[admins.members]\nalice = ['agent']\nkeeper = ['keeper']\n",
    )
    refused = env.run("tokens", "create", "--admin", "alice", "--reason", "r", actor="alice")
    assert refused.exit_code == 1 and "lacks permission 'tokens.manage'" in refused.stderr
    assert refused.stdout == ""
    listed = env.run("tokens", "list", actor="alice")
    assert listed.exit_code == 1 and "lacks permission 'tokens.read'" in listed.stderr
    made = env.run("tokens", "create", "--admin", "alice", "--reason", "r", actor="keeper")
    assert made.exit_code == 0, made.output
    with env.hub() as hub:
        events = list(hub.audit.state.events(store="(hub)"))
    issued = [e for e in events if e.action == "issue_api_token" and e.outcome == "success"]
    assert [(e.actor, e.account_id, e.reason) for e in issued] == [("keeper", "alice", "r")]


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("90d", timedelta(days=90)),
        ("4w", timedelta(weeks=4)),
    ],
)
def test_lifetimes(text: str, lifetime: timedelta) -> None:
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize("text", ["", "0d", "90", "d", "1y", "-5d", "1.5d", "9999999d"])
def test_bad_lifetimes(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_lifetime(text)
