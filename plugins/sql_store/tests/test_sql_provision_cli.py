"""The provisioning hook (``idconnect store init``) and the ``idconnect sql`` commands."""

from __future__ import annotations

from pathlib import Path

import click
import idconnect_sql
import pytest
from click.testing import CliRunner
from idconnect_sql.plugin import idconnect_cli_commands

import idconnect
from idconnect import InvalidInput, NotSupported, StoreUnavailable
from idconnect.backend import StoreConfig
from idconnect.cli.context import App


def test_provision_creates_the_schema_once(namespaces, open_hub):
    settings = namespaces.empty()
    store = open_hub({**settings, "create_schema": False}).store("s")
    with pytest.raises(StoreUnavailable, match="store init"):
        store.search_accounts()
    assert store.provision() == "schema revision 0001_baseline"
    assert store.provision() == "schema revision 0001_baseline"  # idempotent
    assert store.create_account({"userName": "after.init"}, reason="test").user_name == "after.init"
    assert (
        idconnect_sql.init_store(StoreConfig(name="s", plugin="sql", settings=settings)) == "0001"
    )


def test_a_mapped_store_is_not_provisioned(make_mapped_store):
    with pytest.raises(NotSupported):
        make_mapped_store().provision()


def _root(config: Path) -> click.Group:
    """A root command giving commands the App, as ``idconnect`` does, with the plugin's commands."""

    @click.group()
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.obj = App(config=str(config), actor=None, json_output=False, debug=False)

    idconnect_cli_commands(root)
    return root


def test_cli_seed_demo_seeds_a_managed_store(tmp_path):
    config = tmp_path / "idconnect.toml"
    config.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[stores.crm]\nplugin = "sql"\nurl = "sqlite:///{tmp_path / "crm.db"}"\n',
        encoding="utf-8",
    )
    root = _root(config)
    assert set(root.commands["sql"].commands) == {"seed-demo"}
    result = CliRunner().invoke(root, ["sql", "seed-demo", "crm", "--count", "7", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "accounts: 7" in result.output
    hub = idconnect.connect(config)
    try:
        assert len(list(hub.store("crm").iter_accounts())) == 7
    finally:
        hub.close()
    again = CliRunner().invoke(root, ["sql", "seed-demo", "crm", "--count", "7"])
    assert isinstance(again.exception, InvalidInput)
    assert "already holds accounts" in again.exception.message


def test_cli_seed_demo_refuses_a_bad_count(tmp_path):
    config = tmp_path / "idconnect.toml"
    config.write_text(f'[stores.crm]\nplugin = "sql"\nurl = "sqlite:///{tmp_path / "c.db"}"\n')
    result = CliRunner().invoke(_root(config), ["sql", "seed-demo", "crm", "--count", "-1"])
    assert result.exit_code == 2
    assert "--count" in result.output
