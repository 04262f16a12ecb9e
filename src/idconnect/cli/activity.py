"""``idconnect activity`` and ``idconnect record-activity``: an account's timeline.

The timeline merges what the store recorded of the customer (logins, lockouts, password
changes, ...) with the hub's audit events about the account (``idconnect events`` shows the
audit trail alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import click
from rich.table import Table
from rich.text import Text

from idconnect.cli.audit import parse_since
from idconnect.cli.context import App, json_option, pass_app, print_model, store_argument
from idconnect.cli.render import add_column, when
from idconnect.cli.resolve import account_id
from idconnect.core.activity import STORE_KINDS, ActivityKind, ActivityRecord, ActivitySource
from idconnect.core.opspec import covers

__all__ = ["activity", "activity_table", "record_activity"]

_ACCOUNT = click.argument("account_ref", metavar="ACCOUNT")


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_since(value)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param=param) from None


def _detail(
    ctx: click.Context, param: click.Parameter, value: Sequence[str]
) -> str | dict[str, str] | None:
    if not value:
        return None
    if len(value) == 1 and "=" not in value[0]:
        return value[0]
    pairs = {}
    for item in value:
        key, sep, text = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param=param)
        pairs[key] = text
    return pairs


def activity_table(records: Sequence[ActivityRecord]) -> Table:
    """Build the table of an account's timeline.

    :param records: the records, newest first.
    :returns: the table: when, what, where from (IP and browser, or the acting admin), and the
        detail (for audit records: changed attributes, outcome, reason).
    """
    table = Table(header_style="bold")
    add_column(table, "When", no_wrap=True)
    add_column(table, "Kind")
    add_column(table, "From")
    add_column(table, "Detail", min_width=len("Detail") * 2)
    for r in records:
        if r.source is ActivitySource.AUDIT:
            origin = f"admin {r.actor}"
            parts = [r.action or ""]
            if r.changed:
                parts.append("changed " + ", ".join(r.changed))
            if r.reason:
                parts.append(f"reason: {r.reason}")
            style = "green" if r.outcome == "success" else "red"
            detail = Text("; ".join(parts) + " ")
            detail.append(r.outcome or "", style=style)
        else:
            origin = " ".join(p for p in (r.ip, r.user_agent) if p)
            if isinstance(r.detail, dict):
                detail = Text(", ".join(f"{k}={v}" for k, v in r.detail.items()))
            else:
                detail = Text(r.detail or "")
        kind = Text(r.kind.value, style="red" if r.kind in _ALARMING else "")
        table.add_row(when(r.at), kind, origin, detail)
    return table


_ALARMING = frozenset({ActivityKind.LOGIN_FAILED, ActivityKind.LOCKOUT})


@click.command()
@store_argument
@_ACCOUNT
@click.option("--since", callback=_when, metavar="WHEN", help="Only since: 2024-05-01, 7d, 12h.")
@click.option("--until", callback=_when, metavar="WHEN", help="Only until: 2024-05-01, 1d.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice([k.value for k in ActivityKind]),
    help="Only this kind (repeatable); admin is the audit trail's.",
)
@click.option(
    "--count", type=click.IntRange(1, 1000), default=50, show_default=True, help="Page size."
)
@click.option("--cursor", help="Resume: the cursor the previous page printed.")
@json_option
@pass_app
@covers("list_activity")
def activity(
    app: App,
    store: str,
    account_ref: str,
    since: datetime | None,
    until: datetime | None,
    kinds: tuple[str, ...],
    count: int,
    cursor: str | None,
    json_flag: bool,
) -> None:
    """Show the timeline of ACCOUNT (id, userName or email), newest first.

    Logins succeeded and failed, lockouts, password changes and resets, authenticator and
    session events as the store recorded them, merged with what support did (the audit trail).
    """
    target = app.store(store)
    page = target.activity(
        account_id(target, account_ref),
        since=since,
        until=until,
        kinds=kinds or None,
        count=count,
        cursor=cursor,
    )
    if app.wants_json(json_flag):
        print_model(page)
        return
    if page.items:
        app.out.print(activity_table(page.items))
    else:
        app.out.print("No activity.")
    if page.next_cursor is not None:
        app.out.print(f"More: --cursor {page.next_cursor}", soft_wrap=True)


@click.command("record-activity")
@store_argument
@_ACCOUNT
@click.option(
    "--kind",
    required=True,
    type=click.Choice(sorted(k.value for k in STORE_KINDS)),
    help="What happened.",
)
@click.option(
    "--at", callback=_when, metavar="WHEN", help="When (2025-03-01T09:30:00Z, 2h; default now)."
)
@click.option("--ip", help="The client's IP address.")
@click.option("--user-agent", help="The client's user agent.")
@click.option(
    "--detail",
    multiple=True,
    callback=_detail,
    metavar="TEXT|KEY=VALUE",
    help="A short note, or KEY=VALUE pairs (repeatable); never a secret.",
)
@click.option("--reason", help="Why, for the audit trail (optional).")
@json_option
@pass_app
@covers("record_activity")
def record_activity(
    app: App,
    store: str,
    account_ref: str,
    kind: str,
    at: datetime | None,
    ip: str | None,
    user_agent: str | None,
    detail: str | dict[str, str] | None,
    reason: str | None,
    json_flag: bool,
) -> None:
    """Record something that happened to ACCOUNT in the store's own activity."""
    target = app.store(store)
    made = target.record_activity(
        account_id(target, account_ref),
        kind=kind,
        at=at,
        ip=ip,
        user_agent=user_agent,
        detail=detail,
        reason=reason,
    )
    if app.wants_json(json_flag):
        print_model(made)
    else:
        app.out.print(f"Recorded {made.kind.value} at {when(made.at)} (id {made.id}).")
