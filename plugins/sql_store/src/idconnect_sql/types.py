"""Column types that behave the same on SQLite, PostgreSQL and MariaDB/MySQL.

- :func:`text` strings compare and sort by code point everywhere: ``COLLATE "C"`` on PostgreSQL,
  ``utf8mb4_nopad_bin`` on MariaDB/MySQL (binary, and no PAD SPACE: ``'a' <> 'a '``), SQLite's
  default ``BINARY``. That is the reference evaluator's order for the lowered shadow columns.
- :class:`UtcDateTime` stores instants as naive UTC with microseconds and reads them back aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect

__all__ = ["UtcDateTime", "naive_utc", "text"]


def text(length: int) -> sa.types.TypeEngine[str]:
    """Return a ``VARCHAR(length)`` type with code-point (binary) collation on every dialect.

    :param length: the maximum length in characters.
    :returns: the type, with per-dialect variants.
    """
    return (
        sa.String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(
            mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_nopad_bin"),
            "mysql",
            "mariadb",
        )
    )


def naive_utc(value: datetime) -> datetime:
    """Convert an aware instant to the naive UTC form stored in the database.

    :param value: an aware datetime (a naive one is taken as UTC already).
    :returns: the same instant, naive, in UTC.
    """
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An instant stored as naive UTC (microseconds kept), read back as an aware UTC datetime."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        """Use ``DATETIME(6)`` on MariaDB/MySQL, which otherwise drops the fraction."""
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store an aware instant as naive UTC."""
        return None if value is None else naive_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Read a naive UTC value back as an aware instant."""
        if value is None:
            return None
        if isinstance(value, str):  # a value written by another tool on SQLite
            value = datetime.fromisoformat(value)
        instant: datetime = value
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
