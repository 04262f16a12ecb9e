"""Custom attributes: ``idc_attributes`` typed, one row per value, indexed per type.

The baseline's ``idc_attributes`` was a placeholder no version of idconnect wrote to (one text
value per name). It is rebuilt with the columns of
:func:`idconnect_sql.tables.attribute_columns` (a position per value, a column per type, the
folded text) and the ``(name, value, account)`` indexes of
:data:`idconnect_sql.tables.ATTRIBUTE_INDEXES`, where it still has the old shape; a placeholder
that holds rows is refused rather than guessed at. A database created at the baseline from
today's :mod:`idconnect_sql.tables` already has the new shape and is left as it is. Downgrading
rebuilds the placeholder (the values go).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from idconnect_sql.migrations.shapes import (
    TABLE_OPTIONS,
    account_key,
    columns,
    drop_empty,
    schema,
)
from idconnect_sql.tables import ATTRIBUTE_INDEXES, ID, PREFIX, attribute_columns
from idconnect_sql.types import text

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLE = f"{PREFIX}attributes"


def upgrade() -> None:
    """Rebuild the placeholder with typed columns and indexes (only where it is old)."""
    if "value_ci" in columns("attributes"):
        return
    drop_empty("attributes")
    op.create_table(_TABLE, *attribute_columns(account_key()), schema=schema(), **TABLE_OPTIONS)
    for name, indexed in ATTRIBUTE_INDEXES.items():
        op.create_index(name, _TABLE, list(indexed), schema=schema())


def downgrade() -> None:
    """Rebuild the baseline's placeholder (the values are dropped)."""
    op.drop_table(_TABLE, schema=schema())
    op.create_table(
        _TABLE,
        sa.Column("account_id", text(ID), account_key(), primary_key=True),
        sa.Column("name", text(64), primary_key=True),
        sa.Column("value", sa.Text),
        schema=schema(),
        **TABLE_OPTIONS,
    )
