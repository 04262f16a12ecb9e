"""Create and migrate the managed schema with the Alembic migrations shipped in this package."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from idconnect_sql.tables import PREFIX, ManagedTables

__all__ = [
    "VERSION_TABLE",
    "current_revision",
    "has_schema",
    "head_revision",
    "revision_name",
    "upgrade",
]

VERSION_TABLE = f"{PREFIX}alembic_version"
"""The table Alembic records the schema's revision in."""

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(connection: Connection, tables: ManagedTables) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    config.attributes["metadata"] = tables.metadata
    return config


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """Return the newest revision the shipped migrations know.

    :returns: the revision id.
    """
    head = _scripts().get_current_head()
    assert head is not None
    return head


def revision_name(revision: str) -> str:
    """Return a revision's id with its script's name, for people to read.

    :param revision: a revision id, e.g. ``0001``.
    :returns: e.g. ``0001_baseline``.
    """
    script = _scripts().get_revision(revision)
    return Path(script.path).stem if script is not None and script.path else revision


def current_revision(connection: Connection, tables: ManagedTables) -> str | None:
    """Return the revision the database is at, ``None`` when idconnect never created it.

    :param connection: an open connection.
    :param tables: the managed tables (their schema).
    :returns: the revision id or ``None``.
    """
    context = MigrationContext.configure(
        connection,
        opts={"version_table": VERSION_TABLE, "version_table_schema": tables.metadata.schema},
    )
    return context.get_current_revision()


_ALEMBIC = threading.Lock()
"""Alembic keeps the running migration in module globals (``alembic.context``): stores first
used at once from several threads (a federated search) migrate one after the other."""


def upgrade(engine: Engine, tables: ManagedTables) -> str:
    """Create the managed tables, or migrate them to the newest revision.

    :param engine: the store's engine.
    :param tables: the managed tables.
    :returns: the revision the database is at afterwards.
    """
    with _ALEMBIC, engine.begin() as connection:
        if current_revision(connection, tables) != head_revision():
            command.upgrade(_config(connection, tables), "head")
        revision = current_revision(connection, tables)
    assert revision is not None
    return revision


def has_schema(connection: Connection, tables: ManagedTables) -> bool:
    """Whether the managed tables exist at the newest revision.

    :param connection: an open connection.
    :param tables: the managed tables.
    :returns: ``True`` when nothing needs creating or migrating.
    """
    if not sa.inspect(connection).has_table(VERSION_TABLE, schema=tables.metadata.schema):
        return False
    return current_revision(connection, tables) == head_revision()
