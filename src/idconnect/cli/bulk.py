"""The bulk-action experience: pick accounts, confirm, dry-run, progress bar, outcome summary.

Every bulk command (enable, disable, delete, group add/remove) goes through :func:`run_bulk`, so
they all count, ask and report the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click
from attrs import evolve, field, frozen
from rich.table import Table

from idconnect.cli.context import (
    App,
    filter_option,
    json_option,
    print_model,
    reason_option,
)
from idconnect.cli.errors import EXIT_FAILED, EXIT_OK
from idconnect.cli.render import add_column, status_text
from idconnect.cli.resolve import resolve_accounts
from idconnect.core.errors import IdconnectError, InvalidInput
from idconnect.core.model import Account, BulkResult, Outcome

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = [
    "SHOWN_ROWS",
    "BulkAction",
    "Selection",
    "bulk_options",
    "run_bulk",
    "run_import",
    "select_accounts",
]

F = TypeVar("F", bound=Callable[..., Any])

SHOWN_ROWS = 20
"""How many accounts a dry run lists, and how many failures a bulk summary lists."""


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
    """Add the options every bulk command shares.

    ``--filter``, ``--reason``, ``--max``, ``--dry-run``, ``--yes`` and ``--json``; each is
    checked while the options are parsed, before anything is read or changed.
    """
    func = json_option(func)
    func = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")(func)
    func = click.option("--dry-run", is_flag=True, help="List the accounts; change nothing.")(func)
    func = click.option(
        "--max",
        "most",
        type=click.IntRange(min=1),
        metavar="N",
        help="Refuse (change nothing) when more than N accounts are selected.",
    )(func)
    return filter_option(reason_option(func))


@frozen(kw_only=True)
class Selection:
    """The accounts a bulk command acts on."""

    ids: tuple[str, ...]
    """Their ids (or, for names that match no account, the name as given), in order."""
    found: Mapping[str, Account]
    """The accounts already read while selecting, by id."""
    unknown: tuple[str, ...] = ()
    """The ids or names given that match no account (they fail when the action runs)."""
    skipped: Mapping[str, str] = field(factory=dict)
    """Accounts left alone because they are already as wanted, with why (``already a member``)."""

    def without(self, skipped: Mapping[str, str]) -> Selection:
        """Return the selection with some accounts set aside as already done.

        :param skipped: account id to why it needs nothing.
        :returns: the narrower selection.
        """
        return evolve(
            self,
            ids=tuple(i for i in self.ids if i not in skipped),
            skipped={**self.skipped, **skipped},
        )


def select_accounts(
    store: Store, refs: Sequence[str], filter_text: str | None, *, most: int | None = None
) -> Selection:
    """Return the accounts a bulk command acts on: those named, or those matching ``--filter``.

    :param store: the store.
    :param refs: account ids, userNames or email addresses from the command line.
    :param filter_text: the ``--filter`` expression, or ``None``.
    :param most: the ``--max`` limit, or ``None``.
    :returns: the selection.
    :raises click.UsageError: when both or neither were given.
    :raises FilterError: for a bad filter.
    :raises InvalidInput: when a name is ambiguous or more than ``most`` accounts are selected.
    """
    if refs and filter_text is not None:
        raise click.UsageError("give account ids or --filter, not both")
    if not refs and filter_text is None:
        raise click.UsageError("give account ids or --filter EXPR")
    if refs:
        if most is not None and len(dict.fromkeys(refs)) > most:
            raise _over(store, str(len(dict.fromkeys(refs))), most)
        ids, found, unknown = resolve_accounts(store, refs)
        return Selection(ids=ids, found=found, unknown=unknown)
    matched: dict[str, Account] = {}
    for account in store.iter_accounts(filter_text):
        if account.id is not None:
            matched[account.id] = account
        if most is not None and len(matched) > most:
            raise _over(store, f"more than {most}", most)
    return Selection(ids=tuple(matched), found=matched)


def _over(store: Store, counted: str, most: int) -> InvalidInput:
    return InvalidInput(
        f"{counted} accounts are selected, over the limit of --max {most}; nothing changed",
        store=store.name,
    )


def _preview(app: App, store: Store, selection: Selection, action: BulkAction) -> None:
    table = Table(header_style="bold")
    for column in ("ID", "User name", "Status"):
        add_column(table, column, no_wrap=column == "ID")
    ids = selection.ids
    known = [i for i in ids if i not in selection.unknown]
    for account_id in ids[:SHOWN_ROWS]:
        account = selection.found.get(account_id)
        if account is None:
            table.add_row(account_id, "", "[red]not found (would fail)[/red]")
        else:
            table.add_row(account_id, account.user_name, status_text(account, store.catalogue))
    app.out.print(table)
    if len(ids) > SHOWN_ROWS:
        app.out.print(f"... and {len(ids) - SHOWN_ROWS} more, not listed.")
    where = f"in store {store.name!r}" + (f" {action.target}" if action.target else "")
    app.out.print(
        f"Dry run: {len(known)} account(s) would be {action.verb} {where}; nothing changed."
    )
    if selection.unknown:
        names = ", ".join(selection.unknown[:SHOWN_ROWS])
        extra = len(selection.unknown) - SHOWN_ROWS
        more = f" and {extra} more" if extra > 0 else ""
        app.out.print(
            f"[red]{len(selection.unknown)} unknown[/red] (no account with that id, userName"
            f" or email; would fail): {names}{more}"
        )
    _print_skipped(app, selection.skipped)


def _print_skipped(app: App, skipped: Mapping[str, str]) -> None:
    counts = Counter(skipped.values())
    for why, n in sorted(counts.items()):
        app.out.print(f"{n} account(s) {why}; left as they are.")


def _apply(app: App, ids: Sequence[str], action: BulkAction) -> BulkResult:
    from rich.progress import (  # only when a bulk action runs, not at CLI start-up
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=app.err, transient=False) as progress:
        task = progress.add_task(action.verb.capitalize(), total=len(ids))
        return action.run(ids, lambda done: progress.advance(task, done))


def _summary(
    app: App, outcomes: Sequence[Outcome], action: BulkAction, skipped: Mapping[str, str]
) -> None:
    failed = [o for o in outcomes if not o.ok]
    unknown = sum(1 for o in failed if o.indeterminate)
    table = Table(title="Outcome", header_style="bold")
    add_column(table, "Result")
    add_column(table, "Accounts", justify="right")
    table.add_row(f"[green]{action.verb}[/green]", str(len(outcomes) - len(failed)))
    for why, n in sorted(Counter(skipped.values()).items()):
        table.add_row(why, str(n))
    table.add_row("[red]failed[/red]", str(len(failed) - unknown))
    if unknown:
        table.add_row("[yellow]indeterminate[/yellow] (sent, no answer)", str(unknown))
    app.out.print(table)
    if failed:
        _failures(app, failed)


def _failures(app: App, failed: Sequence[Outcome]) -> None:
    rows = [(o, *_error_of(o)) for o in failed]
    if len(rows) > SHOWN_ROWS:
        by_code = Table(title="Failures by error", header_style="bold")
        add_column(by_code, "Error", no_wrap=True)
        add_column(by_code, "Accounts", justify="right")
        for code, n in Counter(code for _, code, _ in rows).most_common():
            by_code.add_row(code, str(n))
        app.out.print(by_code)
    errors = Table(
        title="Failures" if len(rows) <= SHOWN_ROWS else f"The first {SHOWN_ROWS} failures",
        header_style="bold",
    )
    add_column(errors, "Account", no_wrap=True)
    add_column(errors, "Result", no_wrap=True)
    add_column(errors, "Error", no_wrap=True)
    add_column(errors, "Cause", min_width=20)
    for outcome, code, cause in rows[:SHOWN_ROWS]:
        errors.add_row(outcome.account_id, outcome.status, code, cause)
    app.out.print(errors)
    if len(rows) > SHOWN_ROWS:
        app.out.print(
            f"... and {len(rows) - SHOWN_ROWS} more failures: add --json for every outcome."
        )


def _error_of(outcome: Outcome) -> tuple[str, str]:
    exc = outcome.error
    if isinstance(exc, IdconnectError):
        return exc.code, exc.message
    return type(exc).__name__, str(exc)


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
    if not ids and not selection.skipped:
        say.print(f"No accounts selected {where}; nothing to do.")
        return EXIT_OK
    if dry_run:
        _preview(app, store, selection, action)
        return EXIT_OK
    if not ids:
        _print_skipped(app, selection.skipped)
        say.print(f"Nothing to do {where}.")
        return EXIT_OK
    say.print(f"{len(ids)} account(s) will be {action.verb} {where}.")
    if selection.unknown:
        say.print(f"[red]{len(selection.unknown)} of them match no account[/red] and will fail.")
    if action.irreversible:
        say.print("[bold red]This is irreversible.[/bold red]")
    if not yes and not click.confirm("Continue?", default=False, err=as_json):
        app.err.print("Cancelled; nothing changed.")
        return EXIT_FAILED
    result = _apply(app, ids, action)
    if as_json:
        done = [Outcome(account_id=i) for i in selection.skipped]
        print_model(evolve(result, outcomes=(*result.outcomes, *done)))
    else:
        _summary(app, result.outcomes, action, selection.skipped)
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
        _summary(app, result.outcomes, action, {})
    return EXIT_OK if result.ok else EXIT_FAILED
