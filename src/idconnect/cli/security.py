"""Commands on one account's access: roles, authenticators, password, failed attempts, sessions."""

from __future__ import annotations

import sys

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
from idconnect.cli.render import authenticator_table, session_table
from idconnect.core.convert import to_json
from idconnect.core.model import Secret

__all__ = ["authenticators", "failed_attempts", "password", "roles", "sessions"]

_ACCOUNT = click.argument("account_id", metavar="ID")


@click.group()
def roles() -> None:
    """List, assign and unassign roles."""


@roles.command("list")
@store_argument
@json_option
@pass_app
def list_roles(app: App, store: str, json_flag: bool) -> None:
    """List the roles STORE can assign."""
    found = app.store(store).list_roles()
    if app.wants_json(json_flag):
        print_json(to_json(found))
        return
    table = Table(header_style="bold")
    table.add_column("Role", no_wrap=True)
    table.add_column("Description")
    for role in found:
        table.add_row(role.name, role.description or "")
    app.out.print(table)


def _role_command(name: str, method: str, done: str) -> None:
    @roles.command(
        name, help=f"{name.capitalize()} ROLE (globally or in --organization) for account ID."
    )
    @store_argument
    @_ACCOUNT
    @click.argument("role")
    @click.option("--organization", metavar="ORG", help="The organization the role applies to.")
    @reason_option
    @pass_app
    def command(
        app: App, store: str, account_id: str, role: str, organization: str | None, reason: str
    ) -> None:
        getattr(app.store(store), method)(
            account_id, role, organization=organization, reason=reason
        )
        where = f" in organization {organization!r}" if organization else ""
        app.out.print(f"Role {role!r}{where} {done} account {account_id} in store {store!r}.")

    del command


_role_command("assign", "assign_role", "assigned to")
_role_command("unassign", "unassign_role", "taken from")


@click.group()
def authenticators() -> None:
    """List and remove an account's authentication methods."""


@authenticators.command("list")
@store_argument
@_ACCOUNT
@json_option
@pass_app
def list_authenticators(app: App, store: str, account_id: str, json_flag: bool) -> None:
    """List the authentication methods of account ID (masked)."""
    found = app.store(store).list_authenticators(account_id)
    if app.wants_json(json_flag):
        print_json(to_json(found))
    else:
        app.out.print(authenticator_table(found))


@authenticators.command("remove")
@store_argument
@_ACCOUNT
@click.argument("authenticator_id", metavar="AUTH_ID")
@reason_option
@pass_app
def remove_authenticator(
    app: App, store: str, account_id: str, authenticator_id: str, reason: str
) -> None:
    """Remove one authentication method of account ID."""
    app.store(store).remove_authenticator(account_id, authenticator_id, reason=reason)
    app.out.print(f"Removed authenticator {authenticator_id} of account {account_id}.")


@click.group()
def password() -> None:
    """Set an account's password."""


def _read_password() -> Secret:
    stdin = sys.stdin
    if stdin.isatty():
        value = click.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        value = stdin.readline().rstrip("\r\n")
    if not value:
        raise click.UsageError("the new password is empty")
    return Secret(value)


@password.command("set")
@store_argument
@_ACCOUNT
@reason_option
@pass_app
def set_password(app: App, store: str, account_id: str, reason: str) -> None:
    """Set the password of account ID: asked twice, hidden (or one line from stdin)."""
    target = app.store(store)
    target.get_account(account_id)  # fail on a wrong id before asking for a password
    target.set_password(account_id, _read_password(), reason=reason)
    app.out.print(f"Password of account {account_id} set in store {store!r}.")


@click.group("failed-attempts")
def failed_attempts() -> None:
    """Reset failed login attempt counters."""


@failed_attempts.command("reset")
@store_argument
@_ACCOUNT
@reason_option
@pass_app
def reset_failed_attempts(app: App, store: str, account_id: str, reason: str) -> None:
    """Reset the failed password and OTP counters of account ID and lift the lockout."""
    app.store(store).reset_failed_attempts(account_id, reason=reason)
    app.out.print(f"Failed attempts of account {account_id} reset in store {store!r}.")


@click.group()
def sessions() -> None:
    """List and revoke login sessions."""


@sessions.command("list")
@store_argument
@_ACCOUNT
@json_option
@pass_app
def list_sessions(app: App, store: str, account_id: str, json_flag: bool) -> None:
    """List the active sessions of account ID, most recently seen first."""
    found = app.store(store).list_sessions(account_id)
    if app.wants_json(json_flag):
        print_json(to_json(found))
    else:
        app.out.print(session_table(found))


@sessions.command("revoke")
@store_argument
@_ACCOUNT
@click.argument("session_id", required=False, metavar="[SESSION_ID]")
@click.option("--all", "every", is_flag=True, help="Revoke every session of the account.")
@reason_option
@pass_app
def revoke_sessions(
    app: App, store: str, account_id: str, session_id: str | None, every: bool, reason: str
) -> None:
    """Revoke one session (SESSION_ID) or every session (--all) of account ID."""
    if (session_id is None) == (not every):
        raise click.UsageError("give a SESSION_ID or --all (not both)")
    target = app.store(store)
    if every:
        ended = target.revoke_sessions(account_id, reason=reason)
        app.out.print(f"Revoked {ended} session(s) of account {account_id}.")
    else:
        assert session_id is not None
        target.revoke_session(account_id, session_id, reason=reason)
        app.out.print(f"Revoked session {session_id} of account {account_id}.")
