"""Support records: identity verifications and consents in their full shape.

The baseline's ``idc_verifications`` and ``idc_consents`` were placeholders no version of
idconnect wrote to (one method, no level, evidence or revocation details; a consent without how
it ended). They are rebuilt with the columns :class:`idconnect.backend.RecordSql` reads
(:func:`idconnect_sql.tables.verification_columns`, :func:`~idconnect_sql.tables.consent_columns`)
where they still have the old shape; a placeholder that holds rows is refused rather than
guessed at. A database created at the baseline from today's :mod:`idconnect_sql.tables` already
has the new shape and is left as it is. Downgrading rebuilds the placeholders (the records go).

Revision ID: 0003
Revises: 0002
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from idconnect_sql.migrations.shapes import TABLE_OPTIONS, account_key, columns, drop_empty, schema
from idconnect_sql.tables import ID, PREFIX, SHORT, consent_columns, verification_columns
from idconnect_sql.types import UtcDateTime, text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NEW_COLUMN = {"verifications": "evidence", "consents": "ended_how"}


def _create(table: str, shape: list[sa.Column[Any]], index: tuple[str, ...]) -> None:
    name = f"{PREFIX}{table}"
    op.create_table(name, *shape, schema=schema(), **TABLE_OPTIONS)
    op.create_index(f"{name}_account_idx", name, list(index), schema=schema())


def upgrade() -> None:
    """Rebuild the placeholder tables with the full columns (only where they are old)."""
    if _NEW_COLUMN["verifications"] not in columns("verifications"):
        drop_empty("verifications")
        _create(
            "verifications",
            verification_columns(account_key()),
            ("account_id", "verified_at"),
        )
    if _NEW_COLUMN["consents"] not in columns("consents"):
        drop_empty("consents")
        _create("consents", consent_columns(account_key()), ("account_id", "purpose", "agreed_at"))


def downgrade() -> None:
    """Rebuild the baseline's placeholder tables (the records are dropped)."""
    for table in ("verifications", "consents"):
        op.drop_table(f"{PREFIX}{table}", schema=schema())
    _create(
        "consents",
        [
            sa.Column("id", text(ID), primary_key=True),
            sa.Column("account_id", text(ID), account_key(), nullable=False),
            sa.Column("purpose", text(128), nullable=False),
            sa.Column("version", text(64)),
            sa.Column("granted_at", UtcDateTime, nullable=False),
            sa.Column("revoked_at", UtcDateTime),
        ],
        ("account_id", "granted_at"),
    )
    _create(
        "verifications",
        [
            sa.Column("id", text(ID), primary_key=True),
            sa.Column("account_id", text(ID), account_key(), nullable=False),
            sa.Column("policy", text(128), nullable=False),
            sa.Column("method", text(64)),
            sa.Column("verified_at", UtcDateTime, nullable=False),
            sa.Column("verified_by", text(SHORT)),
            sa.Column("revoked_at", UtcDateTime),
        ],
        ("account_id", "verified_at"),
    )
