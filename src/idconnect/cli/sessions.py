"""``idconnect sessions ...``: list an account's login sessions and revoke them."""

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
from idconnect.cli.render import session_table
from idconnect.core.opspec import covers

__all__ = ["sessions"]

_ACCOUNT = click.argument("account_id", metavar="ID")


@click.group()
def sessions() -> None:
    """List and revoke login sessions."""


@sessions.command("list")
@store_argument
@_ACCOUNT
@json_option
@pass_app
@covers("list_sessions")
def list_sessions(app: App, store: str, account_id: str, json_flag: bool) -> None:
    """List the active sessions of account ID, most recently seen first."""
    found = app.store(store).list_sessions(account_id)
    if app.wants_json(json_flag):
        print_model(found)
    else:
        app.out.print(session_table(found))


@sessions.command("revoke")
@store_argument
@_ACCOUNT
@click.argument("session_id", required=False, metavar="[SESSION_ID]")
@click.option("--all", "every", is_flag=True, help="Revoke every session of the account.")
@reason_option
@pass_app
@covers("revoke_session", "revoke_sessions")
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
