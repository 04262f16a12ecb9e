"""``idconnect demo``: seed a store (the embedded SQLite one by default) and show what to try."""

from __future__ import annotations

import contextlib
import shlex
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from idconnect.cli.context import App, pass_app
from idconnect.cli.demo_data import seed_through_facade
from idconnect.core.errors import NotSupported
from idconnect.core.model import Account

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = ["demo", "tour"]


def _first(target: Store, filter_text: str | None) -> Account | None:
    items = target.search_accounts(filter_text, sort_by="userName", count=1).items
    return items[0] if items else None


def _program() -> str:
    # The command as the user ran it: ".venv/bin/idconnect" until the venv is activated.
    invoked = sys.argv[0] if sys.argv else ""
    on_path = shutil.which("idconnect")
    if Path(invoked).name != "idconnect" or (
        on_path is not None and Path(on_path).resolve() == Path(invoked).resolve()
    ):
        return "idconnect"
    return shlex.quote(invoked)


def _tour(app: App, target: Store, config: str | None) -> None:
    prefix = _program() + (f" --config {shlex.quote(config)}" if config else "")
    app.out.print("\n[bold]Try these:[/bold]")
    for what, command in tour(target, prefix):
        app.out.print(f"  [dim]# {what}[/dim]")
        app.out.print(f"  {command}", soft_wrap=True)


def tour(target: Store, prefix: str = "idconnect") -> list[tuple[str, str]]:
    """Return the guided tour for a seeded store: what to try, and the command for it.

    Every command is chosen from what the store holds, so each returns something.

    :param target: the seeded store.
    :param prefix: how to run idconnect (with ``--config`` where needed).
    :returns: (what it shows, the command line) pairs.
    """
    name = target.name
    catalogue = target.catalogue
    sample = _first(target, "emails.verified eq true") or _first(target, None)
    email = sample.primary_email if sample is not None else None
    domain = email.rpartition("@")[2] if email else "example.com"
    lines = [
        ("What is configured, and does it answer?", f"{prefix} stores"),
        (
            f"Find customers at {domain}",
            f"{prefix} accounts list {name} --filter 'emails.value ew \"@{domain}\"' --count 10",
        ),
        (
            "Newest customers first",
            f"{prefix} accounts list {name} --sort-by meta.created --desc --count 5",
        ),
    ]
    if email and sample is not None:
        lines += [
            (
                "Find one person by email",
                f"{prefix} accounts list {name} --filter 'emails.value eq \"{email}\"'",
            ),
            (
                f"Look at {email} (an id or userName works too)",
                f"{prefix} accounts show {name} {email}",
            ),
            ("...as SCIM JSON for a script", f"{prefix} accounts show {name} {email} --json"),
        ]
    if "organization" in catalogue and _first(target, 'organization eq "Acme"') is not None:
        lines.append(
            (
                "Customers of Acme",
                f"{prefix} accounts list {name} --filter 'organization eq \"Acme\"'",
            )
        )
    lines += _group_and_role_lines(target, prefix)
    locked = (
        _first(target, "failedAttempts.password gt 0")
        if "failedAttempts.password" in catalogue
        else None
    )
    if locked is not None:
        lines.append(
            (
                f"Unlock {locked.user_name} after failed logins",
                f"{prefix} failed-attempts reset {name} {locked.user_name} --reason 'ticket 1234'",
            )
        )
    if _first(target, "active eq false") is not None:
        lines.append(
            ("Who is disabled?", f"{prefix} accounts list {name} --filter 'active eq false'")
        )
    lines.append(_bulk_preview(target, prefix))
    lines.append(("See who did what", f"{prefix} events {name} --since 1d"))
    return lines


def _group_and_role_lines(target: Store, prefix: str) -> list[tuple[str, str]]:
    name = target.name
    lines = []
    caps = target.capabilities
    if "search_groups" in caps and any(
        g.display_name == "beta testers" for g in target.iter_groups()
    ):
        lines.append(("Who tests the beta?", f"{prefix} groups show {name} 'beta testers'"))
    if "list_roles" in caps and target.list_roles():
        lines.append(("Which roles are given out?", f"{prefix} roles list {name}"))
    return lines


def _bulk_preview(target: Store, prefix: str) -> tuple[str, str]:
    name = target.name
    oldest = None
    if "lastLogin" in target.catalogue:
        found = target.search_accounts("lastLogin pr", sort_by="lastLogin", count=1).items
        oldest = found[0].last_login if found else None
    if oldest is not None:
        cutoff = (oldest + timedelta(days=60)).date().isoformat()
        return (
            "Preview disabling dormant accounts",
            f"{prefix} accounts disable {name} --filter 'lastLogin lt \"{cutoff}\"'"
            " --reason 'dormant' --dry-run",
        )
    return (
        "Preview disabling accounts whose email was never verified",
        f"{prefix} accounts disable {name} --filter 'emails.verified eq false'"
        " --reason 'unverified' --dry-run",
    )


@click.command()
@click.option(
    "--accounts",
    "count",
    type=click.IntRange(1, 10_000_000),
    default=10_000,
    show_default=True,
    help="How many customer accounts to create.",
)
@click.option(
    "--seed", type=int, default=42, show_default=True, help="Random seed (same seed, same data)."
)
@click.option(
    "--store",
    "store_name",
    default="default",
    show_default=True,
    help="The store to seed (the embedded default needs no config).",
)
@pass_app
def demo(app: App, count: int, seed: int, store_name: str) -> None:
    """Seed a store (the embedded SQLite one by default) with customers; print a guided tour."""
    target = app.store(store_name)
    with contextlib.suppress(NotSupported):
        target.provision()
    if target.search_accounts(count=1).items:
        app.out.print(
            f"Store {store_name!r} already has accounts; not seeding again"
            " (delete its database file to start over)."
        )
    else:
        with app.err.status(f"Seeding {count:,} accounts into store {store_name!r}..."):
            try:
                counts = target.seed_demo(count, seed)
            except NotSupported:
                counts = seed_through_facade(target, count, seed)
        table = Table(title=f"Seeded store {store_name!r}", header_style="bold")
        table.add_column("Kind")
        table.add_column("Count", justify="right")
        for kind, rows in counts.items():
            table.add_row(str(kind), f"{rows:,}")
        app.out.print(table)
    _tour(app, target, app.config)
