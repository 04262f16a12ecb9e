"""Sort indexes: ``(sort key, id)`` on every sortable account column.

Keyset pages ordered by an attribute then read an index in order (see
:mod:`idconnect_sql.paging`). The baseline's single-column indexes on ``family_name_ci``,
``display_name_ci`` and ``organization_ci`` are replaced by the wider ones, which serve the same
filters. A database created at the baseline from today's :mod:`idconnect_sql.tables` already
has them: indexes are created only where missing, dropped only where present.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import context, op
from idconnect_sql.tables import PREFIX, SORT_INDEXES, SUPERSEDED_INDEXES

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ACCOUNTS = f"{PREFIX}accounts"


def _existing() -> set[str]:
    schema = context.config.attributes["metadata"].schema
    inspector = sa.inspect(op.get_bind())
    return {str(index["name"]) for index in inspector.get_indexes(_ACCOUNTS, schema=schema)}


def upgrade() -> None:
    """Create the sort indexes that are missing and drop the ones they supersede."""
    schema = context.config.attributes["metadata"].schema
    existing = _existing()
    for name, column in SORT_INDEXES.items():
        if name not in existing:
            op.create_index(name, _ACCOUNTS, [column, "id"], schema=schema)
    for name in SUPERSEDED_INDEXES:
        if name in existing:
            op.drop_index(name, table_name=_ACCOUNTS, schema=schema)


def downgrade() -> None:
    """Restore the baseline's indexes."""
    schema = context.config.attributes["metadata"].schema
    existing = _existing()
    for name in SORT_INDEXES:
        if name in existing:
            op.drop_index(name, table_name=_ACCOUNTS, schema=schema)
    for name, column in zip(
        SUPERSEDED_INDEXES, ("family_name_ci", "display_name_ci", "organization_ci"), strict=True
    ):
        if name not in existing:
            op.create_index(name, _ACCOUNTS, [column], schema=schema)
