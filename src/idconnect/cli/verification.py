"""``idconnect verifications ...``: an account's identity verifications; verify and revoke."""

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
from idconnect.cli.render_records import verification_table
from idconnect.cli.resolve import account_id
from idconnect.core.opspec import covers

__all__ = ["verifications"]

_ACCOUNT = click.argument("account_ref", metavar="ACCOUNT")


@click.group()
def verifications() -> None:
    """List, verify and revoke identity verifications (ACCOUNT: an id, userName or email)."""


@verifications.command("list")
@store_argument
@_ACCOUNT
@json_option
@pass_app
@covers("list_verifications")
def list_verifications(app: App, store: str, account_ref: str, json_flag: bool) -> None:
    """List the identity verifications of ACCOUNT, newest first, revoked ones too."""
    target = app.store(store)
    found = target.verifications(account_id(target, account_ref))
    if app.wants_json(json_flag):
        print_model(found)
    elif not found:
        app.out.print("No identity verifications.")
    else:
        app.out.print(verification_table(found))


@verifications.command("verify")
@store_argument
@_ACCOUNT
@click.option("--policy", required=True, help="A policy of [verification.policies].")
@click.option(
    "--evidence",
    required=True,
    help="A short note or reference number of what was checked (never a document).",
)
@reason_option
@json_option
@pass_app
@covers("verify_identity")
def verify_identity(
    app: App, store: str, account_ref: str, policy: str, evidence: str, reason: str, json_flag: bool
) -> None:
    """Record that you verified the identity of ACCOUNT under --policy."""
    target = app.store(store)
    made = target.verify_identity(
        account_id(target, account_ref), policy=policy, evidence=evidence, reason=reason
    )
    if app.wants_json(json_flag):
        print_model(made)
    else:
        app.out.print(f"Verified account {made.account_id} under {made.policy}: {made.id}.")


@verifications.command("revoke")
@store_argument
@_ACCOUNT
@click.argument("verification_id")
@reason_option
@pass_app
@covers("revoke_verification")
def revoke_verification(
    app: App, store: str, account_ref: str, verification_id: str, reason: str
) -> None:
    """Revoke identity verification VERIFICATION_ID of ACCOUNT (it stays listed)."""
    target = app.store(store)
    done = target.revoke_verification(
        account_id(target, account_ref), verification_id, reason=reason
    )
    app.out.print(f"Revoked identity verification {done.id} of account {done.account_id}.")
