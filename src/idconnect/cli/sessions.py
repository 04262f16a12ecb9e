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
from idconnect.cli.resolve import account_id
from idconnect.core.opspec import covers

__all__ = ["sessions"]

_ACCOUNT = click.argument("account_ref", metavar="ACCOUNT")


@click.group()
def sessions() -> None:
    """List and revoke login sessions (ACCOUNT: an id, userName or email)."""


@sessions.command("list")
@store_argument
@_ACCOUNT
@json_option
@pass_app
@covers("list_sessions")
def list_sessions(app: App, store: str, account_ref: str, json_flag: bool) -> None:
    """List the active sessions of ACCOUNT, most recently seen first."""
    target = app.store(store)
    found = target.list_sessions(account_id(target, account_ref))
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
    app: App, store: str, account_ref: str, session_id: str | None, every: bool, reason: str
) -> None:
    """Revoke one session (SESSION_ID) or every session (--all) of ACCOUNT."""
    if (session_id is None) == (not every):
        raise click.UsageError("give a SESSION_ID or --all (not both)")
    target = app.store(store)
    ident = account_id(target, account_ref)
    if every:
        ended = target.revoke_sessions(ident, reason=reason)
        app.out.print(f"Revoked {ended} session(s) of account {ident}.")
    else:
        assert session_id is not None
        target.revoke_session(ident, session_id, reason=reason)
        app.out.print(f"Revoked session {session_id} of account {ident}.")
