"""``idc_accounts.child_kinds``: which child lists an account may have rows in, a bit each.

Reads run a kind's correlated subquery only under its bit (:mod:`idconnect_sql.managed.children`).
The column is added with every bit set (its server default, for rows other tools write), then
each account's bits are set from the child rows it holds. A database created at the baseline
from today's :mod:`idconnect_sql.tables` already has the column and is left as it is.
Downgrading drops the column.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from idconnect_sql.migrations.shapes import columns, schema
from idconnect_sql.tables import ALL_CHILD_KINDS, PREFIX

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLE = f"{PREFIX}accounts"
_CHILD_TABLES = (
    "emails",
    "phone_numbers",
    "external_identities",
    "role_assignments",
    "memberships",
)
"""The child tables, in the order of their bits (emails 1, phone numbers 2 ... memberships 16)."""


def upgrade() -> None:
    """Add the column where it is missing and set every account's bits from its rows."""
    if "child_kinds" in columns("accounts"):
        return
    where = schema()
    op.add_column(
        _TABLE,
        sa.Column(
            "child_kinds", sa.SmallInteger, nullable=False, server_default=str(ALL_CHILD_KINDS)
        ),
        schema=where,
    )
    accounts = sa.table(_TABLE, sa.column("id"), sa.column("child_kinds"), schema=where)
    bits: sa.ColumnElement[int] = sa.literal(0)
    for n, name in enumerate(_CHILD_TABLES):
        child = sa.table(f"{PREFIX}{name}", sa.column("account_id"), schema=where)
        held = sa.exists().where(child.c.account_id == accounts.c.id)
        bits = bits + sa.case((held, 1 << n), else_=0)
    op.get_bind().execute(sa.update(accounts).values(child_kinds=bits))


def downgrade() -> None:
    """Drop the column."""
    op.drop_column(_TABLE, "child_kinds", schema=schema())
