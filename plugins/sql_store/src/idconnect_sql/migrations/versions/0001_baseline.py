"""Baseline: every managed ``idc_`` table and index.

The baseline builds the tables from :mod:`idconnect_sql.tables` as it stands at revision 0001;
later revisions change the schema with explicit ``op.*`` calls and ``tables.py`` in lockstep.

Revision ID: 0001
Revises:
"""

from alembic import context, op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every managed table."""
    context.config.attributes["metadata"].create_all(op.get_bind())


def downgrade() -> None:
    """Drop every managed table."""
    context.config.attributes["metadata"].drop_all(op.get_bind())
