"""Shared fixtures of the core tests (hypothesis' CI profile is set in the root conftest.py)."""

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

pytest_plugins = ["pytester"]


class RecordsEnv:
    """A SQLite store named ``main`` (tables created), a config naming it and a policy."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "idconnect.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n\n'
            f'[stores.main]\nplugin = "sql"\nurl = "sqlite:///{tmp_path / "store.db"}"\n\n'
            "[verification.policies.document-check]\n"
            'methods = ["document"]\nlevel = "substantial"\nvalidity = "365d"\n'
        )
        assert self.run("store", "init", "main").exit_code == 0
        self.hub = idconnect.connect(self.config)
        self.store = self.hub.store("main")

    def run(self, *args: str) -> Result:
        """Run ``idconnect --config FILE ARGS...`` (a hub of its own, as a shell would)."""
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def json(self, *args: str) -> Any:
        """Run a command with ``--json`` and parse what it printed."""
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def add(self, user_name: str) -> str:
        """Create an account with an email, returning its id."""
        doc = {"userName": user_name, "emails": [{"value": f"{user_name}@example.com"}]}
        created = self.store.create_account(doc, reason="setup")
        assert created.id is not None
        return created.id


@pytest.fixture
def records_env(tmp_path: Path) -> Iterator[RecordsEnv]:
    """A real embedded SQLite store with a verification policy, for the CLI (sql plugin needed)."""
    if importlib.util.find_spec("idconnect_sql") is None:
        pytest.skip("the sql plugin is not installed")
    made = RecordsEnv(tmp_path)
    yield made
    made.hub.close()
