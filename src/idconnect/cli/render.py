"""Human output: status labels, dates and rich tables for accounts, groups, events and the like."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.table import Table
from rich.text import Text

from idconnect.core.model import Account, Authenticator, Event, Group, Session

__all__ = [
    "account_table",
    "authenticator_table",
    "event_table",
    "group_table",
    "labels",
    "session_table",
    "status_text",
    "when",
]

_LABEL_STYLES = {
    "Enabled": "green",
    "Disabled": "bold red",
    "Email verified": "cyan",
    "Phone verified": "cyan",
    "External identity": "magenta",
}


def labels(account: Account) -> list[str]:
    """Return an account's status labels, as support engineers know them.

    :param account: the account.
    :returns: ``Enabled`` or ``Disabled``, then ``Email verified``, ``Phone verified`` and
        ``External identity`` when they apply.
    """
    found = ["Enabled" if account.active else "Disabled"]
    if account.email_verified:
        found.append("Email verified")
    if account.phone_verified:
        found.append("Phone verified")
    if account.external_identities:
        found.append("External identity")
    return found


def status_text(account: Account) -> Text:
    """Return the labels as coloured text, comma separated.

    :param account: the account.
    :returns: rich text.
    """
    text = Text()
    for i, label in enumerate(labels(account)):
        if i:
            text.append(", ")
        text.append(label, style=_LABEL_STYLES[label])
    return text


def when(value: datetime | None) -> str:
    """Format an instant for people: ``2024-05-01 12:00:05 UTC``, or ``-`` when unknown.

    :param value: an aware datetime or ``None``.
    :returns: the text.
    """
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def account_table(
    accounts: Iterable[Account], *, title: str | None = None, header: bool = True
) -> Table:
    """Build the accounts table: id, user name, name, primary email, status, last login.

    :param accounts: the accounts, in order.
    :param title: an optional caption above the table.
    :param header: whether to show the header row (off for follow-up pages of ``--all``).
    :returns: the table.
    """
    table = Table(title=title, show_header=header, header_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("User name", no_wrap=True)
    table.add_column("Name")
    table.add_column("Email", no_wrap=True)
    table.add_column("Status")
    table.add_column("Last login", no_wrap=True)
    for account in accounts:
        table.add_row(
            account.id or "",
            account.user_name,
            account.display_name or (account.name.formatted if account.name else None) or "",
            account.primary_email or "",
            status_text(account),
            when(account.last_login),
        )
    return table


def group_table(groups: Iterable[Group], *, header: bool = True) -> Table:
    """Build the groups table: id and name.

    :param groups: the groups.
    :param header: whether to show the header row.
    :returns: the table.
    """
    table = Table(show_header=header, header_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("Name")
    for group in groups:
        table.add_row(group.id or "", group.display_name)
    return table


def authenticator_table(authenticators: Iterable[Authenticator]) -> Table:
    """Build the authenticators table (masked labels only; no secret ever reaches it).

    :param authenticators: the methods.
    :returns: the table.
    """
    table = Table(header_style="bold")
    for column in ("ID", "Kind", "Label", "Verified", "Created", "Last used"):
        table.add_column(column, no_wrap=column != "Label")
    for a in authenticators:
        table.add_row(
            a.id,
            a.kind.value,
            a.label or "",
            "yes" if a.verified else "no",
            when(a.created),
            when(a.last_used),
        )
    return table


def session_table(sessions: Iterable[Session]) -> Table:
    """Build the sessions table.

    :param sessions: the sessions.
    :returns: the table.
    """
    table = Table(header_style="bold")
    for column in ("ID", "Last seen", "Created", "Expires", "IP address", "Location", "Browser"):
        table.add_column(column, no_wrap=column not in ("Browser", "Location"))
    for s in sessions:
        table.add_row(
            s.id,
            when(s.last_seen),
            when(s.created),
            when(s.expires),
            s.ip_address or "",
            s.location or "",
            s.user_agent or "",
        )
    return table


def event_table(events: Iterable[Event]) -> Table:
    """Build the audit events table.

    :param events: the events, oldest first.
    :returns: the table.
    """
    table = Table(header_style="bold")
    for column in ("When", "Actor", "Action", "Account", "Target", "Outcome", "Reason"):
        table.add_column(column, no_wrap=column not in ("Reason", "Outcome"))
    for e in events:
        outcome = (
            Text("success", style="green")
            if e.outcome == "success"
            else Text(f"failure: {e.error or e.error_code or ''}", style="red")
        )
        table.add_row(
            when(e.at),
            e.actor,
            e.action,
            e.account_id or "",
            e.target or "",
            outcome,
            e.reason or "",
        )
    return table
