"""``idconnect roles ...``: list the roles a store can assign; assign and unassign them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.table import Table

from idconnect.cli.context import (
    App,
    json_option,
    pass_app,
    print_json,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.cli.render import add_column
from idconnect.cli.resolve import resolve_account
from idconnect.core.errors import InvalidInput
from idconnect.core.opspec import covers

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = ["check_role", "roles"]

_ACCOUNT = click.argument("account_id", metavar="ID")


@click.group()
def roles() -> None:
    """List, assign and unassign roles; list the organizations roles apply in."""


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
    add_column(table, "Role", no_wrap=True)
    add_column(table, "Description")
    for role in found:
        table.add_row(role.name, role.description or "")
    app.out.print(table)


@roles.command("organizations")
@store_argument
@json_option
@pass_app
@covers("list_organizations")
def list_organizations(app: App, store: str, json_flag: bool) -> None:
    """List the organizations of STORE (what `roles assign --organization` accepts)."""
    found = app.store(store).list_organizations()
    if app.wants_json(json_flag):
        print_json(found)
        return
    table = Table(header_style="bold")
    add_column(table, "Organization")
    for name in found:
        table.add_row(name)
    app.out.print(table)
    app.out.print(f"{len(found)} organization(s)")


def check_role(store: Store, role: str) -> str:
    """Refuse a role that is not in the store's role list (``roles list``).

    :param store: the store.
    :param role: the role given.
    :returns: the role.
    :raises InvalidInput: when the store lists roles and this is none of them, naming the one
        that differs only in case, else the roles there are.
    """
    if "list_roles" not in store.capabilities:
        return role
    names = [r.name for r in store.list_roles()]
    if role in names:
        return role
    variant = next((n for n in names if n.casefold() == role.casefold()), None)
    if variant is not None:
        raise InvalidInput(f"no role {role!r}; did you mean {variant!r}?", store=store.name)
    known = ", ".join(names) or "none yet"
    raise InvalidInput(
        f"no role {role!r} in `roles list` (the roles are: {known}); add --new-role to"
        " introduce a role",
        store=store.name,
    )


def _role_command(name: str, method: str, done: str) -> None:
    @roles.command(
        name,
        help=f"{name.capitalize()} ROLE (globally or in --organization) for account ID"
        " (or userName or email).",
    )
    @store_argument
    @_ACCOUNT
    @click.argument("role")
    @click.option("--organization", metavar="ORG", help="The organization the role applies to.")
    @reason_option
    @pass_app
    @covers(method)
    def command(
        app: App,
        store: str,
        account_id: str,
        role: str,
        organization: str | None,
        reason: str,
        new_role: bool = False,
    ) -> None:
        target = app.store(store)
        account = resolve_account(target, account_id)
        assert account.id is not None
        if name == "assign" and not new_role:
            check_role(target, role)
        getattr(target, method)(account.id, role, organization=organization, reason=reason)
        where = f" in organization {organization!r}" if organization else ""
        app.out.print(f"Role {role!r}{where} {done} account {account.id} in store {store!r}.")

    if name == "assign":
        click.option(
            "--new-role", is_flag=True, help="Introduce a role that no account holds yet."
        )(command)
    del command


_role_command("assign", "assign_role", "assigned to")
_role_command("unassign", "unassign_role", "taken from")
