"""``idconnect groups ...``: list, show, create, rename and delete groups; members in bulk."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from idconnect.cli.bulk import BulkAction, bulk_options, run_bulk, select_accounts
from idconnect.cli.context import (
    LIST_RESPONSE,
    App,
    canonical,
    json_option,
    pass_app,
    print_model,
    reason_option,
    store_argument,
)
from idconnect.cli.render import group_table
from idconnect.core.errors import InvalidInput, NotFound
from idconnect.core.model import Group
from idconnect.core.opspec import covers

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = ["groups", "resolve_group"]


@click.group()
def groups() -> None:
    """List groups and change their members."""


@groups.command("list")
@store_argument
@json_option
@pass_app
@covers("search_groups")
def list_groups(app: App, store: str, json_flag: bool) -> None:
    """List every group of STORE."""
    found = list(app.store(store).iter_groups())
    if app.wants_json(json_flag):
        print_doc = {
            "schemas": [LIST_RESPONSE],
            "itemsPerPage": len(found),
            "Resources": canonical(found),
        }
        click.echo(json.dumps(print_doc, indent=2, ensure_ascii=False))
    else:
        app.out.print(group_table(found))
        app.out.print(f"{len(found)} group(s)")


@groups.command("show")
@store_argument
@click.argument("group")
@json_option
@pass_app
@covers("get_group")
def show_group(app: App, store: str, group: str, json_flag: bool) -> None:
    """Show GROUP (an id or a display name) with its member ids."""
    found = resolve_group(app.store(store), group)
    if app.wants_json(json_flag):
        print_model(found)
        return
    app.out.print(group_table([found]))
    for member in found.members:
        app.out.print(f"  {member}")
    app.out.print(f"{len(found.members)} member(s)")


@groups.command("create")
@store_argument
@click.argument("display_name", metavar="NAME")
@click.option("--reason", help="Why (recorded in the audit trail).")
@json_option
@pass_app
@covers("create_group")
def create_group(
    app: App, store: str, display_name: str, reason: str | None, json_flag: bool
) -> None:
    """Create a group named NAME in STORE."""
    created = app.store(store).create_group({"displayName": display_name}, reason=reason)
    if app.wants_json(json_flag):
        print_model(created)
    else:
        app.out.print(f"Created group {created.display_name!r} ({created.id}) in store {store!r}.")


@groups.command("delete")
@store_argument
@click.argument("group")
@reason_option
@pass_app
@covers("delete_group")
def delete_group(app: App, store: str, group: str, reason: str) -> None:
    """Delete GROUP (an id or a display name); its members stay."""
    target = app.store(store)
    found = resolve_group(target, group)
    assert found.id is not None
    target.delete_group(found.id, reason=reason)
    app.out.print(f"Deleted group {found.display_name!r} ({found.id}) from store {store!r}.")


@groups.command("rename")
@store_argument
@click.argument("group")
@click.argument("display_name", metavar="NEW_NAME")
@reason_option
@json_option
@pass_app
@covers("rename_group")
def rename_group(
    app: App, store: str, group: str, display_name: str, reason: str, json_flag: bool
) -> None:
    """Rename GROUP (an id or a display name) to NEW_NAME; its id and members stay."""
    target = app.store(store)
    found = resolve_group(target, group)
    assert found.id is not None
    renamed = target.rename_group(found.id, display_name, reason=reason)
    if app.wants_json(json_flag):
        print_model(renamed)
    else:
        app.out.print(
            f"Renamed group {found.display_name!r} to {renamed.display_name!r} ({renamed.id})"
            f" in store {store!r}."
        )


def resolve_group(store: Store, name_or_id: str) -> Group:
    """Find a group, with its members, by id, else by its exact display name.

    :param store: the store.
    :param name_or_id: a group id or display name.
    :returns: the group.
    :raises NotFound: when neither matches.
    :raises InvalidInput: when several groups have that display name.
    """
    from idconnect.core.filter import attr  # with the facade, not at CLI start-up

    try:
        return store.get_group(name_or_id)
    except NotFound:
        pass
    matches = list(store.search_groups(attr("displayName").eq(name_or_id), count=2).items)
    if len(matches) == 1 and matches[0].id is not None:
        return store.get_group(matches[0].id)  # a search may leave the members out
    if not matches:
        raise NotFound(f"no group with id or name {name_or_id!r}", store=store.name)
    raise InvalidInput(f"several groups are named {name_or_id!r}; give the id", store=store.name)


def _membership_command(
    name: str, verb: str, method: str, operation: str, preposition: str
) -> None:
    @groups.command(
        name, help=f"{name.capitalize()} accounts (by ID or --filter) {preposition} GROUP."
    )
    @store_argument
    @click.argument("group")
    @click.argument("ids", nargs=-1, metavar="[ID|USERNAME|EMAIL]...")
    @bulk_options
    @pass_app
    @click.pass_context
    @covers(operation)
    def command(
        ctx: click.Context,
        app: App,
        store: str,
        group: str,
        ids: tuple[str, ...],
        filter_text: str | None,
        reason: str,
        most: int | None,
        dry_run: bool,
        yes: bool,
        json_flag: bool,
    ) -> None:
        target = app.store(store)
        found = resolve_group(target, group)
        assert found.id is not None
        group_id = found.id
        selected = select_accounts(target, ids, filter_text, most=most)
        members = set(target.get_group(group_id).members)
        adding = name == "add"
        selected = selected.without(
            {
                i: "already a member" if adding else "not a member"
                for i in selected.ids
                if i not in selected.unknown and (i in members) == adding
            }
        )
        run = getattr(target, method)
        action = BulkAction(
            verb=verb,
            target=f"{preposition} group {found.display_name!r}",
            run=lambda ids, progress: run(group_id, ids, reason=reason, progress=progress),
        )
        ctx.exit(
            run_bulk(
                app,
                target,
                selected,
                action,
                dry_run=dry_run,
                yes=yes,
                as_json=app.wants_json(json_flag),
            )
        )

    del command


_membership_command("add", "added", "add_to_group", "add_group_member", "to")
_membership_command("remove", "removed", "remove_from_group", "remove_group_member", "from")
