"""``idconnect admins add|password|totp`` on a SQLite hub state, each command in a fresh hub."""

from __future__ import annotations

import getpass
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result

import idconnect
from idconnect.cli import cli
from idconnect.cli.admins import ADD_REASON
from idconnect.core.admin_login import verify_admin_login
from idconnect.core.errors import Unauthenticated

ME = getpass.getuser()
PASSWORD = "a long enough secret"


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "hub.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n\n'
            '[stores.main]\nplugin = "memory"\n'
        )

    def run(self, *args: str, stdin: str | None = None, actor: str | None = None) -> Result:
        who = ["--actor", actor] if actor else []
        return CliRunner().invoke(cli, ["--config", str(self.config), *who, *args], input=stdin)

    def hub(self) -> idconnect.Hub:
        return idconnect.connect(str(self.config))


@pytest.fixture
def env(tmp_path: Path) -> Env:
    env = Env(tmp_path)
    done = env.run("admins", "grant", ME, "owner", "--reason", "bootstrap")
    assert done.exit_code == 0, done.output
    return env


def test_add_sets_the_password_from_stdin_and_grants_the_roles(env: Env) -> None:
    done = env.run(
        "admins", "add", "carol", "--role", "owner", "--reason", "new lead", stdin=PASSWORD + "\n"
    )
    assert done.exit_code == 0, done.output
    assert "Admin 'carol' can log in to the console with role(s) owner." in done.stdout
    assert PASSWORD not in done.output
    with env.hub() as hub:
        assert verify_admin_login(hub, "carol", PASSWORD) == "carol"
        assert "owner" in hub.admins.members()["carol"]
        events = [e for e in hub.audit.state.events("(hub)") if e.account_id == "carol"]
        assert {e.action for e in events} >= {"set_admin_password", "grant_admin_role"}
        assert all(e.reason == "new lead" for e in events if e.action != "console_login")
    again = env.run("admins", "add", "carol", "--reason", "twice", stdin=PASSWORD + "\n")
    assert again.exit_code == 2 and "idconnect admins password carol" in again.output


def test_add_refuses_an_unknown_role_or_a_weak_password_before_anything_changes(env: Env) -> None:
    unknown = env.run(
        "admins", "add", "dave", "--role", "nope", "--reason", "r", stdin=PASSWORD + "\n"
    )
    assert unknown.exit_code == 2 and "no role 'nope'" in unknown.output
    weak = env.run("admins", "add", "dave", "--reason", "r", stdin="short\n")
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    assert "short" not in weak.output.replace("at least", "")
    empty = env.run("admins", "add", "dave", "--reason", "r", stdin="\n")
    assert empty.exit_code == 2 and "empty" in empty.output
    with env.hub() as hub, pytest.raises(Unauthenticated):
        verify_admin_login(hub, "dave", PASSWORD)
    blank_reason = env.run("admins", "add", "dave", "--reason", " ", stdin=PASSWORD + "\n")
    assert blank_reason.exit_code == 2 and "--reason" in blank_reason.output


def test_add_in_its_headline_form_records_the_default_reason(env: Env) -> None:
    done = env.run("admins", "add", "erin", "--role", "owner", stdin=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    with env.hub() as hub:
        assert verify_admin_login(hub, "erin", PASSWORD) == "erin"
        events = [e for e in hub.audit.state.events("(hub)") if e.account_id == "erin"]
        assert {e.action for e in events} >= {"set_admin_password", "grant_admin_role"}
        assert all(e.reason == ADD_REASON for e in events if e.action != "console_login")


def test_password_changes_it_and_needs_an_existing_login(env: Env) -> None:
    missing = env.run("admins", "password", "carol", "--reason", "r", stdin=PASSWORD + "\n")
    assert missing.exit_code == 2 and "idconnect admins add carol" in missing.output
    assert env.run("admins", "add", "carol", "--reason", "r", stdin=PASSWORD + "\n").exit_code == 0
    done = env.run("admins", "password", "carol", "--reason", "rotation", stdin="another secret!\n")
    assert done.exit_code == 0, done.output
    with env.hub() as hub:
        assert verify_admin_login(hub, "carol", "another secret!") == "carol"
        with pytest.raises(Unauthenticated):
            verify_admin_login(hub, "carol", PASSWORD)


def test_totp_prints_the_uri_alone_on_stdout_once(env: Env) -> None:
    assert env.run("admins", "add", "carol", "--reason", "r", stdin=PASSWORD + "\n").exit_code == 0
    done = env.run("admins", "totp", "carol", "--reason", "2fa")
    assert done.exit_code == 0, done.output
    uri = done.stdout.strip()
    assert done.stdout == uri + "\n" and uri.startswith("otpauth://totp/")
    assert "shown only this once" in " ".join(done.stderr.split()) and uri not in done.stderr
    with env.hub() as hub:
        with pytest.raises(Unauthenticated, match="one-time code"):
            verify_admin_login(hub, "carol", PASSWORD)
        assert verify_admin_login(hub, "carol", PASSWORD, otp=pyotp.parse_uri(uri).now())
    other = env.run("admins", "totp", "carol", "--reason", "2fa", actor="mallory")
    assert other.exit_code != 0 and "admins.manage" in other.output
