"""``idconnect sql ...``: the commands idconnect-sql adds to the command line.

Commands get the CLI's application object (``ctx.obj``, :class:`idconnect.cli.context.App`)
with :func:`click.pass_obj` and reach stores only through it: ``idconnect.cli`` is not part of
the public backend API, so this module names only what it uses of it (:class:`_App`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import click

if TYPE_CHECKING:
    from idconnect import Store

__all__ = ["sql"]


class _App(Protocol):
    """What these commands use of the CLI's application object."""

    def store(self, name: str) -> Store:
        """Return a configured store by name."""


@click.group(name="sql")
def sql() -> None:
    """Commands of the SQL backend (idconnect-sql)."""


@sql.command(name="seed-demo")
@click.argument("store")
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
@click.pass_obj
def seed_demo_command(app: _App, store: str, count: int, seed: int) -> None:
    """Write demo customers straight into the empty managed SQL store STORE (no audit events)."""
    from idconnect_sql.demo import seed_demo  # SQLAlchemy loads only when the command runs

    counts = seed_demo(app.store(store), count=count, seed=seed)
    for kind, rows in counts.items():
        click.echo(f"{kind}: {rows:,}")
