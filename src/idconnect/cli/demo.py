"""``idconnect demo``: seed a store (the embedded SQLite one by default) and show what to try.

With ``--serve`` it also makes a console login for the admin :data:`DEMO_ADMIN` (a fresh random
password each run, printed once with the console's URL) and serves the HTTP service and the
console exactly as ``idconnect serve`` does.
"""

from __future__ import annotations

import contextlib
import secrets
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
from idconnect.cli.serve import serve
from idconnect.core.errors import NotSupported
from idconnect.core.model import Account

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = ["DEMO_ADMIN", "demo", "tour"]

DEMO_ADMIN = "demo"
"""The admin ``idconnect demo --serve`` logs in to the console as (holding ``owner``)."""


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
@click.option(
    "--serve",
    "serving",
    is_flag=True,
    help="Then make a console login for the admin 'demo' and serve the console.",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port of 127.0.0.1 to serve on (with --serve).",
)
@pass_app
def demo(app: App, count: int, seed: int, store_name: str, serving: bool, port: int) -> None:
    """Seed a store (the embedded SQLite one by default) with customers; print a guided tour.

    With --serve, make a console login for the admin 'demo' (a new random password, printed
    once) and serve the support console on http://127.0.0.1:PORT/console/login.
    """
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
    if not serving:
        app.out.print("\n[bold]Next, the support console in your browser:[/bold]")
        config = f" --config {shlex.quote(app.config)}" if app.config else ""
        app.out.print(f"  {_program()}{config} demo --serve", soft_wrap=True)
        return
    password = _demo_admin(app)
    app.out.print("\n[bold]The support console[/bold] (Ctrl-C stops it):")
    app.out.print(f"  URL:      http://127.0.0.1:{port}/console/login", soft_wrap=True)
    app.out.print(f"  admin:    {DEMO_ADMIN}")
    app.out.print(f"  password: {password}   (shown only this once; a new one each run)")
    sys.stdout.flush()  # the password is read before the server's first log line
    app.hub.close()
    click.get_current_context().invoke(serve, host="127.0.0.1", port=port, workers=1, threads=None)


def _demo_admin(app: App) -> str:
    from idconnect.core.admin_login import set_admin_password
    from idconnect.core.admins import OWNER

    hub = app.hub
    reason = "idconnect demo --serve"
    if not hub.permissions.configured:
        # granting a role makes permissions configured: whoever runs the demo keeps acting
        hub.admins.grant(hub.actor, OWNER.name, reason=reason)
    if OWNER.name not in hub.admins.members().get(DEMO_ADMIN, ()):
        hub.admins.grant(DEMO_ADMIN, OWNER.name, reason=reason)
    password = secrets.token_urlsafe(12)
    set_admin_password(hub, DEMO_ADMIN, password, by=hub.actor, reason=reason)
    return password
