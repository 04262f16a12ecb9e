"""``idconnect authenticators|password|failed-attempts ...``: an account's credentials."""

from __future__ import annotations

import click

from idconnect.cli.context import (
    App,
    json_option,
    pass_app,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.cli.notify import notify_option, report_notifications, split_notified
from idconnect.cli.prompts import read_new_password
from idconnect.cli.render import authenticator_table
from idconnect.cli.resolve import account_id
from idconnect.core.masking import SUPPORT_ADDABLE
from idconnect.core.model import Secret
from idconnect.core.opspec import covers

__all__ = ["authenticators", "failed_attempts", "password"]

_ACCOUNT = click.argument("account_ref", metavar="ACCOUNT")


@click.group()
def authenticators() -> None:
    """List, add and remove an account's authentication methods (ACCOUNT: id, userName, email)."""


@authenticators.command("list")
@store_argument
@_ACCOUNT
@json_option
@pass_app
@covers("list_authenticators")
def list_authenticators(app: App, store: str, account_ref: str, json_flag: bool) -> None:
    """List the authentication methods of ACCOUNT (masked)."""
    target = app.store(store)
    found = target.list_authenticators(account_id(target, account_ref))
    if app.wants_json(json_flag):
        print_model(found)
    else:
        app.out.print(authenticator_table(found))


@authenticators.command("add")
@store_argument
@_ACCOUNT
@click.argument("kind", type=click.Choice(sorted(str(k) for k in SUPPORT_ADDABLE)))
@click.argument("value")
@click.option("--verified", is_flag=True, help="Support verified it with the customer.")
@notify_option
@reason_option
@json_option
@pass_app
@covers("add_authenticator")
def add_authenticator(
    app: App,
    store: str,
    account_ref: str,
    kind: str,
    value: str,
    verified: bool,
    notify: str | None,
    reason: str,
    json_flag: bool,
) -> None:
    """Add an email address or phone number (E.164, e.g. +447700900123) to ACCOUNT.

    With --notify CLIENT the customer is told after the change; a failed send is a warning and
    the exit status stays 0.
    """
    target = app.store(store)
    ident = account_id(target, account_ref)
    added, sent = split_notified(
        target.add_authenticator(
            ident, kind, value, verified=verified, reason=reason, notify=notify
        )
    )
    as_json = app.wants_json(json_flag)
    if as_json:
        print_model(added)
    else:
        app.out.print(f"Added {added.kind} {added.label} ({added.id}) to account {ident}.")
    report_notifications(app, sent, as_json=as_json)


@authenticators.command("remove")
@store_argument
@_ACCOUNT
@click.argument("authenticator_id", metavar="AUTH_ID")
@notify_option
@reason_option
@pass_app
@covers("remove_authenticator")
def remove_authenticator(
    app: App, store: str, account_ref: str, authenticator_id: str, notify: str | None, reason: str
) -> None:
    """Remove one authentication method of ACCOUNT.

    With --notify CLIENT the customer is told after the change; a failed send is a warning and
    the exit status stays 0.
    """
    target = app.store(store)
    ident = account_id(target, account_ref)
    _, sent = split_notified(
        target.remove_authenticator(ident, authenticator_id, reason=reason, notify=notify)
    )
    app.out.print(f"Removed authenticator {authenticator_id} of account {ident}.")
    report_notifications(app, sent)


@click.group()
def password() -> None:
    """Set an account's password (ACCOUNT: an id, userName or email)."""


@password.command("set")
@store_argument
@_ACCOUNT
@notify_option
@reason_option
@pass_app
@covers("set_password")
def set_password(app: App, store: str, account_ref: str, notify: str | None, reason: str) -> None:
    """Set the password of ACCOUNT: asked twice, hidden (or one line from stdin).

    With --notify CLIENT the customer is told (never the password) after the change; a failed
    send is a warning and the exit status stays 0.
    """
    target = app.store(store)
    ident = account_id(target, account_ref)  # fail on a wrong account before asking
    _, sent = split_notified(
        target.set_password(ident, Secret(read_new_password()), reason=reason, notify=notify)
    )
    app.out.print(f"Password of account {ident} set in store {store!r}.")
    report_notifications(app, sent)


@click.group("failed-attempts")
def failed_attempts() -> None:
    """Reset failed login attempt counters (ACCOUNT: an id, userName or email)."""


@failed_attempts.command("reset")
@store_argument
@_ACCOUNT
@reason_option
@pass_app
@covers("reset_failed_attempts")
def reset_failed_attempts(app: App, store: str, account_ref: str, reason: str) -> None:
    """Reset the failed password and OTP counters of ACCOUNT and lift the lockout."""
    target = app.store(store)
    ident = account_id(target, account_ref)
    target.reset_failed_attempts(ident, reason=reason)
    app.out.print(f"Failed attempts of account {ident} reset in store {store!r}.")
