"""The bulk-action experience: pick accounts, confirm, dry-run, progress bar, outcome summary.

Every bulk command (enable, disable, delete, group add/remove) goes through :func:`run_bulk`, so
they all count, ask and report the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click
from attrs import frozen
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from idconnect.cli.context import (
    App,
    filter_option,
    json_option,
    print_model,
    reason_option,
)
from idconnect.cli.errors import EXIT_FAILED, EXIT_OK
from idconnect.cli.render import status_text
from idconnect.core.errors import IdconnectError, NotFound
from idconnect.core.model import Account, BulkResult, Outcome

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = ["BulkAction", "Selection", "bulk_options", "run_bulk", "run_import", "select_accounts"]

F = TypeVar("F", bound=Callable[..., Any])


@frozen(kw_only=True)
class BulkAction:
    """What a bulk command does, in words and in code."""

    verb: str
    """The past participle shown to people, e.g. ``disabled``."""
    run: Callable[[Sequence[str], Callable[[int], None]], BulkResult]
    """Applies the action to a list of ids, reporting progress, and returns each outcome."""
    irreversible: bool = False
    """Whether to warn that the action cannot be undone."""
    target: str = ""
    """Extra words after the store, e.g. ``to group 'staff'``."""


def bulk_options(func: F) -> F:
    """Add the options every bulk command shares: --filter, --reason, --dry-run, --yes, --json."""
    func = json_option(func)
    func = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")(func)
    func = click.option("--dry-run", is_flag=True, help="List the accounts; change nothing.")(func)
    return filter_option(reason_option(func))


@frozen(kw_only=True)
class Selection:
    """The accounts a bulk command acts on."""

    ids: tuple[str, ...]
    """Their ids, without duplicates, in order."""
    found: Mapping[str, Account]
    """The accounts already read while selecting (all of them for ``--filter``)."""


def select_accounts(store: Store, ids: Sequence[str], filter_text: str | None) -> Selection:
    """Return the accounts a bulk command acts on: those given, or those matching ``--filter``.

    :param store: the store.
    :param ids: account ids from the command line.
    :param filter_text: the ``--filter`` expression, or ``None``.
    :returns: the selection.
    :raises click.UsageError: when both or neither were given.
    :raises FilterError: for a bad filter.
    """
    if ids and filter_text is not None:
        raise click.UsageError("give account ids or --filter, not both")
    if not ids and filter_text is None:
        raise click.UsageError("give account ids or --filter EXPR")
    if ids:
        return Selection(ids=tuple(dict.fromkeys(ids)), found={})
    found = {a.id: a for a in store.iter_accounts(filter_text) if a.id is not None}
    return Selection(ids=tuple(found), found=found)


def _preview(app: App, store: Store, selection: Selection, action: BulkAction) -> None:
    table = Table(header_style="bold")
    for column in ("ID", "User name", "Status"):
        table.add_column(column, no_wrap=True)
    ids = selection.ids
    for account_id in ids:
        account = selection.found.get(account_id)
        if account is None:
            try:
                account = store.get_account(account_id)
            except NotFound:
                account = None
        if account is None:
            table.add_row(account_id, "", "[red]not found (would fail)[/red]")
        else:
            table.add_row(account_id, account.user_name, status_text(account))
    app.out.print(table)
    app.out.print(
        f"Dry run: {len(ids)} account(s) would be {action.verb} in store {store.name!r}"
        f"{' ' + action.target if action.target else ''}; nothing changed."
    )


def _apply(app: App, ids: Sequence[str], action: BulkAction) -> BulkResult:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=app.err, transient=False) as progress:
        task = progress.add_task(action.verb.capitalize(), total=len(ids))
        return action.run(ids, lambda done: progress.advance(task, done))


def _summary(app: App, outcomes: Sequence[Outcome], action: BulkAction) -> None:
    failed = [o for o in outcomes if not o.ok]
    unknown = sum(1 for o in failed if o.indeterminate)
    table = Table(title="Outcome", header_style="bold")
    table.add_column("Result")
    table.add_column("Accounts", justify="right")
    table.add_row(f"[green]{action.verb}[/green]", str(len(outcomes) - len(failed)))
    table.add_row("[red]failed[/red]", str(len(failed) - unknown))
    if unknown:
        table.add_row("[yellow]indeterminate[/yellow] (sent, no answer)", str(unknown))
    app.out.print(table)
    if failed:
        errors = Table(title="Failures", header_style="bold")
        errors.add_column("Account", no_wrap=True)
        errors.add_column("Result", no_wrap=True)
        errors.add_column("Error", no_wrap=True)
        errors.add_column("Cause")
        for outcome in failed:
            exc = outcome.error
            code = exc.code if isinstance(exc, IdconnectError) else type(exc).__name__
            cause = exc.message if isinstance(exc, IdconnectError) else str(exc)
            errors.add_row(outcome.account_id, outcome.status, code, cause)
        app.out.print(errors)


def run_bulk(
    app: App,
    store: Store,
    selection: Selection,
    action: BulkAction,
    *,
    dry_run: bool,
    yes: bool,
    as_json: bool = False,
) -> int:
    """Confirm, run and report a bulk action.

    :param app: the CLI state (consoles).
    :param store: the store acted on.
    :param selection: the selected accounts.
    :param action: what to do to them.
    :param dry_run: list the accounts and change nothing.
    :param yes: skip the confirmation question.
    :param as_json: print the result's canonical JSON on stdout instead of the summary tables
        (messages then go to stderr).
    :returns: the exit status: 0 when every account succeeded, 1 when any failed or the user
        declined.
    """
    say = app.err if as_json else app.out
    where = f"in store {store.name!r}" + (f" {action.target}" if action.target else "")
    ids = selection.ids
    if not ids:
        say.print(f"No accounts selected {where}; nothing to do.")
        return EXIT_OK
    if dry_run:
        _preview(app, store, selection, action)
        return EXIT_OK
    say.print(f"{len(ids)} account(s) will be {action.verb} {where}.")
    if action.irreversible:
        say.print("[bold red]This is irreversible.[/bold red]")
    if not yes and not click.confirm("Continue?", default=False, err=as_json):
        app.err.print("Cancelled; nothing changed.")
        return EXIT_FAILED
    result = _apply(app, ids, action)
    if as_json:
        print_model(result)
    else:
        _summary(app, result.outcomes, action)
    return EXIT_OK if result.ok else EXIT_FAILED


def run_import(
    app: App, store: Store, docs: Sequence[Mapping[str, Any]], reason: str, as_json: bool = False
) -> int:
    """Create many accounts from SCIM User documents, with a progress bar and a summary.

    :param app: the CLI state (consoles).
    :param store: the store to create them in.
    :param docs: the documents.
    :param reason: why (recorded in the audit trail).
    :param as_json: print the result's canonical JSON instead of the summary tables.
    :returns: the exit status: 0 when every account was created, 1 otherwise.
    """
    action = BulkAction(
        verb="created",
        run=lambda _ids, progress: store.create_accounts(docs, reason=reason, progress=progress),
    )
    result = _apply(app, [str(n) for n in range(len(docs))], action)
    if as_json:
        print_model(result)
    else:
        _summary(app, result.outcomes, action)
    return EXIT_OK if result.ok else EXIT_FAILED
