"""``idconnect clients|notify|notifications ...``: telling a customer, and what they were told.

``clients`` lists the clients an account may be notified through and the selection rule that
decided; ``notify`` sends one message and prints its outcome (never its content); ``notifications
list|show`` read the notification log, whose content has every secret replaced by ``[hidden]``.
None of these is an operation hook: the hub sends and logs for every store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from idconnect.cli.context import (
    App,
    json_option,
    pass_app,
    print_json,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.cli.render import add_column, when
from idconnect.cli.resolve import account_id, resolve_account
from idconnect.core.clients import EVENTS, Selection
from idconnect.core.errors import NotificationFailed
from idconnect.core.model import Account
from idconnect.core.notification import Notification

__all__ = ["clients", "notifications", "notify"]

_ACCOUNT = click.argument("account_ref", metavar="ACCOUNT")

_RULES = {
    1: "only clients of organizational applications; the organization's branding and"
    " notification policy apply",
    2: "only clients of non-organizational applications; each application's branding and"
    " notification policy apply",
}


def _rule(account: Account) -> tuple[int, str]:
    """The selection rule that applies to an account, with its words."""
    if account.organization is not None:
        return 1, f"belongs to organization {account.organization!r}: {_RULES[1]}"
    return 2, f"belongs to no organization: {_RULES[2]}"


def _selection_json(chosen: Selection) -> dict[str, Any]:
    branding = {
        key: value
        for key, value in (
            ("displayName", chosen.branding.display_name),
            ("logoUrl", chosen.branding.logo_url),
            ("primaryColor", chosen.branding.primary_color),
            ("accentColor", chosen.branding.accent_color),
            ("sender", chosen.branding.sender),
        )
        if value is not None
    }
    return {
        "name": chosen.client.name,
        "application": chosen.application.name,
        "organizational": chosen.application.organizational,
        "loginUrl": chosen.client.login_url,
        "resetUrl": chosen.client.reset_url,
        "decidedBy": chosen.decided_by,
        "policy": chosen.policy.name,
        "branding": branding,
    }


@click.command("clients")
@store_argument
@_ACCOUNT
@json_option
@pass_app
def clients(app: App, store: str, account_ref: str, json_flag: bool) -> None:
    """List the clients ACCOUNT may be notified through, and the selection rule that applied."""
    target = app.store(store)
    account = resolve_account(target, account_ref)
    assert account.id is not None
    eligible = target.notification_clients(account.id)
    chosen = [app.hub.notifier.select(account, c.name) for c in eligible]
    number, words = _rule(account)
    if app.wants_json(json_flag):
        print_json(
            {
                "accountId": account.id,
                "organization": account.organization,
                "rule": number,
                "ruleText": words,
                "clients": [_selection_json(c) for c in chosen],
            }
        )
        return
    app.out.print(Text(f"Account {account.id} {words} (selection rule {number})."))
    if not chosen:
        app.out.print("No configured client may be chosen.")
        return
    table = Table(header_style="bold")
    for column in ("Client", "Application", "Branding", "Sender", "Policy", "Decided by"):
        add_column(table, column, no_wrap=column == "Client")
    for c in chosen:
        table.add_row(
            *(
                Text(value or "-")
                for value in (
                    c.client.name,
                    c.application.name,
                    c.branding.display_name,
                    c.branding.sender,
                    c.policy.name,
                    c.decided_by,
                )
            )
        )
    app.out.print(table)


@click.command("notify")
@store_argument
@_ACCOUNT
@click.argument("event", type=click.Choice(EVENTS))
@click.option("--client", required=True, help="The client to send through (see `clients`).")
@reason_option
@pass_app
def notify(app: App, store: str, account_ref: str, event: str, client: str, reason: str) -> None:
    """Tell ACCOUNT about EVENT through CLIENT; print where it went, never what it said.

    A message the channel did not take is logged as failed and the command exits with 1.
    """
    target = app.store(store)
    sent = target.notify(account_id(target, account_ref), event, client=client, reason=reason)
    if sent.failed:
        raise NotificationFailed(
            f"the {event} notification was not sent: {sent.cause} (logged as {sent.id})",
            store=store,
            account=sent.account_id,
        )
    app.out.print(
        Text(
            f"Sent {event} to {sent.target} ({sent.medium.value}) through client {client!r}"
            f" (template {sent.template!r}, policy {sent.policy!r}; notification {sent.id})."
        )
    )


@click.group()
def notifications() -> None:
    """Read the notification log: every message sent to a customer, secrets hidden."""


def _log_table(found: Sequence[Notification]) -> Table:
    table = Table(header_style="bold")
    add_column(table, "ID", no_wrap=True)
    for column in ("Date", "Event", "Target", "Client", "Status", "Expires"):
        add_column(table, column)
    for n in found:
        table.add_row(
            *(
                Text(value)
                for value in (
                    n.id,
                    when(n.at),
                    n.event,
                    f"{n.target or '-'} ({n.medium.value})",
                    n.client,
                    n.status.value,
                    when(n.expires_at),
                )
            )
        )
    return table


@notifications.command("list")
@store_argument
@_ACCOUNT
@click.option(
    "--count", type=click.IntRange(1, 500), default=50, show_default=True, help="Page size."
)
@click.option("--cursor", metavar="C", help="Continue from a cursor printed by a previous page.")
@json_option
@pass_app
def list_notifications(
    app: App, store: str, account_ref: str, count: int, cursor: str | None, json_flag: bool
) -> None:
    """List the messages sent to ACCOUNT, newest first, one page at a time."""
    target = app.store(store)
    page = target.notifications(account_id(target, account_ref), count=count, cursor=cursor)
    if app.wants_json(json_flag):
        print_model(page)
        return
    if page.items:
        app.out.print(_log_table(page.items))
    total = f" of {page.total:,}" if page.total is not None else ""
    app.out.print(
        f"{len(page.items):,}{total} notification(s); `notifications show` gives the content"
    )
    if page.next_cursor is not None:
        app.out.print("More: add")
        app.out.print(f"--cursor {page.next_cursor}", soft_wrap=True, markup=False)


@notifications.command("show")
@store_argument
@_ACCOUNT
@click.argument("notification_id", metavar="NOTIFICATION_ID")
@json_option
@pass_app
def show_notification(
    app: App, store: str, account_ref: str, notification_id: str, json_flag: bool
) -> None:
    """Show one message sent to ACCOUNT as it was logged (secrets shown as [hidden])."""
    target = app.store(store)
    found = target.notification(account_id(target, account_ref), notification_id)
    if app.wants_json(json_flag):
        print_model(found)
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    rows = (
        ("ID", found.id),
        ("Date", when(found.at)),
        ("Event", found.event),
        ("Status", found.status.value),
        ("Cause", found.cause),
        ("Target", f"{found.target or '-'} ({found.medium.value})"),
        ("Client", found.client),
        ("Policy", found.policy),
        ("Template", f"{found.template} ({found.locale})"),
        ("Channel", found.channel),
        ("Expires", when(found.expires_at) if found.expires_at else None),
        ("Sent by", found.actor),
        ("Reason", found.reason),
        ("Subject", found.subject),
    )
    for name, value in rows:
        if value is not None:
            grid.add_row(name, Text(value))
    app.out.print(grid)
    app.out.print()
    app.out.print(Text(found.content))
