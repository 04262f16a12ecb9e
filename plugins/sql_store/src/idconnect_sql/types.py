"""Column types that behave the same on SQLite, PostgreSQL and MariaDB/MySQL.

- :func:`text` strings compare and sort by code point everywhere: ``COLLATE "C"`` on PostgreSQL,
  ``utf8mb4_nopad_bin`` on MariaDB/MySQL (binary, and no PAD SPACE: ``'a' <> 'a '``), SQLite's
  default ``BINARY``. That is the reference evaluator's order for the lowered shadow columns.
- :class:`UtcDateTime` stores instants as naive UTC with microseconds and reads them back aware.
- :class:`ForeignInstant` reads and writes instants in timestamp columns of tables idconnect does
  not own (mapped schemas), in the column's own convention.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect

__all__ = ["ForeignInstant", "UtcDateTime", "naive_utc", "text"]


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


def _utc(instant: datetime) -> datetime:
    """The instant as an aware UTC datetime (a naive one is taken as UTC already)."""
    if instant.tzinfo is None:  # combine: replace(tzinfo=...) takes four times as long
        return datetime.combine(instant, instant.time(), UTC)
    return instant.astimezone(UTC)


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
        return _utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        """Read the driver's values in one step where it can.

        SQLite's text as written is read in one parse with its offset (``fromisoformat``); a
        naive ``datetime`` (PostgreSQL's and MariaDB's drivers) is made aware directly.
        SQLAlchemy's own path (its parse, then :meth:`process_result_value`, then the time
        zone) took twice as long on SQLite, four values an account row. Other values, and a
        dialect whose own type converts first, take that path.
        """
        process = self.process_result_value
        if dialect.name != "sqlite":
            if self.load_dialect_impl(dialect).result_processor(dialect, coltype) is not None:
                return super().result_processor(dialect, coltype)

            def made_aware(value: Any) -> datetime | None:
                if type(value) is datetime and value.tzinfo is None:
                    return datetime.combine(value, value.time(), UTC)
                return process(value, dialect)

            return made_aware

        def read(value: Any) -> datetime | None:
            if value is None:
                return None
            if type(value) is str and len(value) == 26:  # as written: YYYY-MM-DD HH:MM:SS.ffffff
                try:
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:  # another tool's text of that length
                    pass
            return process(value, dialect)

        return read


class ForeignInstant(sa.types.TypeDecorator[datetime]):
    """An instant in a timestamp column of a mapped table, read back as an aware UTC datetime.

    Bound values are taken as UTC when naive (filters bind naive UTC). A column with a time
    zone (PostgreSQL ``timestamp with time zone``) gets an aware UTC value, so the session's
    ``TimeZone`` does not shift it; a column without one gets naive UTC (Django's convention
    with ``USE_TZ``). On SQLite the value is text as Django writes it
    (``2024-05-01 10:00:00[.ffffff]``): microseconds only when non-zero, which keeps text order
    equal to time order.

    :param aware: whether the column holds a time zone.
    """

    impl = sa.DateTime
    cache_ok = True

    def __init__(self, aware: bool = False) -> None:
        super().__init__(timezone=aware)
        self.aware = aware

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        """Use plain text on SQLite (the driver neither parses nor formats it)."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String())
        return dialect.type_descriptor(sa.DateTime(timezone=self.aware))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Write the instant in the column's convention."""
        if value is None:
            return None
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None).isoformat(" ")
        return utc if self.aware else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Read the stored value as an aware UTC instant (naive values are UTC)."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return _utc(value)
