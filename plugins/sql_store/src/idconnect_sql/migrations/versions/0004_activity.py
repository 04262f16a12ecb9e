"""Account activity: ``idc_activity``, what happened to an account as the store saw it.

Logins succeeded and failed, lockouts, password changes and resets, authenticator and session
events, written by the customer-facing app (``store.record_activity`` or a plain ``INSERT``)
with the columns of :func:`idconnect_sql.tables.activity_columns`, and an index on
``(account_id, at, id)`` for newest-first pages of one account. A database created at the
baseline from today's :mod:`idconnect_sql.tables` already has the table and is left as it is.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from idconnect_sql.migrations.shapes import TABLE_OPTIONS, account_key, schema
from idconnect_sql.tables import PREFIX, activity_columns

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TABLE = f"{PREFIX}activity"


def upgrade() -> None:
    """Create ``idc_activity`` and its index where the table is missing."""
    where = schema()
    if sa.inspect(op.get_bind()).has_table(_TABLE, schema=where):
        return
    op.create_table(_TABLE, *activity_columns(account_key()), schema=where, **TABLE_OPTIONS)
    op.create_index(f"{_TABLE}_account_idx", _TABLE, ["account_id", "at", "id"], schema=where)


def downgrade() -> None:
    """Drop ``idc_activity`` (its records go)."""
    op.drop_table(_TABLE, schema=schema())
