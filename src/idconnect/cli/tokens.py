"""``idconnect tokens create|list|revoke``: API tokens of the HTTP service (README, "API tokens").

``create`` prints the token on stdout and nothing else there (its id and expiry go to stderr),
so ``idconnect tokens create ... > token.txt`` keeps only the token; it is shown this once and
kept by the hub only as a hash.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import click
from rich.table import Table

from idconnect.cli.context import (
    App,
    complete_store,
    json_option,
    pass_app,
    print_json,
    reason_option,
)
from idconnect.cli.render import add_column, when
from idconnect.core.api_tokens import ApiToken, issue_token, list_tokens, revoke_token
from idconnect.core.instants import format_instant

__all__ = ["parse_lifetime", "tokens"]

_LIFETIME = re.compile(r"([1-9][0-9]{0,5})([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_lifetime(text: str) -> timedelta:
    """Read a lifetime such as ``90d``.

    :param text: a whole number and a unit: ``m`` minutes, ``h`` hours, ``d`` days, ``w`` weeks.
    :returns: the lifetime.
    :raises click.BadParameter: for anything else.
    """
    found = _LIFETIME.fullmatch(text.strip())
    if found is None:
        raise click.BadParameter(f"{text!r}: write a number and m, h, d or w, e.g. 90d")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


def _lifetime(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    return None if value is None else parse_lifetime(value)


def _json(token: ApiToken, app: App) -> dict[str, Any]:
    return {
        "id": token.id,
        "admin": token.admin,
        "store": token.store,
        "status": token.status(app.hub.clock()),
        "created": format_instant(token.created),
        **{
            key: None if value is None else format_instant(value)
            for key, value in (
                ("expires", token.expires),
                ("revokedAt", token.revoked_at),
                ("lastUsedAt", token.last_used_at),
            )
        },
    }


@click.group()
def tokens() -> None:
    """API tokens of the HTTP service: create (shown once), list, revoke."""


@tokens.command("create")
@click.option("--admin", required=True, help="The admin every request with the token acts as.")
@click.option(
    "--store",
    shell_complete=complete_store,
    help="Limit the token to this store (default: every store).",
)
@click.option(
    "--expires",
    metavar="LIFETIME",
    callback=_lifetime,
    help="Stop working after this long: 30m, 12h, 90d, 4w (default: never).",
)
@reason_option
@pass_app
def create(app: App, admin: str, store: str | None, expires: timedelta | None, reason: str) -> None:
    """Issue an API token and print it once on stdout (its id and expiry on stderr)."""
    token, record = issue_token(app.hub, admin=admin, store=store, expires=expires, reason=reason)
    click.echo(token)
    where = "every store" if record.store is None else f"store {record.store!r}"
    until = "never expires" if record.expires is None else f"expires {when(record.expires)}"
    click.echo(
        f"API token {record.id} for admin {record.admin!r} on {where}, {until}."
        " It is shown only this once.",
        err=True,
    )


@tokens.command("list")
@click.option("--admin", help="Only this admin's tokens.")
@json_option
@pass_app
def list_(app: App, admin: str | None, json_flag: bool) -> None:
    """List API tokens, newest first (never the tokens themselves)."""
    found = list_tokens(app.hub, admin=admin)
    if app.wants_json(json_flag):
        print_json([_json(t, app) for t in found])
        return
    if not found:
        app.out.print("No API tokens.")
        return
    table = Table(header_style="bold")
    add_column(table, "ID", no_wrap=True)
    for column in ("Status", "Admin", "Store", "Created", "Expires", "Last used"):
        add_column(table, column)
    now = app.hub.clock()
    for t in found:
        table.add_row(
            t.id,
            t.status(now),
            t.admin,
            t.store or "all",
            when(t.created),
            "never" if t.expires is None else when(t.expires),
            when(t.last_used_at),
        )
    app.out.print(table)


@tokens.command("revoke")
@click.argument("token_id", metavar="ID")
@reason_option
@pass_app
def revoke(app: App, token_id: str, reason: str) -> None:
    """Revoke the API token ID: refused from the next request on, by every worker."""
    done = revoke_token(app.hub, token_id, reason=reason)
    app.out.print(f"API token {done.id} of admin {done.admin!r} is revoked.")
