"""``idconnect find FILTER``: one search across every store (or some), merged into one page."""

from __future__ import annotations

import json

import click
from rich.table import Table

from idconnect.cli.context import App, json_option, pass_app
from idconnect.cli.render import add_column, display_name, status_text
from idconnect.core.federated_json import federated_to_json

__all__ = ["find"]


@click.command("find")
@click.argument("filter_text", metavar="FILTER", required=False)
@click.option("--stores", metavar="A,B", help="Search only these stores (in this order).")
@click.option("--sort-by", metavar="ATTR", help="Merge by a single-valued attribute.")
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option(
    "--count", type=click.IntRange(1, 1000), default=50, show_default=True, help="Page size."
)
@click.option("--cursor", metavar="C", help="Continue from a cursor printed by a previous page.")
@click.option("--strict", is_flag=True, help="Fail when a store cannot answer (else skip it).")
@click.option(
    "--allow-scan", is_flag=True, help="Run even a search reading every account of a large store."
)
@json_option
@pass_app
def find(
    app: App,
    filter_text: str | None,
    stores: str | None,
    sort_by: str | None,
    desc: bool,
    count: int,
    cursor: str | None,
    strict: bool,
    allow_scan: bool,
    json_flag: bool,
) -> None:
    """Find accounts in every store at once (or --stores a,b): one merged page.

    FILTER is a SCIM filter, e.g. 'emails.value eq "ann@example.org"'. A store that is down,
    cannot answer the filter or that you may not read is skipped and named (--strict fails
    instead). Without --sort-by the accounts come store by store.
    """
    app.filter_text = filter_text
    names = None if stores is None else [s.strip() for s in stores.split(",") if s.strip()]
    page = app.hub.search_accounts(
        filter_text,
        stores=names,
        sort_by=sort_by,
        descending=desc,
        count=count,
        cursor=cursor,
        strict=strict,
        allow_scan=allow_scan,
    )
    if app.wants_json(json_flag):
        doc = federated_to_json(page, lambda name: app.store(name).catalogue)
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    table = Table(header_style="bold")
    for column in ("Store", "ID", "User name", "Name", "Status"):
        add_column(table, column, no_wrap=column in ("Store", "ID"))
    for item in page.items:
        catalogue = app.store(item.store).catalogue
        table.add_row(
            item.store,
            item.account.id or "",
            item.account.user_name,
            display_name(item.account) or "",
            status_text(item.account, catalogue),
        )
    app.out.print(table)
    app.out.print(f"{len(page.items):,} account(s)")
    for skipped in page.skipped:
        app.out.print(
            f"[yellow]skipped {skipped.store} ({skipped.cause}):[/yellow] {skipped.message}",
            markup=True,
        )
    if page.next_cursor is not None:
        app.out.print("More: add")
        app.out.print(f"--cursor {page.next_cursor}", soft_wrap=True)
