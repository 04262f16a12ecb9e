"""``idconnect stores`` and ``idconnect store init``: what is configured and whether it answers."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from idconnect.cli.context import App, complete_store, json_option, pass_app, print_json
from idconnect.core.errors import ConfigError, IdconnectError
from idconnect.core.facade import Store

__all__ = ["sql_plugin", "store", "stores"]


def _health(target: Store) -> dict[str, Any]:
    try:
        target.ping()
        capabilities = sorted(target.capabilities)
    except IdconnectError as exc:
        return {
            "name": target.name,
            "plugin": target.config.plugin,
            "reachable": False,
            "error": exc.message,
            "capabilities": [],
        }
    return {
        "name": target.name,
        "plugin": target.config.plugin,
        "reachable": True,
        "capabilities": capabilities,
    }


@click.command()
@json_option
@pass_app
def stores(app: App, json_flag: bool) -> None:
    """List the configured stores: plugin, capabilities and whether each answers."""
    report = [_health(app.store(name)) for name in app.hub.stores]
    if app.wants_json(json_flag):
        print_json(report)
        return
    table = Table(header_style="bold")
    table.add_column("Store", no_wrap=True)
    table.add_column("Plugin", no_wrap=True)
    table.add_column("Health", no_wrap=True)
    table.add_column("Capabilities")
    for row in report:
        health = (
            Text("reachable", style="green")
            if row["reachable"]
            else Text(f"unreachable: {row['error']}", style="red")
        )
        table.add_row(row["name"], row["plugin"], health, ", ".join(row["capabilities"]))
    app.out.print(table)


def sql_plugin(target: Store) -> ModuleType:
    """Return the ``idconnect_sql`` module for a ``sql`` store.

    :param target: the store.
    :returns: the imported module.
    :raises ConfigError: when the store is not a sql store or the plugin is not installed.
    """
    if target.config.plugin != "sql":
        raise ConfigError(
            f"this command needs a sql store; this one is {target.config.plugin!r}",
            store=target.name,
        )
    try:
        return importlib.import_module("idconnect_sql")
    except ImportError:
        raise ConfigError(
            "the sql plugin is not installed: pip install idconnect-sql"
            " (in this repository: pip install -e plugins/sql_store)",
            store=target.name,
        ) from None


@click.group()
def store() -> None:
    """Set up a store."""


@store.command("init")
@click.argument("name", shell_complete=complete_store)
@pass_app
def init_store(app: App, name: str) -> None:
    """Create the tables of sql store NAME (safe to run again)."""
    target = app.store(name)
    revision = sql_plugin(target).init_store(target.config)
    app.out.print(f"Store {name!r} is initialised (schema revision {revision}).")
