"""The ``idconnect`` entry point of idconnect-sql: the ``sql`` store type and ``sql`` commands.

It imports no driver and not SQLAlchemy: the backend loads when a ``sql`` store is first built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idconnect.backend import StoreConfig, StoreFactory, hookimpl

if TYPE_CHECKING:
    import click

    from idconnect_sql.backend import SqlBackend

__all__ = ["idconnect_cli_commands", "idconnect_store_types", "make_store"]


def make_store(config: StoreConfig) -> SqlBackend:
    """Build the backend for one ``sql`` store.

    :param config: the store's config.
    :returns: a :class:`~idconnect_sql.mapped.MappedStore` when the config has a ``mapping``
        table, else a :class:`~idconnect_sql.managed.ManagedStore`.
    :raises ConfigError: for bad settings.
    """
    if "mapping" in config.settings:
        from idconnect_sql.mapped import MappedStore

        return MappedStore(config)
    from idconnect_sql.managed import ManagedStore

    return ManagedStore(config)


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``sql`` store type."""
    return {"sql": make_store}


@hookimpl
def idconnect_cli_commands(cli: click.Group) -> None:
    """Add ``idconnect sql ...`` (``seed-demo``) to the command line."""
    from idconnect_sql.cli import sql

    cli.add_command(sql)
