"""The provisioning hook (``idconnect store init``) and the ``idconnect sql`` commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import idconnect_sql
import pytest
from idconnect_sql.plugin import idconnect_cli_commands

import idconnect
from idconnect import NotSupported, StoreUnavailable
from idconnect.backend import StoreConfig


def test_provision_creates_the_schema_once(namespaces, open_hub):
    settings = namespaces.empty()
    store = open_hub({**settings, "create_schema": False}).store("s")
    with pytest.raises(StoreUnavailable, match="store init"):
        store.search_accounts()
    assert store.provision() == "schema revision 0006_child_kinds"
    assert store.provision() == "schema revision 0006_child_kinds"  # idempotent
    assert store.create_account({"userName": "after.init"}, reason="test").user_name == "after.init"
    assert (
        idconnect_sql.init_store(StoreConfig(name="s", plugin="sql", settings=settings)) == "0006"
    )


def test_a_mapped_store_is_not_provisioned(make_mapped_store):
    with pytest.raises(NotSupported):
        make_mapped_store().provision()


def test_the_hook_adds_the_sql_group():
    root = click.Group()
    idconnect_cli_commands(root)
    assert set(root.commands) == {"sql"}
    assert set(root.commands["sql"].commands) == {"seed-demo"}


def _idconnect(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``idconnect`` command (its root loads the plugins' commands)."""
    command = Path(sys.executable).with_name("idconnect")
    return subprocess.run(
        [str(command), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "idconnect.toml"
    config.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[stores.crm]\nplugin = "sql"\nurl = "sqlite:///{tmp_path / "crm.db"}"\n',
        encoding="utf-8",
    )
    return config


def test_cli_seed_demo_seeds_an_empty_managed_store_once(tmp_path):
    config = _config(tmp_path)
    result = _idconnect(config, "sql", "seed-demo", "crm", "--count", "7", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "accounts: 7" in result.stdout
    hub = idconnect.connect(config)
    try:
        assert len(list(hub.store("crm").iter_accounts())) == 7
    finally:
        hub.close()
    again = _idconnect(config, "sql", "seed-demo", "crm", "--count", "7")
    assert again.returncode != 0
    assert "already holds accounts" in again.stderr
    assert "Traceback" not in again.stderr


def test_cli_seed_demo_refuses_a_bad_count(tmp_path):
    result = _idconnect(_config(tmp_path), "sql", "seed-demo", "crm", "--count", "-1")
    assert result.returncode == 2
    assert "--count" in result.stderr
