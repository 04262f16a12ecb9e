"""``idconnect consents ...``: an account's consent log; record and revoke consents."""

from __future__ import annotations

from datetime import datetime

import click

from idconnect.cli.context import (
    App,
    json_option,
    pass_app,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.cli.render_records import consent_table
from idconnect.cli.resolve import account_id
from idconnect.core.instants import parse_instant
from idconnect.core.opspec import covers

__all__ = ["consents"]

_ACCOUNT = click.argument("account_ref", metavar="ACCOUNT")


def _instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter(
            "expected an ISO 8601 date-time, e.g. 2025-03-01T09:30:00Z"
        ) from None


@click.group()
def consents() -> None:
    """List, record and revoke consents (ACCOUNT: an id, userName or email)."""


@consents.command("list")
@store_argument
@_ACCOUNT
@json_option
@pass_app
@covers("list_consents")
def list_consents(app: App, store: str, account_ref: str, json_flag: bool) -> None:
    """List the consent log of ACCOUNT, newest agreement first, ended consents too."""
    target = app.store(store)
    found = target.consents(account_id(target, account_ref))
    if app.wants_json(json_flag):
        print_model(found)
    elif not found:
        app.out.print("No consents.")
    else:
        app.out.print(consent_table(found))


@consents.command("record")
@store_argument
@_ACCOUNT
@click.option("--purpose", required=True, help="What is consented to, e.g. marketing-email.")
@click.option("--version", "version", required=True, help="The version of the consent text.")
@click.option(
    "--agreed-at",
    callback=_instant,
    help="When the customer agreed (ISO 8601; default now), for imports.",
)
@click.option("--reason", help="Why, for the audit trail (optional).")
@json_option
@pass_app
@covers("record_consent")
def record_consent(
    app: App,
    store: str,
    account_ref: str,
    purpose: str,
    version: str,
    agreed_at: datetime | None,
    reason: str | None,
    json_flag: bool,
) -> None:
    """Record that ACCOUNT agreed to VERSION of PURPOSE (the older version is superseded)."""
    target = app.store(store)
    made = target.record_consent(
        account_id(target, account_ref),
        purpose=purpose,
        version=version,
        agreed_at=agreed_at,
        reason=reason,
    )
    if app.wants_json(json_flag):
        print_model(made)
    else:
        app.out.print(f"Recorded consent {made.id}: {made.purpose} version {made.version}.")


@consents.command("revoke")
@store_argument
@_ACCOUNT
@click.argument("consent_id")
@click.option("--by-customer", is_flag=True, help="The customer opted out (else support).")
@reason_option
@pass_app
@covers("revoke_consent")
def revoke_consent(
    app: App, store: str, account_ref: str, consent_id: str, by_customer: bool, reason: str
) -> None:
    """Revoke consent CONSENT_ID of ACCOUNT (it stays in the log)."""
    target = app.store(store)
    done = target.revoke_consent(
        account_id(target, account_ref), consent_id, reason=reason, by_customer=by_customer
    )
    app.out.print(f"Revoked consent {done.id} ({done.purpose}) of account {done.account_id}.")
