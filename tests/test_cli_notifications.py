"""The CLI of customer notifications on a real SQLite store (sql plugin) and a real SMTP server
(aiosmtpd): ``clients`` (both selection rules), ``notify``, ``notifications list|show`` (masked
content) and ``--notify`` on the commands that change an account, a failed send reported as a
warning beside the change that stands."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import idconnect
from idconnect.cli import cli
from idconnect.core.notification import MASK
from tests.token_helpers import Inbox, free_port, inbox, token

__all__ = ["inbox"]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("idconnect_sql") is None, reason="needs the sql plugin"
)

EXTENSION = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:User"


class Env:
    """A config file, a store set up through the CLI, a retail customer and a partner."""

    def __init__(self, tmp_path: Path, smtp_port: int) -> None:
        self.config = tmp_path / "idconnect.toml"
        self.config.write_text(
            f"""
[hub]
state = "sqlite:///{tmp_path / "state.db"}"

[stores.main]
plugin = "sql"
url = "sqlite:///{tmp_path / "store.db"}"

[applications.shop]
policy = "retail"
branding = {{ display_name = "Example Shop", sender = "shop@example.com" }}
[applications.partner-portal]
organizational = true

[clients.shop-web]
application = "shop"
login_url = "https://shop.example.com/login"
reset_url = "https://shop.example.com/reset?token={{token}}"
[clients.partner-web]
application = "partner-portal"
login_url = "https://partners.example.com/login"

[organizations.acme]
policy = "acme"
branding = {{ display_name = "ACME Partners" }}

[notifications.channels.email]
plugin = "smtp"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "support@example.com"

[notifications.policies.retail]
link_lifetime = "30m"
[notifications.policies.acme]
"""
        )
        assert self.run("store", "init", "main").exit_code == 0
        self.hub = idconnect.connect(self.config)
        store = self.hub.store("main")
        retail = store.create_account(
            {
                "userName": "bjensen",
                "displayName": "Barbara Jensen",
                "emails": [{"value": "bjensen@example.org", "primary": True, "verified": True}],
            },
            reason="setup",
        )
        partner = store.create_account(
            {
                "userName": "partner1",
                "emails": [{"value": "pat@acme.example", "primary": True, "verified": True}],
                EXTENSION: {"organization": "acme"},
            },
            reason="setup",
        )
        assert retail.id is not None and partner.id is not None
        self.retail, self.partner = retail.id, partner.id

    def run(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args], input=stdin)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def env(tmp_path: Path, inbox: tuple[Inbox, int]) -> Iterator[Env]:
    made = Env(tmp_path, inbox[1])
    yield made
    made.hub.close()


@pytest.fixture
def unreachable(tmp_path: Path) -> Iterator[Env]:
    """The same setup, but nothing listens where the SMTP server should be."""
    made = Env(tmp_path, free_port())
    yield made
    made.hub.close()


def test_clients_lists_the_eligible_clients_with_the_rule_of_each_scenario(env: Env) -> None:
    retail = env.json("clients", "main", "bjensen")
    assert (retail["accountId"], retail["organization"], retail["rule"]) == (env.retail, None, 2)
    [shop] = retail["clients"]
    assert (shop["name"], shop["application"], shop["organizational"]) == (
        "shop-web",
        "shop",
        False,
    )
    assert (shop["decidedBy"], shop["policy"]) == ("application 'shop'", "retail")
    assert shop["branding"] == {"displayName": "Example Shop", "sender": "shop@example.com"}
    partner = env.json("clients", "main", "pat@acme.example")  # by email address
    assert (partner["accountId"], partner["organization"], partner["rule"]) == (
        env.partner,
        "acme",
        1,
    )
    [portal] = partner["clients"]
    assert (portal["name"], portal["decidedBy"], portal["policy"]) == (
        "partner-web",
        "organization 'acme'",
        "acme",
    )
    assert portal["branding"]["displayName"] == "ACME Partners"
    shown = env.run("clients", "main", "partner1")
    assert shown.exit_code == 0, shown.output
    assert "belongs to organization 'acme'" in shown.stdout
    assert "selection rule 1" in shown.stdout and "partner-web" in shown.stdout
    assert "shop-web" not in shown.stdout


def test_notify_sends_an_email_and_prints_where_it_went(env: Env, inbox: tuple[Inbox, int]) -> None:
    messages = inbox[0].messages
    result = env.run(
        "notify", "main", "bjensen", "profile_updated", "--client", "shop-web", "--reason", "t-1"
    )
    assert result.exit_code == 0, result.output
    assert "Sent profile_updated to bjensen@example.org (email) through client 'shop-web'" in (
        result.stdout
    )
    [message] = messages
    assert message["To"] == "bjensen@example.org"
    assert message["From"] == "Example Shop <shop@example.com>"
    assert message["X-Idconnect-Event"] == "profile_updated"
    assert message["X-Idconnect-Notification"] in result.stdout
    refused = env.run(
        "notify", "main", "bjensen", "profile_updated", "--client", "partner-web", "--reason", "t"
    )
    assert refused.exit_code == 2 and "selection rule 2" in refused.stderr
    unknown = env.run(
        "notify", "main", "bjensen", "birthday", "--client", "shop-web", "--reason", "t"
    )
    assert unknown.exit_code == 2 and "birthday" in unknown.stderr
    assert len(messages) == 1
    [event] = env.hub.store("main").events(env.retail, action="notify")
    assert event.reason == "t-1"


def test_notify_exits_1_with_the_cause_when_the_channel_fails(unreachable: Env) -> None:
    result = unreachable.run(
        "notify", "main", "bjensen", "account_enabled", "--client", "shop-web", "--reason", "t"
    )
    assert result.exit_code == 1
    assert "was not sent" in result.stderr and "cannot reach the server" in result.stderr
    [logged] = unreachable.json("notifications", "list", "main", "bjensen")["Resources"]
    assert (logged["status"], logged["event"]) == ("failed", "account_enabled")


def test_the_log_lists_pages_and_shows_the_content_with_the_secret_hidden(
    env: Env, inbox: tuple[Inbox, int]
) -> None:
    sent = env.run(
        "password", "reset-link", "main", "bjensen", "--client", "shop-web", "--reason", "r"
    )
    assert sent.exit_code == 0, sent.output
    secret = token(inbox[0].link())
    for event in ("profile_updated", "account_enabled"):
        done = env.run("notify", "main", "bjensen", event, "--client", "shop-web", "--reason", "r")
        assert done.exit_code == 0, done.output
    first = env.json("notifications", "list", "main", "bjensen", "--count", "2")
    assert first["totalResults"] == 3
    assert [n["event"] for n in first["Resources"]] == ["account_enabled", "profile_updated"]
    rest = env.json(
        "notifications", "list", "main", "bjensen", "--count", "2", "--cursor", first["nextCursor"]
    )
    [reset] = rest["Resources"]
    assert "nextCursor" not in rest
    assert (reset["template"], reset["policy"], reset["client"], reset["status"]) == (
        "password_reset_requested",
        "retail",
        "shop-web",
        "sent",
    )
    assert reset["target"] == "bjensen@example.org" and reset["medium"] == "email"
    assert "expiresAt" in reset  # time-sensitive: the link's expiry
    table = env.run("notifications", "list", "main", "bjensen")
    assert table.exit_code == 0, table.output
    assert reset["id"] in table.stdout and "3 of 3 notification(s)" in table.stdout
    shown = env.run("notifications", "show", "main", "bjensen", reset["id"])
    assert shown.exit_code == 0, shown.output
    assert MASK in shown.stdout and "password_reset_requested" in shown.stdout
    as_json = env.json("notifications", "show", "main", "bjensen@example.org", reset["id"])
    assert MASK in as_json["content"] and as_json["id"] == reset["id"]
    for output in (json.dumps(first), json.dumps(rest), table.stdout, shown.stdout):
        assert secret not in output
    assert secret not in json.dumps(as_json)
    other = env.run("notifications", "show", "main", "partner1", reset["id"])
    assert other.exit_code == 1 and "no notification" in other.stderr


def test_notify_on_an_update_reports_a_failed_send_as_a_warning_and_exits_0(
    unreachable: Env,
) -> None:
    result = unreachable.run(
        "accounts", "update", "main", "bjensen", "--set", "displayName=Babs",
        "--notify", "shop-web", "--reason", "t-2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Updated displayName of account" in result.stdout
    assert "warning:" in result.stderr and "was not sent" in result.stderr
    assert "cannot reach the server" in result.stderr
    store = unreachable.hub.store("main")
    assert store.get_account(unreachable.retail).display_name == "Babs"
    [logged] = store.notifications(unreachable.retail).items
    assert (logged.event, logged.status) == ("profile_updated", "failed")
    assert "exit status stays 0" in unreachable.run("accounts", "update", "--help").stdout
    refused = unreachable.run(
        "accounts", "update", "main", "bjensen", "--set", "displayName=Never",
        "--notify", "partner-web", "--reason", "t-3",
    )  # fmt: skip
    assert refused.exit_code == 2 and "selection rule 2" in refused.stderr
    assert store.get_account(unreachable.retail).display_name == "Babs"


def test_notify_on_other_changes_sends_after_each(env: Env, inbox: tuple[Inbox, int]) -> None:
    messages = inbox[0].messages
    disabled = env.run(
        "accounts", "disable", "main", "bjensen", "--yes", "--notify", "shop-web", "--reason", "t"
    )
    assert disabled.exit_code == 0, disabled.output
    assert "Notified account" in disabled.stdout and "account_disabled" in disabled.stdout
    added = env.run(
        "authenticators", "add", "main", "bjensen", "phone", "+447700900123",
        "--notify", "shop-web", "--reason", "t", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["kind"] == "phone"  # stdout stays one JSON document
    assert "authenticator_added" in added.stderr
    password = env.run(
        "password", "set", "main", "bjensen", "--notify", "shop-web", "--reason", "t",
        stdin="a-new-long-password\n",
    )  # fmt: skip
    assert password.exit_code == 0, password.output
    assert "a-new-long-password" not in password.output
    events = [m["X-Idconnect-Event"] for m in messages]
    assert events == ["account_disabled", "authenticator_added", "password_changed"]
    assert all(m["To"] == "bjensen@example.org" for m in messages)
