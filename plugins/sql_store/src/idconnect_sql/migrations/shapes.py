"""What the revisions share: the schema migrated, the key to the accounts, table shapes.

Imported by the scripts in ``versions/`` while Alembic runs them (``context`` is then set up).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op
from idconnect_sql.tables import PREFIX

__all__ = ["TABLE_OPTIONS", "account_key", "columns", "drop_empty", "schema"]

TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mariadb_charset": "utf8mb4"}
"""Options of every table a revision creates."""


def schema() -> str | None:
    """Return the database schema the managed tables live in (``None``: the default)."""
    found: str | None = context.config.attributes["metadata"].schema
    return found


def account_key() -> sa.ForeignKey:
    """Return a new foreign key to ``idc_accounts.id`` that deletes with the account."""
    where = schema()
    target = f"{where}.{PREFIX}accounts.id" if where else f"{PREFIX}accounts.id"
    return sa.ForeignKey(target, ondelete="CASCADE")


def columns(table: str) -> set[str]:
    """Return the column names of a managed table as the database has it.

    :param table: the name without the ``idc_`` prefix.
    :returns: the names.
    """
    inspector = sa.inspect(op.get_bind())
    return {str(c["name"]) for c in inspector.get_columns(f"{PREFIX}{table}", schema=schema())}


def drop_empty(table: str) -> None:
    """Drop a placeholder table of the baseline, refusing when it holds rows.

    :param table: the name without the ``idc_`` prefix.
    :raises RuntimeError: when the table holds rows (moving them is the operator's call).
    """
    name = f"{PREFIX}{table}"
    qualified = sa.table(name, schema=schema())
    held = op.get_bind().execute(sa.select(sa.func.count()).select_from(qualified)).scalar()
    if held:
        raise RuntimeError(
            f"{name} holds {held} rows of the old placeholder shape, which idconnect never"
            " wrote: move them out of the table before upgrading"
        )
    op.drop_table(name, schema=schema())
