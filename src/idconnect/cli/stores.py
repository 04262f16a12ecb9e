"""``idconnect stores`` and ``idconnect store init``: what is configured and whether it answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from rich.table import Table
from rich.text import Text

from idconnect.cli.context import App, complete_store, json_option, pass_app, print_json
from idconnect.core.errors import IdconnectError

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = ["store", "stores"]


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
    app.out.print(app.hub.permissions.describe())


@click.group()
def store() -> None:
    """Set up a store."""


@store.command("init")
@click.argument("name", shell_complete=complete_store)
@pass_app
def init_store(app: App, name: str) -> None:
    """Create what store NAME needs before first use, e.g. its tables (safe to run again)."""
    done = app.store(name).provision()
    app.out.print(f"Store {name!r} is initialised ({done}).")
