"""``idconnect sql ...``: the commands idconnect-sql adds to the command line."""

from __future__ import annotations

import click

from idconnect.cli.context import App, pass_app, store_argument
from idconnect_sql.demo import seed_demo

__all__ = ["sql"]


@click.group(name="sql")
def sql() -> None:
    """Commands of the SQL backend (idconnect-sql)."""


@sql.command(name="seed-demo")
@store_argument
@click.option(
    "--count",
    type=click.IntRange(0, 10_000_000),
    default=10_000,
    show_default=True,
    help="How many customer accounts to write.",
)
@click.option(
    "--seed", type=int, default=42, show_default=True, help="Random seed (same seed, same data)."
)
@pass_app
def seed_demo_command(app: App, store: str, count: int, seed: int) -> None:
    """Write demo customers straight into the managed SQL store STORE (fast, no audit events)."""
    counts = seed_demo(app.store(store), count=count, seed=seed)
    for kind, rows in counts.items():
        app.out.print(f"{kind}: {rows:,}")
