"""``idconnect events`` and ``idconnect export``: the audit trail and data-request exports."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import click

from idconnect.cli.context import (
    App,
    json_option,
    pass_app,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.cli.render import event_table
from idconnect.cli.resolve import account_id, find_account
from idconnect.core.instants import parse_instant, utc_now

__all__ = ["events", "export", "parse_since"]

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Parse ``--since``: an ISO date or date-time, or a span ago (``30m``, ``12h``, ``7d``).

    A date-time without an offset is taken as UTC; weeks (``2w``) work too.

    :param text: what the user typed.
    :param now: the current instant (for tests); default now.
    :returns: an aware UTC instant.
    :raises click.BadParameter: for anything else.
    """
    match = _RELATIVE.match(text.strip())
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return (now or utc_now()) - delta
    try:
        return parse_instant(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date (2024-05-01, 2024-05-01T12:00:00Z)"
            " or a span (30m, 12h, 7d, 2w)",
            param_hint="--since",
        ) from None


@click.command()
@store_argument
@click.argument("account_ref", required=False, metavar="[ACCOUNT]")
@click.option(
    "--since", "since_text", metavar="WHEN", help="Only events since: 2024-05-01, 7d, 12h."
)
@click.option("--action", metavar="A", help="Only this action, e.g. disable_account.")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=200,
    show_default=True,
    help="At most this many, the newest.",
)
@json_option
@pass_app
def events(
    app: App,
    store: str,
    account_ref: str | None,
    since_text: str | None,
    action: str | None,
    limit: int,
    json_flag: bool,
) -> None:
    """Show the audit trail of STORE, or of one ACCOUNT: who did what, when and why.

    ACCOUNT is an id, userName or email; an id of a deleted account works too.
    """
    since = parse_since(since_text) if since_text is not None else None
    target = app.store(store)
    ident = None
    if account_ref is not None:
        found_account = find_account(target, account_ref)
        ident = account_ref if found_account is None else found_account.id
    found = target.events(ident, since=since, action=action, limit=limit)
    if app.wants_json(json_flag):
        print_model(found)
    else:
        app.out.print(event_table(found))
        app.out.print(f"{len(found)} event(s)")


@click.command()
@store_argument
@click.argument("account_ref", metavar="ACCOUNT")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "html"]),
    default="json",
    show_default=True,
    help="json: the document; html: one self-contained, printable page (no scripts, no remote"
    " assets).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of stdout.",
)
@reason_option
@pass_app
def export(
    app: App, store: str, account_ref: str, fmt: str, output: Path | None, reason: str
) -> None:
    """Export everything known about ACCOUNT (id, userName or email) for a data request. Audited."""
    target = app.store(store)
    ident = account_id(target, account_ref)
    if fmt == "html":
        text = target.export_account(ident, format="html", reason=reason)
    else:
        doc = target.export_account(ident, reason=reason)
        text = json.dumps(doc, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        app.err.print(f"Exported account {ident} of store {store!r} to {output}.")
