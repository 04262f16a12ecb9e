"""``idconnect attributes STORE``: what a store holds, and what support may do with each."""

from __future__ import annotations

import click
from rich.table import Table

from idconnect.cli.context import App, json_option, pass_app, print_json, store_argument
from idconnect.core.schema import AttributeDef

__all__ = ["attribute_row", "attributes"]


def attribute_row(definition: AttributeDef) -> dict[str, object]:
    """Describe one attribute of a store's catalogue as the JSON form lists it.

    :param definition: the attribute.
    :returns: its path, schema, type, multi-valued / case-exact / custom, and the visible,
        editable and searchable flags, with its description.
    """
    return {
        "path": definition.path,
        "schema": definition.schema,
        "type": definition.type.value,
        "multiValued": definition.multi_valued,
        "caseExact": definition.case_exact,
        "custom": definition.custom,
        "visible": definition.visible,
        "editable": definition.mutable,
        "searchable": definition.searchable,
        "description": definition.description,
    }


@click.command()
@store_argument
@json_option
@pass_app
def attributes(app: App, store: str, json_flag: bool) -> None:
    """List the attributes STORE holds: type, and whether support sees, edits and searches each."""
    catalogue = app.store(store).catalogue
    if app.wants_json(json_flag):
        print_json([attribute_row(d) for d in catalogue])
        return
    table = Table(title=f"Attributes of store {store!r}")
    for header in ("Attribute", "Type", "Visible", "Editable", "Searchable", "Description"):
        table.add_column(header, no_wrap=header != "Description")

    def yes(flag: bool) -> str:
        return "yes" if flag else "[red]no[/red]"

    for d in catalogue:
        kind = d.type.value + (" (multi-valued)" if d.multi_valued else "")
        name = d.path + (" [cyan](custom)[/cyan]" if d.custom else "")
        table.add_row(
            name, kind, yes(d.visible), yes(d.mutable), yes(d.searchable), d.description or ""
        )
    app.out.print(table)
