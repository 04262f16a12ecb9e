"""``idconnect policy run dormant STORE``: who the dormant policy warns, disables or deletes."""

from __future__ import annotations

import click
from rich.table import Table

from idconnect.cli.context import App, json_option, pass_app, print_json, store_argument
from idconnect.cli.render import add_column

__all__ = ["policy"]


@click.group()
def policy() -> None:
    """Account policies configured per store ([stores.NAME.policies.*])."""


@policy.group("run")
def run() -> None:
    """Apply a policy now."""


@run.command("dormant")
@store_argument
@click.option(
    "--dry-run", is_flag=True, help="Only print who would be warned, disabled or deleted."
)
@click.option("--detach", is_flag=True, help="Do not wait for the jobs the policy starts.")
@json_option
@pass_app
def dormant(app: App, store: str, dry_run: bool, detach: bool, json_flag: bool) -> None:
    """Apply the dormant-account policy: warn first, then disable (or delete) as a durable job."""
    target = app.store(store)
    done = target.run_dormant_policy(dry_run=dry_run)
    jobs = [j if detach else target.wait_job(j.id) for j in done.jobs]
    if app.wants_json(json_flag):
        print_json(done.document(jobs))
        return
    table = Table(box=None)
    for header in ("ACCOUNT", "USERNAME", "ACTION", "WHY"):
        add_column(table, header, no_wrap=header != "WHY")
    for d in done.decisions:
        table.add_row(d.account_id, d.user_name, _verb(d.action, dry_run), d.why)
    app.out.print(table)
    counts = {a: len(done.of(a)) for a in ("warn", "disable", "delete", "wait", "clear")}
    app.out.print(", ".join(f"{n} {_verb(a, dry_run)}" for a, n in counts.items()))
    for n in done.warnings:
        if n.failed:
            app.err.print(f"warning to {n.account_id} not sent: {n.cause}")
    for j in jobs:
        app.out.print(f"job {j.id} {j.action}: {j.status}, {j.done}/{j.total} done")
    if any(n.failed for n in done.warnings) or any(j.counts.get("failed") for j in jobs):
        raise click.exceptions.Exit(1)


def _verb(action: str, dry_run: bool) -> str:
    words = {
        "warn": ("would be warned", "warned"),
        "disable": ("would be disabled", "disabling"),
        "delete": ("would be deleted", "deleting"),
        "wait": ("in grace", "in grace"),
        "clear": ("logged in since the warning", "warning dropped"),
    }
    return words[action][0 if dry_run else 1]
