"""The CLI shows only what a store holds: no invented status or zero counters.

The store below is the in-memory store narrowed to the catalogue of a plain directory (no lock
attribute, no failure counters), as the LDAP store narrows itself on such a directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

import idconnect
from idconnect import hookimpl
from idconnect.cli import cli
from idconnect.cli import context as cli_context
from idconnect.core.schema import EXTENSION_SCHEMA, USER_CATALOGUE, Catalogue
from idconnect.testing.memory_store import MemoryStore


class PlainDirectory(MemoryStore):
    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        return USER_CATALOGUE.without("active", "disabledAt", "failedAttempts", "lastLogin")


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"plain": PlainDirectory}


@pytest.fixture
def account_id(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    config = {"hub": {"state": "sqlite://"}, "stores": {"dir": {"plugin": "plain"}}}
    with idconnect.connect(config, plugins=[Types()]) as hub:
        monkeypatch.setattr(cli_context, "connect", lambda config: hub)
        created = hub.store("dir").create_account({"userName": "ann"})
        assert created.id is not None
        yield created.id


def test_show_and_list_name_no_status_the_store_does_not_hold(account_id: str) -> None:
    shown = CliRunner().invoke(cli, ["accounts", "show", "dir", account_id])
    assert shown.exit_code == 0, shown.output
    assert "Enabled" not in shown.stdout and "Disabled" not in shown.stdout
    listed = CliRunner().invoke(cli, ["accounts", "list", "dir"])
    assert listed.exit_code == 0, listed.output
    assert "ann" in listed.stdout and "Enabled" not in listed.stdout


def test_json_carries_no_invented_attributes(account_id: str) -> None:
    shown = CliRunner().invoke(cli, ["accounts", "show", "dir", account_id, "--json"])
    doc = json.loads(shown.stdout)
    assert "active" not in doc
    assert "failedAttempts" not in doc.get(EXTENSION_SCHEMA, {})
    listed = CliRunner().invoke(cli, ["accounts", "list", "dir", "--all", "--json"])
    resources = json.loads(listed.stdout)["Resources"]
    assert [r["userName"] for r in resources] == ["ann"] and "active" not in resources[0]
