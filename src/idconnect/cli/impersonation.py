"""``idconnect impersonate|impersonations|impersonation ...`` and ``password reset-link``.

``impersonate`` prints the link on stdout and nothing else there (its expiry and grant id go to
stderr), so ``idconnect impersonate ... | xclip`` copies only the link. ``password reset-link``
never prints the link: it goes to the customer, and the command says where it went.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click
from rich.table import Table

from idconnect.cli.context import (
    App,
    json_option,
    pass_app,
    print_json,
    reason_option,
    store_argument,
)
from idconnect.cli.render import add_column, when
from idconnect.cli.resolve import account_id
from idconnect.core.errors import NotificationFailed
from idconnect.core.impersonation import Impersonation
from idconnect.core.instants import format_instant

__all__ = ["impersonate", "impersonation", "impersonations", "reset_link"]

_ACCOUNT = click.argument("account_ref", metavar="ACCOUNT")
_CLIENT = click.option(
    "--client", required=True, help="The client (see [clients]) whose URL the link opens."
)


@click.command("reset-link")
@store_argument
@_ACCOUNT
@_CLIENT
@reason_option
@pass_app
def reset_link(app: App, store: str, account_ref: str, client: str, reason: str) -> None:
    """Send ACCOUNT a single-use password reset link through CLIENT (the link is not shown)."""
    target = app.store(store)
    sent = target.send_password_reset(account_id(target, account_ref), client=client, reason=reason)
    if sent.failed:
        raise NotificationFailed(
            f"the reset link was not sent: {sent.cause}", store=store, account=sent.account_id
        )
    app.out.print(
        f"Reset link sent to {sent.target} ({sent.medium.value}) through client {client!r},"
        f" valid until {when(sent.expires_at)} (notification {sent.id})."
    )


@click.command()
@store_argument
@_ACCOUNT
@_CLIENT
@reason_option
@pass_app
def impersonate(app: App, store: str, account_ref: str, client: str, reason: str) -> None:
    """Print a short-lived, single-use link that logs you in as ACCOUNT at CLIENT."""
    target = app.store(store)
    grant = target.impersonate(account_id(target, account_ref), client=client, reason=reason)
    click.echo(grant.link)
    app.err.print(f"valid until {when(grant.expires_at)}, once (grant {grant.id})")


def _grant_json(grant: Impersonation, now: datetime) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": grant.id,
        "status": grant.status(now).value,
        "store": grant.store,
        "accountId": grant.account_id,
        "client": grant.client,
        "admin": grant.admin,
        "reason": grant.reason,
        "eventId": grant.event_id,
    }
    for key, value in (
        ("issuedAt", grant.issued_at),
        ("expiresAt", grant.expires_at),
        ("redeemedAt", grant.redeemed_at),
        ("revokedAt", grant.revoked_at),
    ):
        doc[key] = None if value is None else format_instant(value)
    doc["revokedBy"], doc["revokeReason"] = grant.revoked_by, grant.revoke_reason
    return doc


def _grant_table(found: Sequence[Impersonation], now: datetime) -> Table:
    table = Table(header_style="bold")
    add_column(table, "ID", no_wrap=True)
    for column in ("Status", "Store", "Account", "Client", "Admin", "Reason", "Expires"):
        add_column(table, column)
    for g in found:
        table.add_row(
            g.id,
            g.status(now).value,
            g.store,
            g.account_id,
            g.client,
            g.admin,
            g.reason,
            when(g.expires_at),
        )
    return table


@click.group()
def impersonations() -> None:
    """List and revoke impersonation grants."""


@impersonations.command("list")
@click.argument("store", required=False)
@click.option("--account", "account_ref", metavar="ACCOUNT", help="Only this account's grants.")
@json_option
@pass_app
def list_impersonations(
    app: App, store: str | None, account_ref: str | None, json_flag: bool
) -> None:
    """List impersonation grants, newest first: of STORE, or of every store you may see."""
    if account_ref is not None and store is None:
        raise click.UsageError("--account needs a STORE")
    if store is None:
        found = app.hub.impersonations()
    else:
        target = app.store(store)
        ident = None if account_ref is None else account_id(target, account_ref)
        found = target.impersonations(ident)
    if app.wants_json(json_flag):
        print_json([_grant_json(g, app.hub.clock()) for g in found])
    elif not found:
        app.out.print("No impersonation grants.")
    else:
        app.out.print(_grant_table(found, app.hub.clock()))


@impersonations.command("revoke")
@click.argument("grant_id", metavar="GRANT_ID")
@reason_option
@pass_app
def revoke_impersonation(app: App, grant_id: str, reason: str) -> None:
    """Revoke an impersonation grant before it is used."""
    revoked = app.hub.revoke_impersonation(grant_id, reason=reason)
    app.out.print(f"Impersonation grant {revoked.id} revoked (store {revoked.store!r}).")


@click.group()
def impersonation() -> None:
    """The impersonation signing key's public half, for client apps."""


@impersonation.command("jwks")
@pass_app
def jwks(app: App) -> None:
    """Print the JWKS document client apps verify impersonation tokens with."""
    print_json(app.hub.jwks())
