"""``idconnect roles ...``: list the roles a store can assign; assign and unassign them."""

from __future__ import annotations

import click
from rich.table import Table

from idconnect.cli.context import (
    App,
    json_option,
    pass_app,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.core.opspec import covers

__all__ = ["roles"]

_ACCOUNT = click.argument("account_id", metavar="ID")


@click.group()
def roles() -> None:
    """List, assign and unassign roles."""


@roles.command("list")
@store_argument
@json_option
@pass_app
@covers("list_roles")
def list_roles(app: App, store: str, json_flag: bool) -> None:
    """List the roles STORE can assign."""
    found = app.store(store).list_roles()
    if app.wants_json(json_flag):
        print_model(found)
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
    @covers(method)
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
