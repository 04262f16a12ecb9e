"""Human output: status labels, dates and rich tables for accounts, groups, events and the like."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from idconnect.core.model import Account, Authenticator, Event, Group, Session
from idconnect.core.schema import Catalogue

__all__ = [
    "SHORT_ID",
    "account_table",
    "add_column",
    "authenticator_table",
    "custom_text",
    "display_name",
    "event_table",
    "fit_accounts",
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


def labels(account: Account, catalogue: Catalogue | None = None) -> list[str]:
    """Return an account's status labels, as support engineers know them.

    :param account: the account.
    :param catalogue: the store's catalogue: a store that holds no status (a directory without
        a lock attribute) gets no ``Enabled``/``Disabled`` label, rather than an invented one.
    :returns: ``Enabled`` or ``Disabled``, then ``Email verified``, ``Phone verified`` and
        ``External identity`` when they apply.
    """
    found = []
    if catalogue is None or "active" in catalogue:
        found.append("Enabled" if account.active else "Disabled")
    if account.email_verified:
        found.append("Email verified")
    if account.phone_verified:
        found.append("Phone verified")
    if account.external_identities:
        found.append("External identity")
    return found


def status_text(account: Account, catalogue: Catalogue | None = None) -> Text:
    """Return the labels as coloured text, comma separated.

    :param account: the account.
    :param catalogue: the store's catalogue (see :func:`labels`).
    :returns: rich text.
    """
    text = Text()
    for i, label in enumerate(labels(account, catalogue)):
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


SHORT_ID = 8
"""How many leading characters of an id a table shows when the full ids do not fit."""

_ROOM_FOR_NAME = 16
_ROOM_FOR_STATUS = 16
_TABLE_FRAME = 6 * 3 + 1  # six columns: a border and two spaces of padding each, one more border


def add_column(table: Table, header: str, *, no_wrap: bool = False, **options: Any) -> None:
    """Add a column that is never narrower than its header (long values wrap or fold instead).

    :param table: the table.
    :param header: the column's header.
    :param no_wrap: keep each value on one line (for ids and instants).
    :param options: further :meth:`rich.table.Table.add_column` options.
    """
    least = max(len(header), options.pop("min_width", 0))
    overflow: Literal["ellipsis", "fold"] = "ellipsis" if no_wrap else "fold"
    table.add_column(header, min_width=least, no_wrap=no_wrap, overflow=overflow, **options)


def display_name(account: Account) -> str:
    """Return the name to show for an account: its display name, else one composed of its parts.

    :param account: the account.
    :returns: the name, or empty text.
    """
    if account.display_name:
        return account.display_name
    if account.name is None:
        return ""
    if account.name.formatted:
        return account.name.formatted
    return " ".join(p for p in (account.name.given_name, account.name.family_name) if p)


def account_table(
    accounts: Iterable[Account],
    *,
    title: str | None = None,
    header: bool = True,
    short_ids: bool = False,
    catalogue: Catalogue | None = None,
) -> Table:
    """Build the accounts table: id, user name, name, primary email, status, last login.

    :param accounts: the accounts, in order.
    :param title: an optional caption above the table.
    :param header: whether to show the header row (off for follow-up pages of ``--all``).
    :param short_ids: show the first :data:`SHORT_ID` characters of each id only.
    :param catalogue: the store's catalogue: statuses it does not hold are not shown.
    :returns: the table.
    """
    table = Table(title=title, show_header=header, header_style="bold")
    add_column(table, "ID", no_wrap=True)
    add_column(table, "User name")
    add_column(table, "Name")
    add_column(table, "Email")
    add_column(table, "Status", max_width=_ROOM_FOR_STATUS + 8)
    add_column(table, "Last login", no_wrap=True)
    for account in accounts:
        ident = account.id or ""
        table.add_row(
            ident[:SHORT_ID] if short_ids else ident,
            account.user_name,
            display_name(account),
            account.primary_email or "",
            status_text(account, catalogue),
            when(account.last_login),
        )
    return table


def fit_accounts(console: Console, accounts: Sequence[Account]) -> bool:
    """Tell whether the accounts table must shorten ids to fit the console's width.

    :param console: where the table is printed.
    :param accounts: the accounts of the table.
    :returns: ``True`` when full ids, user names, emails and last logins on one line each,
        with room for Name and Status, would be wider than the console.
    """
    if not accounts:
        return False
    one_line = [
        [a.id or "" for a in accounts],
        [a.user_name for a in accounts],
        [a.primary_email or "" for a in accounts],
        [when(a.last_login) for a in accounts],
    ]
    needed = sum(max(map(cell_len, values)) for values in one_line)
    needed += _ROOM_FOR_NAME + _ROOM_FOR_STATUS + _TABLE_FRAME
    return needed > console.width


def group_table(groups: Iterable[Group], *, header: bool = True) -> Table:
    """Build the groups table: id and name.

    :param groups: the groups.
    :param header: whether to show the header row.
    :returns: the table.
    """
    table = Table(show_header=header, header_style="bold")
    add_column(table, "ID", no_wrap=True)
    add_column(table, "Name")
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
        add_column(table, column, no_wrap=column != "Label")
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
    add_column(table, "ID", no_wrap=True)
    for column in ("Last seen", "Created", "Expires"):
        add_column(table, column, min_width=len("2024-05-01"))  # the time wraps under the date
    for column in ("IP address", "Location", "Browser"):
        add_column(table, column)
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


def event_table(events: Iterable[Event], *, short_ids: bool = True) -> Table:
    """Build the audit events table; Outcome and Reason get room to stay readable.

    :param events: the events, oldest first.
    :param short_ids: show the first :data:`SHORT_ID` characters of account ids only.
    :returns: the table.
    """
    table = Table(header_style="bold")
    add_column(table, "When", no_wrap=True)
    add_column(table, "Actor")
    add_column(table, "Action")
    add_column(table, "Account", no_wrap=True)
    add_column(table, "Target", max_width=SHORT_ID * 2)
    add_column(table, "Outcome", min_width=len("failure:"))
    add_column(table, "Reason", min_width=len("Reason") * 2)
    for e in events:
        outcome = (
            Text("success", style="green")
            if e.outcome == "success"
            else Text(f"{e.outcome}: {e.error or e.error_code or ''}", style="red")
        )
        table.add_row(
            when(e.at),
            e.actor,
            e.action,
            (e.account_id or "")[:SHORT_ID] if short_ids else e.account_id or "",
            e.target or "",
            outcome,
            e.reason or "",
        )
    return table


def custom_text(value: Any) -> str:
    """Show a custom attribute's value: values joined, instants as dates, ``-`` when unset.

    :param value: the value (a tuple for a multi-valued attribute), or ``None``.
    :returns: the text.
    """
    if value is None or value == ():
        return "-"
    if isinstance(value, tuple):
        return ", ".join(custom_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return when(value)
    return str(value)
