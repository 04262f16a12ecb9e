"""``idconnect admins ...``: admin roles and who holds them (README, "Administrator permissions").

Roles of the config file are shown and used but changed only by editing the file; ``define``,
``drop``, ``grant`` and ``revoke`` change the hub's state database, through :attr:`Hub.admins`.
``add``, ``password`` and ``totp`` set up an admin's login to the support console
(:mod:`idconnect.core.admin_login`).
"""

from __future__ import annotations

from collections.abc import Sequence

import click
from rich.table import Table

from idconnect.cli.context import (
    App,
    complete_store,
    json_option,
    optional_reason_option,
    pass_app,
    print_json,
    reason_option,
)
from idconnect.cli.prompts import read_new_password
from idconnect.cli.render import add_column
from idconnect.core.admins import KNOWN_PERMISSIONS, describe_permission

__all__ = ["admins"]


@click.group()
def admins() -> None:
    """Admin roles, their permissions, and who holds them."""


@admins.command("permissions")
@json_option
@pass_app
def list_permissions(app: App, json_flag: bool) -> None:
    """List every permission name a role may grant, and what it gates."""
    if app.wants_json(json_flag):
        print_json({name: describe_permission(name) for name in KNOWN_PERMISSIONS})
        return
    table = Table(header_style="bold")
    add_column(table, "Permission", no_wrap=True)
    add_column(table, "Gates")
    for name in KNOWN_PERMISSIONS:
        table.add_row(name, describe_permission(name))
    app.out.print(table)


@admins.command("roles")
@json_option
@pass_app
def list_roles(app: App, json_flag: bool) -> None:
    """List the roles in force (built in, config, state) and their members."""
    roles = app.hub.admins.roles()
    members = app.hub.admins.members()
    holders = {r.name: sorted(a for a, held in members.items() if r.name in held) for r in roles}
    if app.wants_json(json_flag):
        print_json(
            [
                {
                    "name": r.name,
                    "permissions": list(r.permissions),
                    "stores": None if r.stores is None else list(r.stores),
                    "source": r.source,
                    "members": holders[r.name],
                }
                for r in roles
            ]
        )
        return
    table = Table(header_style="bold")
    add_column(table, "Role", no_wrap=True)
    add_column(table, "Source", no_wrap=True)
    add_column(table, "Permissions")
    add_column(table, "Stores")
    add_column(table, "Members")
    for r in roles:
        stores = "all" if r.stores is None else ", ".join(r.stores)
        table.add_row(
            r.name, r.source, ", ".join(r.permissions), stores, ", ".join(holders[r.name])
        )
    app.out.print(table)
    app.out.print(app.hub.permissions.describe())


@admins.command("define")
@click.argument("role")
@click.option(
    "--permission",
    "-p",
    "permissions",
    multiple=True,
    required=True,
    help="A permission, 'family.*' or '*' (repeat for more).",
)
@click.option(
    "--store",
    "stores",
    multiple=True,
    shell_complete=complete_store,
    help="Limit the role to this store (repeat for more; default every store).",
)
@reason_option
@pass_app
def define(
    app: App, role: str, permissions: Sequence[str], stores: Sequence[str], reason: str
) -> None:
    """Create ROLE in the hub's state database, or replace its permissions and stores."""
    done = app.hub.admins.define_role(role, permissions, stores=list(stores) or None, reason=reason)
    where = "every store" if done.stores is None else ", ".join(done.stores)
    app.out.print(f"Role {done.name!r}: {', '.join(done.permissions)} on {where}.")


@admins.command("drop")
@click.argument("role")
@reason_option
@pass_app
def drop(app: App, role: str, reason: str) -> None:
    """Delete ROLE from the hub's state database (revoke its grants first)."""
    app.hub.admins.drop_role(role, reason=reason)
    app.out.print(f"Role {role!r} is dropped.")


@admins.command("grant")
@click.argument("actor")
@click.argument("role")
@reason_option
@pass_app
def grant(app: App, actor: str, role: str, reason: str) -> None:
    """Let ACTOR hold ROLE (recorded in the hub's state database)."""
    done = app.hub.admins.grant(actor, role, reason=reason)
    app.out.print(f"{actor!r} holds role {role!r}{'' if done else ' (already did)'}.")


@admins.command("revoke")
@click.argument("actor")
@click.argument("role")
@reason_option
@pass_app
def revoke(app: App, actor: str, role: str, reason: str) -> None:
    """Take ROLE from ACTOR in the hub's state database."""
    app.hub.admins.revoke(actor, role, reason=reason)
    app.out.print(f"{actor!r} no longer holds role {role!r} through the state database.")


ADD_REASON = "console admin added with idconnect admins add"
"""The reason recorded when ``idconnect admins add`` is given none."""


@admins.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="Grant this role to NAME (repeat for more; see idconnect admins roles).",
)
@optional_reason_option(ADD_REASON)
@pass_app
def add(app: App, name: str, roles: Sequence[str], reason: str) -> None:
    """Let NAME log in to the support console, and grant them roles.

    The password is asked twice, hidden (or read as one line from stdin): at least
    12 characters, not the name. Only its argon2 hash is kept, in the hub's state database.
    The headline form has no reason, so one is optional here: without it the audit events
    say the admin was added with this command.
    """
    from idconnect.core.admin_login import has_console_password, set_admin_password

    hub = app.hub
    if has_console_password(hub, name):
        raise click.UsageError(
            f"admin {name!r} can log in already; change the password with"
            f" 'idconnect admins password {name}'"
        )
    if roles:
        known = {r.name for r in hub.admins.roles()}
        unknown = [r for r in roles if r not in known]
        if unknown:
            raise click.BadParameter(
                f"no role {', '.join(map(repr, unknown))} (defined: {', '.join(sorted(known))})",
                param_hint="--role",
            )
    set_admin_password(hub, name, _password(), by=hub.actor, reason=reason)
    for role in roles:
        hub.admins.grant(name, role, reason=reason)
    held = f" with role(s) {', '.join(roles)}" if roles else ""
    app.out.print(f"Admin {name!r} can log in to the console{held}.")


@admins.command("password")
@click.argument("name")
@reason_option
@pass_app
def password(app: App, name: str, reason: str) -> None:
    """Change NAME's console password (asked twice, hidden, or one line from stdin).

    Every open console session of NAME ends.
    """
    from idconnect.core.admin_login import has_console_password, set_admin_password

    hub = app.hub
    if not has_console_password(hub, name):
        raise click.UsageError(
            f"admin {name!r} has no console login; add it with 'idconnect admins add {name}'"
        )
    set_admin_password(hub, name, _password(), by=hub.actor, reason=reason)
    app.out.print(f"Console password of {name!r} changed; their console sessions are closed.")


@admins.command("totp")
@click.argument("name")
@reason_option
@pass_app
def totp(app: App, name: str, reason: str) -> None:
    """Require a one-time code (TOTP) at NAME's console logins; prints the otpauth URI once.

    Load the URI into an authenticator app (or a QR code made from it); running this again
    replaces the secret, and the old app entry stops working.
    """
    from idconnect.core.admin_login import enable_admin_totp

    hub = app.hub
    uri = enable_admin_totp(hub, name, by=hub.actor, reason=reason)
    click.echo(uri)
    app.err.print(
        f"One-time codes are now required for {name!r}. The URI above is shown only this once."
    )


def _password() -> str:
    # imported here: the CLI loads the core (and SQLAlchemy) only for commands needing it
    from idconnect.core.admin_login import MIN_PASSWORD

    return read_new_password(f"Console password (at least {MIN_PASSWORD} characters)")
