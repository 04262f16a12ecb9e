"""``idconnect admins ...`` on a SQLite hub state: grants made by one command count in the next.

Every command runs in a fresh hub (the CLI connects anew each time), so what one grants is read
back from the state database by the next.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from idconnect.cli import cli
from idconnect.core.admins import KNOWN_PERMISSIONS

ME = getpass.getuser()


class Env:
    """A config with one memory store and an optional ``[admins]`` table, and a CLI runner."""

    def __init__(self, tmp_path: Path, admins: str = "") -> None:
        self.config = tmp_path / "hub.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n\n'
            '[stores.main]\nplugin = "memory"\n\n[stores.side]\nplugin = "memory"\n' + admins
        )

    def run(self, *args: str, actor: str | None = None) -> Result:
        who = ["--actor", actor] if actor else []
        return CliRunner().invoke(cli, ["--config", str(self.config), *who, *args])


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_stores_says_who_acts_while_nothing_is_configured(env: Env) -> None:
    done = env.run("stores")
    assert done.exit_code == 0, done.output
    assert f"permissions: none configured; local user {ME!r} acts as owner" in done.stdout


def test_grants_in_the_state_database_let_an_actor_act(env: Env) -> None:
    assert env.run("accounts", "list", "main", actor="alice").exit_code == 1
    first = env.run("admins", "define", "agent", "-p", "accounts.read", "--reason", "setup")
    assert first.exit_code == 2 and "nobody could manage admins" in first.output
    steps = [
        ("admins", "grant", ME, "owner", "--reason", "bootstrap"),
        ("admins", "define", "agent", "-p", "accounts.read", "--store", "main", "--reason", "x"),
        ("admins", "grant", "alice", "agent", "--reason", "new hire"),
    ]
    for step in steps:
        done = env.run(*step)
        assert done.exit_code == 0, done.output
    assert env.run("accounts", "list", "main", actor="alice").exit_code == 0
    refused = env.run("accounts", "list", "side", actor="alice")
    assert refused.exit_code == 1
    assert "store 'side': actor 'alice' lacks permission 'accounts.read'" in refused.stderr
    roles = json.loads(env.run("admins", "roles", "--json").stdout)
    assert [(r["name"], r["source"], r["stores"], r["members"]) for r in roles] == [
        ("owner", "built-in", None, [ME]),
        ("agent", "state", ["main"], ["alice"]),
    ]
    assert "permissions: 1 role(s), 2 admin(s) hold roles" in env.run("stores").stdout

    lockout = env.run("admins", "revoke", ME, "owner", "--reason", "oops")
    assert lockout.exit_code == 2 and "nobody could manage admins" in lockout.output
    dropped = env.run("admins", "drop", "agent", "--reason", "reorg")
    assert dropped.exit_code == 2 and "still granted to 'alice'" in dropped.output
    assert env.run("admins", "revoke", "alice", "agent", "--reason", "left").exit_code == 0
    assert env.run("accounts", "list", "main", actor="alice").exit_code == 1
    assert env.run("admins", "drop", "agent", "--reason", "reorg").exit_code == 0
    assert env.run("admins", "revoke", ME, "owner", "--reason", "back to none").exit_code == 0
    assert "permissions: none configured" in env.run("stores").stdout

    events = json.loads(env.run("events", "main", "--json").stdout)
    denied = [(e["actor"], e["action"]) for e in events if e["outcome"] == "denied"]
    assert denied == [("alice", "search_accounts"), ("alice", "search_accounts")]


def test_an_actor_without_admins_manage_cannot_grant(env: Env) -> None:
    assert env.run("admins", "grant", ME, "owner", "--reason", "bootstrap").exit_code == 0
    done = env.run("admins", "grant", "mallory", "owner", "--reason", "me", actor="mallory")
    assert done.exit_code == 1
    assert "actor 'mallory' lacks permission 'admins.manage'" in done.stderr
    roles = json.loads(env.run("admins", "roles", "--json").stdout)
    assert [r["members"] for r in roles] == [[ME]]


def test_config_roles_are_used_but_not_changed_from_the_cli(tmp_path: Path) -> None:
    env = Env(
        tmp_path,
        '\n[admins.roles.support]\npermissions = ["accounts.*"]\n'
        f'\n[admins.members]\n"{ME}" = ["owner"]\nbob = ["support"]\n',
    )
    assert env.run("accounts", "list", "main", actor="bob").exit_code == 0
    redefine = env.run("admins", "define", "support", "-p", "*", "--reason", "x")
    assert redefine.exit_code == 2 and "defined in config file" in redefine.output
    revoke = env.run("admins", "revoke", "bob", "support", "--reason", "x")
    assert revoke.exit_code == 2 and "edit it there" in revoke.output
    extra = env.run(
        "admins", "grant", "carol", "support", "--reason", "state grant of a config role"
    )
    assert extra.exit_code == 0, extra.output
    assert env.run("accounts", "list", "main", actor="carol").exit_code == 0


def test_unknown_names_are_refused(env: Env, tmp_path: Path) -> None:
    env.run("admins", "grant", ME, "owner", "--reason", "bootstrap")
    bad = env.run("admins", "define", "x", "-p", "accounts.fly", "--reason", "r")
    assert bad.exit_code == 2 and "unknown permission(s) 'accounts.fly'" in bad.output
    store = env.run("admins", "define", "x", "-p", "*", "--store", "ghost", "--reason", "r")
    assert store.exit_code == 2 and "unknown store(s) 'ghost'" in store.output
    role = env.run("admins", "grant", "alice", "ghost", "--reason", "r")
    assert role.exit_code == 2 and "no role 'ghost'" in role.output
    broken = Env(tmp_path, '\n[admins.members]\nalice = ["ghost"]\n')
    done = broken.run("stores")
    assert done.exit_code == 2 and "'alice' holds unknown role(s) 'ghost'" in done.output


def test_permissions_lists_every_name(env: Env) -> None:
    listed = json.loads(env.run("admins", "permissions", "--json").stdout)
    assert list(listed) == list(KNOWN_PERMISSIONS)
    assert listed["accounts.enable"] == "set_account_enabled, bulk_set_accounts_enabled"
