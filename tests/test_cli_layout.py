"""At a 120-column terminal every table keeps each column at least as wide as its header.

Runs the CLI through click's CliRunner with ``COLUMNS=120`` on the in-memory store (its test
helpers record sessions and failed attempts), then reads the tables back from the output.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len

import idconnect
import idconnect.cli.context as cli_context
from idconnect.cli import cli
from idconnect.core.model import Session
from idconnect.testing.memory_store import MemoryStore

WIDTH = 120


class Env:
    """A memory store full of long names, and the CLI run against it at 120 columns."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.config = tmp_path / "idconnect.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n'
            '[stores.main]\nplugin = "memory"\n'
        )
        self.hub = idconnect.connect(self.config)
        self.store = self.hub.store("main")
        monkeypatch.setattr(cli_context, "connect", lambda config: self.hub)
        self.ids = []
        for n in range(5):
            user = f"francois.olafsdottir-nunez.{n}"
            created = self.store.create_account(
                {
                    "userName": user,
                    "displayName": "François Ólafsdóttir-Núñez",
                    "emails": [
                        {"value": f"{user}@mail.example", "primary": True, "verified": True}
                    ],
                    "phoneNumbers": [{"value": "+447700900123", "verified": True}],
                },
                reason="layout test",
            )
            assert created.id is not None
            self.ids.append(created.id)
        backend = self.store.backend
        assert isinstance(backend, MemoryStore)
        now = datetime.now(UTC)
        backend.record_session(
            self.ids[0],
            Session(
                id="session-with-a-long-id-0001",
                created=now - timedelta(hours=3),
                last_seen=now,
                expires=now + timedelta(days=30),
                ip_address="2001:db8:85a3::8a2e:370:7334",
                location="Reykjavík, Höfuðborgarsvæðið, IS",
                user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            ),
        )
        self.store.add_authenticator(
            self.ids[0], "email", "francois.second.address@mail.example", reason="layout test"
        )

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--config", str(self.config), *args], env={"COLUMNS": str(WIDTH)}
        )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    made = Env(tmp_path, monkeypatch)
    yield made
    made.hub.close()


def tables(output: str) -> list[list[tuple[str, int]]]:
    """Read every boxed table's header row: (header text, column width inside the borders)."""
    found = []
    lines = output.splitlines()
    for n, line in enumerate(lines[:-1]):
        if not line.startswith(("┏", "┌")):
            continue
        header = lines[n + 1]
        bar = "┃" if header.startswith("┃") else "│"
        cells = header.strip()[1:-1].split(bar)
        found.append([(cell.strip(), cell_len(cell) - 2) for cell in cells])
    return found


def assert_readable(result: Result, *expected: tuple[str, ...]) -> None:
    """Each expected table is there, with whole headers and no column under its header's width."""
    assert result.exit_code in (0, 1), result.output
    widest = max(cell_len(line) for line in result.stdout.splitlines())
    assert widest <= WIDTH, f"a line is {widest} columns wide"
    found = tables(result.stdout)
    assert [tuple(h for h, _ in t) for t in found] == list(expected)
    for table in found:
        for header, width in table:
            assert width >= cell_len(header), f"column {header!r} is {width} wide"


ACCOUNTS = ("ID", "User name", "Name", "Email", "Status", "Last login")
EVENTS = ("When", "Actor", "Action", "Account", "Target", "Outcome", "Reason")


def test_accounts_list_fits_120_columns_with_short_ids(env: Env) -> None:
    result = env.run("accounts", "list", "main")
    assert_readable(result, ACCOUNTS)
    assert env.ids[0][:8] in result.stdout and env.ids[0] not in result.stdout
    assert "--json shows them in full" in result.stdout


def test_accounts_show_fits_120_columns(env: Env) -> None:
    result = env.run("accounts", "show", "main", env.ids[0])
    assert_readable(
        result,
        ("ID", "Kind", "Label", "Verified", "Created", "Last used"),
        ("ID", "Last seen", "Created", "Expires", "IP address", "Location", "Browser"),
    )
    for label in ("Display name", "User name", "Email", "Phone", "Groups", "Roles"):
        assert any(line.startswith(label) for line in result.stdout.splitlines())
    assert f"ID               {env.ids[0]}" in result.stdout


def test_events_fit_120_columns_with_outcome_and_reason_readable(env: Env) -> None:
    env.store.disable_accounts(
        [env.ids[1], "no-such-account"], reason="ticket 4711: card fraud reported by the bank"
    )
    every = env.run("events", "main")
    assert_readable(every, EVENTS)
    assert "success" in every.stdout and "failure:" in every.stdout
    assert "ticket 4711:" in every.stdout
    one = env.run("events", "main", env.ids[1])
    assert_readable(one, EVENTS)
    assert "disable_account" in one.stdout and "ticket 4711:" in one.stdout


def test_bulk_summary_fits_120_columns(env: Env) -> None:
    ghost = "ghost-" + "0123456789abcdef" * 3
    result = env.run("accounts", "disable", "main", env.ids[2], ghost, "--reason", "x", "--yes")
    assert result.exit_code == 1, result.output
    assert_readable(result, ("Result", "Accounts"), ("Account", "Result", "Error", "Cause"))
    assert ghost in result.stdout


def test_dry_run_preview_fits_120_columns(env: Env) -> None:
    long_name = "a.customer.with.a.very.long.user.name.from.an.import.of.2019." * 2
    env.store.create_account({"userName": long_name}, reason="layout test")
    result = env.run(
        "accounts", "disable", "main", "--filter", "active eq true", "--reason", "x", "--dry-run"
    )
    assert_readable(result, ("ID", "User name", "Status"))
