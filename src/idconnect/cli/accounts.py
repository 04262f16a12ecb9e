"""``idconnect accounts ...``: list, show, create, update, enable, disable, delete."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, cast

import click
from attrs import asdict
from rich.table import Table

from idconnect.cli.bulk import BulkAction, bulk_options, run_bulk, run_import, select_accounts
from idconnect.cli.changes import parse_assignment, refuse_losing_verified_email
from idconnect.cli.context import (
    LIST_RESPONSE,
    App,
    canonical,
    filter_option,
    json_option,
    pass_app,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.cli.notify import notify_option, report_notifications, split_notified
from idconnect.cli.render import (
    SHORT_ID,
    account_table,
    authenticator_table,
    custom_text,
    display_name,
    fit_accounts,
    session_table,
    status_text,
    when,
)
from idconnect.cli.render_records import consent_summary, verification_summary
from idconnect.cli.resolve import resolve_account
from idconnect.core.errors import IdconnectError
from idconnect.core.model import Account, BulkResult
from idconnect.core.notification import Notification
from idconnect.core.opspec import covers

if TYPE_CHECKING:
    from idconnect.core.facade import Store
    from idconnect.core.query import Page
    from idconnect.core.schema import Catalogue

__all__ = ["accounts", "parse_assignment"]

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@click.group()
def accounts() -> None:
    """Find, inspect and change customer accounts."""


def _pages(
    store: Store,
    filter_text: str | None,
    sort_by: str | None,
    desc: bool,
    count: int,
    cursor: str | None,
    every: bool,
    total: bool = False,
    allow_scan: bool = False,
) -> Iterator[Page[Account]]:
    while True:
        page = store.search_accounts(
            filter_text,
            sort_by=sort_by,
            descending=desc,
            count=count,
            cursor=cursor,
            include_total=total and cursor is None,
            allow_scan=allow_scan,
        )
        yield page
        if not every or page.next_cursor is None:
            return
        cursor = page.next_cursor


def _scim_error(exc: IdconnectError) -> dict[str, Any]:
    status = {"NotFound": "404", "InvalidInput": "400", "NotSupported": "501"}.get(
        type(exc).__name__, "500"
    )
    return {"schemas": [SCIM_ERROR], "status": status, "detail": str(exc)}


def _stream_list_response(
    pages: Iterator[Page[Account]], catalogue: Catalogue
) -> IdconnectError | None:
    """Print all pages as one SCIM ListResponse, page by page, always as a whole document.

    Each page is written only once it has been read in full; when a later page fails, the
    document is closed with ``"incomplete": true`` and the error as a SCIM Error document.

    :returns: the error that cut the listing short, or ``None``.
    """
    click.echo('{\n  "schemas": ' + json.dumps([LIST_RESPONSE]) + ',\n  "Resources": [')
    n = 0
    failure: IdconnectError | None = None
    try:
        for page in pages:
            lines = [
                json.dumps(canonical(account, catalogue), ensure_ascii=False)
                for account in page.items
            ]
            for text in lines:
                click.echo(("    " if n == 0 else "    ,") + text)
                n += 1
    except IdconnectError as exc:
        failure = exc
    tail = '  ],\n  "itemsPerPage": ' + str(n)
    if failure is not None:
        error = json.dumps(_scim_error(failure), ensure_ascii=False)
        tail += ',\n  "incomplete": true,\n  "error": ' + error
    click.echo(tail + "\n}")
    return failure


@accounts.command("list")
@store_argument
@filter_option
@click.option("--sort-by", metavar="ATTR", help="A single-valued attribute, e.g. meta.created.")
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option(
    "--count", type=click.IntRange(1, 1000), default=50, show_default=True, help="Page size."
)
@click.option("--cursor", metavar="C", help="Continue from a cursor printed by a previous page.")
@click.option("--all", "every", is_flag=True, help="Fetch every page (streams page by page).")
@click.option("--explain", is_flag=True, help="Print what the store would be sent; run nothing.")
@click.option(
    "--allow-scan", is_flag=True, help="Run even a search reading every account of a large store."
)
@json_option
@pass_app
@covers("search_accounts", "explain_search")
def list_accounts(
    app: App,
    store: str,
    filter_text: str | None,
    sort_by: str | None,
    desc: bool,
    count: int,
    cursor: str | None,
    every: bool,
    explain: bool,
    allow_scan: bool,
    json_flag: bool,
) -> None:
    """List the accounts of STORE, one page at a time (or --all).

    Ids are shortened when the table would not fit the terminal; --json prints them in full,
    and every command also takes an account's userName or email instead of its id. --explain
    prints the native query, the parts re-checked locally and the database's plan instead.
    """
    target = app.store(store)
    as_json = app.wants_json(json_flag)
    if explain:
        explanation = target.explain(filter_text, sort_by=sort_by, descending=desc)
        if as_json:
            click.echo(json.dumps(asdict(explanation), indent=2, ensure_ascii=False))
        else:
            click.echo(str(explanation))
        return
    pages = _pages(
        target, filter_text, sort_by, desc, count, cursor, every, not as_json, allow_scan
    )
    if as_json:
        if every:
            failure = _stream_list_response(pages, target.catalogue)
            if failure is not None:
                raise failure
        else:
            print_model(next(pages), target.catalogue)
        return
    shown = 0
    total: int | None = None
    last: Page[Account] | None = None
    short = False
    for page in pages:
        if shown == 0:
            total = page.total
            short = fit_accounts(app.out, page.items)
        if page.items or shown == 0:
            table = account_table(
                page.items, header=shown == 0, short_ids=short, catalogue=target.catalogue
            )
            app.out.print(table)
        shown += len(page.items)
        last = page
    of = f" of {total:,}" if total is not None and total != shown else ""
    app.out.print(f"{shown:,}{of} account(s)")
    if short:
        app.out.print(
            f"[dim]IDs cut to their first {SHORT_ID} characters to fit; --json shows them in"
            " full, and commands take a userName or email too.[/dim]"
        )
    if last is not None and last.next_cursor is not None:
        app.out.print("More: add")
        app.out.print(f"--cursor {last.next_cursor}", soft_wrap=True)


def _overview(app: App, target: Store, account: Account) -> None:
    caps = target.capabilities
    catalogue = target.catalogue
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("ID", account.id or "")
    grid.add_row("User name", account.user_name)
    grid.add_row("Display name", display_name(account) or "-")
    status = status_text(account, catalogue)
    grid.add_row("Status", status if status.plain else "-")
    shown = {d.parent for d in catalogue if d.visible} - {
        d.parent for d in catalogue if not d.visible
    }
    if "organization" in shown:
        grid.add_row("Organization", account.organization or "-")
    for email in account.emails if "emails" in shown else ():
        flags = [f for f, on in (("primary", email.primary), ("verified", email.verified)) if on]
        grid.add_row("Email", f"{email.value} {' '.join(f'({f})' for f in flags)}".strip())
    for phone in account.phone_numbers if "phoneNumbers" in shown else ():
        flags = [f for f, on in (("primary", phone.primary), ("verified", phone.verified)) if on]
        grid.add_row("Phone", f"{phone.value} {' '.join(f'({f})' for f in flags)}".strip())
    for identity in account.external_identities if "externalIdentities" in shown else ():
        grid.add_row("External identity", f"{identity.provider}: {identity.subject}")
    for definition in catalogue:
        if definition.custom and definition.visible:
            value = account.attributes.get(definition.path)
            grid.add_row(definition.path, custom_text(value))
    if "lastLogin" in catalogue:
        grid.add_row("Last login", when(account.last_login))
    grid.add_row("Created", when(account.created))
    grid.add_row("Updated", when(account.last_modified))
    if "disabledAt" in catalogue:
        grid.add_row("Disabled at", when(account.disabled_at))
    if "failedAttempts.password" in catalogue:
        fa = account.failed_attempts
        grid.add_row("Failed attempts", f"password {fa.password}, OTP {fa.otp}")
    if "add_group_member" in caps or "search_groups" in caps:
        groups = ", ".join(g.display or g.value for g in account.groups)
        grid.add_row("Groups", groups or "-")
    if "assign_role" in caps or "list_roles" in caps:
        roles = ", ".join(
            r.role + (f" @ {r.organization}" if r.organization else "")
            for r in account.role_assignments
        )
        grid.add_row("Roles", roles or "-")
    if account.id is not None and "list_verifications" in caps:
        grid.add_row("Verification", verification_summary(target.verifications(account.id)))
    if account.id is not None and "list_consents" in caps:
        grid.add_row("Consents", consent_summary(target.consents(account.id)))
    grid.add_row("Version", account.version or "-")
    app.out.print(grid)
    if account.id is not None and "list_authenticators" in caps:
        methods = target.list_authenticators(account.id)
        app.out.print("\n[bold]Authenticators[/bold]" + ("" if methods else ": none"))
        if methods:
            app.out.print(authenticator_table(methods))
    if account.id is not None and "list_sessions" in caps:
        active = target.list_sessions(account.id)
        app.out.print("\n[bold]Sessions[/bold]" + ("" if active else ": none"))
        if active:
            app.out.print(session_table(active))


@accounts.command("show")
@store_argument
@click.argument("account_id", metavar="ID")
@json_option
@pass_app
@covers("get_account")
def show_account(app: App, store: str, account_id: str, json_flag: bool) -> None:
    """Show one account (ID, userName or email): statuses, groups, verification, consents."""
    target = app.store(store)
    account = resolve_account(target, account_id)
    if app.wants_json(json_flag):
        print_model(account, target.catalogue)
    else:
        _overview(app, target, account)


@accounts.command("create")
@store_argument
@click.option(
    "--from-json",
    "source",
    type=click.File("r"),
    required=True,
    help="A SCIM User document, a list of them or a ListResponse (a file, or - for stdin).",
)
@reason_option
@json_option
@pass_app
@covers("create_account")
def create_account(app: App, store: str, source: IO[str], reason: str, json_flag: bool) -> None:
    """Create an account in STORE from a SCIM User document (or many, from a list)."""
    try:
        doc = json.load(source)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            param_hint="--from-json",
        ) from exc
    if isinstance(doc, Mapping) and isinstance(doc.get("Resources"), list):
        doc = doc["Resources"]  # a SCIM ListResponse, e.g. from `accounts list --json`
    if isinstance(doc, list):
        if not all(isinstance(d, Mapping) for d in doc):
            raise click.BadParameter("expected a list of JSON objects", param_hint="--from-json")
        status = run_import(app, app.store(store), doc, reason, app.wants_json(json_flag))
        click.get_current_context().exit(status)
    if not isinstance(doc, Mapping):
        raise click.BadParameter(
            "expected a JSON object or a list of them", param_hint="--from-json"
        )
    target = app.store(store)
    created = target.create_account(doc, reason=reason)
    if app.wants_json(json_flag):
        print_model(created, target.catalogue)
    else:
        app.out.print(f"Created account {created.id} ({created.user_name}) in store {store!r}.")


@accounts.command("update")
@store_argument
@click.argument("account_id", metavar="ID")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    required=True,
    metavar="ATTR=VALUE",
    help='Attribute to change; VALUE is JSON when it parses (e.g. emails=\'[{"value": "a@b.c"}]\'),'
    " else text; null clears.",
)
@click.option(
    "--if-match", "version", metavar="VERSION", help="Refuse if the account changed since."
)
@click.option("--force", is_flag=True, help="Allow dropping the verified primary email address.")
@notify_option
@reason_option
@json_option
@pass_app
@covers("update_account")
def update_account(
    app: App,
    store: str,
    account_id: str,
    assignments: tuple[str, ...],
    version: str | None,
    force: bool,
    notify: str | None,
    reason: str,
    json_flag: bool,
) -> None:
    """Change attributes of one account (ID, userName or email).

    With --notify CLIENT the customer is told (profile_updated, the attribute names only) after
    the change; a failed send is a warning and the exit status stays 0.
    """
    for assignment in assignments:
        parse_assignment(assignment)  # the ATTR=VALUE form, checked before any work
    target = app.store(store)
    changes = dict(parse_assignment(a, target.custom_attributes) for a in assignments)
    current = resolve_account(target, account_id)
    assert current.id is not None
    account_id = current.id
    if not force:
        refuse_losing_verified_email(current, changes, store=store)
    updated, sent = split_notified(
        target.update_account(
            account_id,
            changes,
            expected_version=version or current.version,
            reason=reason,
            notify=notify,
        )
    )
    as_json = app.wants_json(json_flag)
    if as_json:
        print_model(updated, target.catalogue)
    else:
        app.out.print(
            f"Updated {', '.join(changes)} of account {account_id} in store {store!r}"
            f" (version {updated.version})."
        )
    report_notifications(app, sent, as_json=as_json)


def _bulk_command(
    name: str,
    verb: str,
    method: str,
    operation: str,
    help_text: str,
    irreversible: bool,
    notifiable: bool = False,
) -> None:
    def options(func: Any) -> Any:
        return notify_option(bulk_options(func)) if notifiable else bulk_options(func)

    @accounts.command(name, help=help_text)
    @store_argument
    @click.argument("ids", nargs=-1, metavar="[ID|USERNAME|EMAIL]...")
    @options
    @pass_app
    @click.pass_context
    @covers(operation)
    def command(
        ctx: click.Context,
        app: App,
        store: str,
        ids: tuple[str, ...],
        filter_text: str | None,
        reason: str,
        most: int | None,
        dry_run: bool,
        yes: bool,
        json_flag: bool,
        notify: str | None = None,
    ) -> None:
        target = app.store(store)
        selected = select_accounts(target, ids, filter_text, most=most)
        run = getattr(target, method)
        sent: list[Notification] = []

        def apply(ids: Sequence[str], progress: Callable[[int], None]) -> BulkResult:
            asked = {} if notify is None else {"notify": notify}
            result, notified = split_notified(run(ids, reason=reason, progress=progress, **asked))
            sent.extend(notified)
            return cast(BulkResult, result)

        action = BulkAction(verb=verb, irreversible=irreversible, run=apply)
        as_json = app.wants_json(json_flag)
        status = run_bulk(app, target, selected, action, dry_run=dry_run, yes=yes, as_json=as_json)
        report_notifications(app, sent, as_json=as_json)
        ctx.exit(status)

    del command


_bulk_command(
    "enable",
    "enabled",
    "enable_accounts",
    "set_account_enabled",
    "Enable accounts (by ID or --filter): their holders can log in again. With --notify"
    " CLIENT each enabled account's holder is told; a failed send is a warning and does not"
    " change the exit status.",
    False,
    notifiable=True,
)
_bulk_command(
    "disable",
    "disabled",
    "disable_accounts",
    "set_account_enabled",
    "Disable accounts (by ID or --filter): their holders cannot log in; data stays. With"
    " --notify CLIENT each disabled account's holder is told; a failed send is a warning and"
    " does not change the exit status.",
    False,
    notifiable=True,
)
_bulk_command(
    "delete",
    "deleted",
    "delete_accounts",
    "delete_account",
    "Delete accounts (by ID or --filter) and everything hanging off them. Irreversible.",
    True,
)
