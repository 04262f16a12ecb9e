"""``idconnect jobs ...``: durable bulk jobs: start, list, show, watch, cancel, undo, run."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import click
from rich.table import Table

from idconnect.cli.context import (
    App,
    filter_option,
    json_option,
    pass_app,
    print_json,
    reason_option,
    store_argument,
)
from idconnect.cli.render import add_column, when
from idconnect.core.jobs import ACTIONS, DEFAULT_CHUNK, Job, item_document, job_document

__all__ = ["jobs"]

_JOB = click.argument("job_id", metavar="JOB")


@click.group()
def jobs() -> None:
    """Durable bulk jobs: resumable after a crash, progress kept, undoable."""


def _line(job: Job) -> str:
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(job.counts.items())) or "none"
    eta = job.eta
    left = "" if job.finished or eta is None else f", about {int(eta.total_seconds())}s left"
    return (
        f"job {job.id} {job.action} on {job.store}: {job.status}, {job.done}/{job.total}"
        f" done ({job.progress:.0%}{left}); {counts}"
    )


def _exit_status(job: Job) -> None:
    """Exit 1 when some account failed or stayed indeterminate (as bulk actions do)."""
    if job.counts.get("failed") or job.counts.get("indeterminate"):
        raise click.exceptions.Exit(1)


@jobs.command("start")
@store_argument
@click.argument("action", type=click.Choice(list(ACTIONS)))
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT_ID...]")
@click.option("--ids", "id_lists", multiple=True, help="Account ids, comma-separated.")
@filter_option
@click.option("--group", "group_id", help="The group (add_to_group, remove_from_group).")
@click.option("--role", help="The role (assign_role, unassign_role).")
@click.option("--organization", help="The role's organization.")
@click.option("--dry-run", is_flag=True, help="Only say what would change.")
@click.option("--queue", is_flag=True, help="Run on the task queue's workers (idconnect[jobs]).")
@click.option("--detach", is_flag=True, help="Return at once; the job runs on (see jobs watch).")
@click.option(
    "--chunk-size", type=click.IntRange(1, 10_000), default=DEFAULT_CHUNK, show_default=True
)
@reason_option
@json_option
@pass_app
def start_job(
    app: App,
    store: str,
    action: str,
    accounts: Sequence[str],
    id_lists: Sequence[str],
    filter_text: str | None,
    group_id: str | None,
    role: str | None,
    organization: str | None,
    dry_run: bool,
    queue: bool,
    detach: bool,
    chunk_size: int,
    reason: str,
    json_flag: bool,
) -> None:
    """Start a job running ACTION over accounts (ids, or --filter, snapshotted now).

    In this process by default: the command shows progress until the job is done; if it is
    stopped, `idconnect jobs resume` carries on where it left off.
    """
    ids = [*accounts, *(i.strip() for text in id_lists for i in text.split(",") if i.strip())]
    if bool(ids) == (filter_text is not None):
        raise click.UsageError("give account ids (ACCOUNT_ID... or --ids) or --filter, not both")
    arguments: dict[str, Any] = {}
    for name, value in (("group_id", group_id), ("role", role), ("organization", organization)):
        if value is not None:
            arguments[name] = value
    target = app.store(store)
    job = target.start_job(
        action,
        ids=ids or None,
        filter=filter_text,
        reason=reason,
        dry_run=dry_run,
        runner="queue" if queue else "thread",
        chunk_size=chunk_size,
        **arguments,
    )
    if not (detach or queue or dry_run):
        job = _follow(app, target, job, interval=0.5, quiet=json_flag)
    if app.wants_json(json_flag):
        print_json(job_document(job))
    else:
        app.out.print(_line(job))
    _exit_status(job)


def _follow(app: App, target: Any, job: Job, *, interval: float, quiet: bool) -> Job:
    """Print the job's progress on stderr until it is finished."""
    while True:
        job = target.wait_job(job.id, timeout=interval)
        if not quiet:
            app.err.print(_line(job))
        if job.finished:
            return job


@jobs.command("list")
@store_argument
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@json_option
@pass_app
def list_jobs(app: App, store: str, limit: int, json_flag: bool) -> None:
    """List the store's jobs, newest first."""
    found = app.store(store).jobs(limit=limit)
    if app.wants_json(json_flag):
        print_json([job_document(j) for j in found])
        return
    table = Table(box=None)
    for header in ("ID", "ACTION", "STATUS", "DONE", "OUTCOMES", "ACTOR", "STARTED", "REASON"):
        add_column(table, header, no_wrap=header != "REASON")
    for j in found:
        counts = ", ".join(f"{n} {o}" for o, n in sorted(j.counts.items()))
        table.add_row(
            j.id,
            j.action + (" (dry run)" if j.dry_run else ""),
            j.status,
            f"{j.done}/{j.total}",
            counts,
            j.actor,
            when(j.created_at),
            j.reason,
        )
    app.out.print(table)


@jobs.command("show")
@store_argument
@_JOB
@click.option("--outcome", help="List the accounts with this outcome (ok, failed, skipped, ...).")
@click.option("--count", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
@pass_app
def show_job(
    app: App, store: str, job_id: str, outcome: str | None, count: int, json_flag: bool
) -> None:
    """Show a job: status, progress, ETA, outcomes; with --outcome, those accounts."""
    target = app.store(store)
    job = target.job(job_id)
    items = target.job_items(job.id, outcome=outcome, count=count) if outcome else []
    if app.wants_json(json_flag):
        print_json({**job_document(job), "items": [item_document(p, i) for p, i in items]})
        return
    app.out.print(_line(job))
    app.out.print(f"reason: {job.reason}  actor: {job.actor}  runner: {job.runner}")
    for label, value in (("undoes", job.undo_of), ("undone by", job.undone_by)):
        if value:
            app.out.print(f"{label}: job {value}")
    if job.cancelled_by:
        app.out.print(f"cancelled by {job.cancelled_by}: {job.cancel_reason}")
    for _, item in items:
        why = f"  {item.error_code}: {item.error}" if item.error_code else ""
        app.out.print(f"  {item.account_id}  {item.outcome}  before={item.before}{why}")


@jobs.command("watch")
@store_argument
@_JOB
@click.option("--interval", type=click.FloatRange(0.1, 60), default=1.0, show_default=True)
@pass_app
def watch_job(app: App, store: str, job_id: str, interval: float) -> None:
    """Print a job's progress every INTERVAL seconds until it is finished."""
    target = app.store(store)
    while True:
        job = target.job(job_id)
        app.out.print(_line(job))
        if job.finished:
            break
        time.sleep(interval)
    _exit_status(job)


@jobs.command("cancel")
@store_argument
@_JOB
@reason_option
@pass_app
def cancel_job(app: App, store: str, job_id: str, reason: str) -> None:
    """Cancel a job: no further chunk starts (accounts done stay done; undo them with undo)."""
    app.out.print(_line(app.store(store).cancel_job(job_id, reason=reason)))


@jobs.command("undo")
@store_argument
@_JOB
@click.option("--queue", is_flag=True, help="Run on the task queue's workers.")
@click.option("--detach", is_flag=True, help="Return at once.")
@reason_option
@json_option
@pass_app
def undo_job(
    app: App, store: str, job_id: str, queue: bool, detach: bool, reason: str, json_flag: bool
) -> None:
    """Undo a finished or cancelled job as a new job (accounts changed since are skipped)."""
    target = app.store(store)
    job = target.undo_job(job_id, reason=reason, runner="queue" if queue else "thread")
    if not (detach or queue):
        job = _follow(app, target, job, interval=0.5, quiet=json_flag)
    if app.wants_json(json_flag):
        print_json(job_document(job))
    else:
        app.out.print(_line(job))
    _exit_status(job)


@jobs.command("resume")
@store_argument
@_JOB
@pass_app
def resume_job(app: App, store: str, job_id: str) -> None:
    """Work on a job in this process until it is finished (after a crash, say)."""
    target = app.store(store)
    target.run_job(job_id)
    job = target.job(job_id)
    app.out.print(_line(job))
    _exit_status(job)


@jobs.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--once", is_flag=True, help="Stop when the queue is empty.")
@pass_app
def worker(app: App, concurrency: int, once: bool) -> None:
    """Run a worker of the task queue (procrastinate on the PostgreSQL state database).

    Start as many as you like, on any host reaching the state database: they share each job
    in chunks; a worker killed mid-chunk leaves it to the others once its lease expires.
    """
    from idconnect.core.job_queue import run_worker  # the optional extra idconnect[jobs]

    run_worker(app.hub, concurrency=concurrency, once=once)
