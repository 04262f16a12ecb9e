"""Mapped store: custom attributes as columns of the mapped table (or of a child table).

Each custom attribute names where it lives with ``source``:

- single-valued: a column of the mapped table (``source = "loyalty_tier"``), read and written
  with the row, filtered and sorted like any mapped column;
- multi-valued: ``"<table>.<column>"`` of a child table with exactly one foreign key to the
  mapped table's id (``source = "user_interests.interest"``), one row per value, in the order
  of the child table's primary key; filters are semi-joins over its rows.

The reflected column's SQL type must fit the declared type (text for ``string`` and
``reference``, an integer for ``integer``, an exact numeric for ``decimal``, a timestamp for
``dateTime``, a boolean, or MariaDB's ``tinyint(1)``, for ``boolean``); a value the column cannot
hold (too long, too many digits, too wide an integer) is refused before any write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from idconnect.backend import (
    AttributeDef,
    AttrType,
    ConfigError,
    InvalidInput,
    StoreConfig,
    custom_attributes,
    declared_sources,
)
from idconnect_sql.filters import Multi, Scalar

__all__ = ["MappedCustom"]

TextScalar = Callable[[ColumnElement[Any], bool], Scalar]
"""Builds the scalar of a text column: (column, case-exact) to its value and folded form."""

_TYPES: dict[AttrType, tuple[type[sa.types.TypeEngine[Any]], ...]] = {
    AttrType.STRING: (sa.String,),
    AttrType.REFERENCE: (sa.String,),
    AttrType.INTEGER: (sa.Integer,),
    AttrType.DECIMAL: (sa.Numeric,),
    AttrType.DATETIME: (sa.DateTime,),
    AttrType.BOOLEAN: (sa.Boolean,),
}
"""The SQL types a column of each declared type may have."""
_BITS = {"tinyint": 7, "mediumint": 23}
"""Value bits of MariaDB's integer types that are not SQLAlchemy's small or big integers."""


def _fits(definition: AttributeDef, column: sa.Column[Any], dialect: str) -> bool:
    kind = column.type
    if definition.type is AttrType.BOOLEAN and dialect in ("mysql", "mariadb"):
        return isinstance(kind, sa.Boolean) or getattr(kind, "display_width", None) == 1
    if definition.type is AttrType.DECIMAL and isinstance(kind, sa.Float):
        return False  # a float column would not keep decimal values exactly
    if definition.type is AttrType.INTEGER and isinstance(kind, sa.Boolean):
        return False
    return isinstance(kind, _TYPES[definition.type])


class MappedCustom:
    """The custom attributes of one mapped store and where each lives.

    :param config: the store's config.
    :raises ConfigError: for a custom attribute without ``source``, or a ``source`` of the
        wrong form for a single- or multi-valued attribute (naming the attribute).
    """

    def __init__(self, config: StoreConfig) -> None:
        self.config = config
        self.definitions = {d.path: d for d in custom_attributes(config)}
        sources = declared_sources(config)
        self.sources: dict[str, str] = {}
        for name, definition in self.definitions.items():
            source = sources.get(name)
            if source is None:
                raise self._error(
                    name, "a mapped store needs source: the column holding it", setting=""
                )
            dotted = "." in source
            if definition.multi_valued and not dotted:
                raise self._error(
                    name,
                    "a column holds one value: a multi-valued attribute's source is"
                    ' "<table>.<column>" of a child table with a foreign key to the mapped table',
                )
            if dotted and not definition.multi_valued:
                raise self._error(name, "a single-valued attribute's source is a column name")
            self.sources[name] = source
        self.columns: dict[str, sa.Column[Any]] = {}
        """Single-valued attribute to its column of the mapped table (after :meth:`prepare`)."""
        self.children: dict[str, tuple[sa.Table, sa.Column[Any], sa.Column[Any]]] = {}
        """Multi-valued attribute to its child table, account column and value column."""
        self.dialect = "sqlite"

    def __bool__(self) -> bool:
        return bool(self.definitions)

    def _error(self, name: str, message: str, setting: str = ".source") -> ConfigError:
        key = f"attributes.{name}{setting}"
        return self.config.error(key, f"custom attribute {name!r}: {message}")

    def prepare(self, table: sa.Table, dialect: str, reflect: Callable[[str], sa.Table]) -> None:
        """Find each attribute's column and check its SQL type fits the declared type.

        :param table: the reflected mapped table.
        :param dialect: the SQLAlchemy dialect name.
        :param reflect: reflects a table of the store's schema by name.
        :raises ConfigError: for a missing table or column, a child table without exactly one
            foreign key to the mapped table's id, or a column of another type.
        """
        self.dialect = dialect
        (key,) = table.primary_key.columns
        for name, definition in self.definitions.items():
            source = self.sources[name]
            if not definition.multi_valued:
                self.columns[name] = self._column(name, table, source, dialect)
                continue
            child_name, _, column_name = source.partition(".")
            try:
                child = reflect(child_name)
            except sa.exc.NoSuchTableError:
                raise self._error(name, f"no table {child_name!r}") from None
            links = [
                fk.parent for fk in child.foreign_keys if fk.references(table) and fk.column is key
            ]
            if len(links) != 1:
                raise self._error(
                    name,
                    f"table {child_name!r} needs exactly one foreign key to {table.name}.{key.name}"
                    f" (found {len(links)})",
                )
            value = self._column(name, child, column_name, dialect)
            self.children[name] = (child, links[0], value)

    def _column(self, name: str, table: sa.Table, column: str, dialect: str) -> sa.Column[Any]:
        if column not in table.c:
            raise self._error(name, f"no column {column!r} in {table.name}")
        found: sa.Column[Any] = table.c[column]
        definition = self.definitions[name]
        if not _fits(definition, found, dialect):
            raise self._error(
                name,
                f"column {table.name}.{column} is {found.type}, which cannot hold"
                f" {definition.type.value} values",
            )
        return found

    # -- filters and sorting --------------------------------------------------------------

    def scalars(self, text: TextScalar) -> dict[str, Scalar]:
        """Return each single-valued attribute's place on the mapped row (lower-cased name).

        :param text: builds a text column's scalar (``''`` missing, folded with ``lower``).
        :returns: name to its scalar.
        """
        return {
            name.lower(): self._scalar(self.definitions[name], column, text)
            for name, column in self.columns.items()
        }

    def multis(self, key: sa.Column[Any], text: TextScalar) -> dict[str, Multi]:
        """Return each multi-valued attribute's element rows (lower-cased name).

        :param key: the mapped table's id column.
        :param text: builds a text column's scalar.
        :returns: name to its child rows.
        """
        return {
            name.lower(): Multi(
                source=child,
                link=owner == key,
                owner=owner,
                key=key,
                subs={"value": self._scalar(self.definitions[name], value, text)},
            )
            for name, (child, owner, value) in self.children.items()
        }

    @staticmethod
    def _scalar(definition: AttributeDef, column: sa.Column[Any], text: TextScalar) -> Scalar:
        if definition.type in (AttrType.STRING, AttrType.REFERENCE):
            return text(column, definition.case_exact)
        return Scalar(expr=column)

    # -- reading ---------------------------------------------------------------------------

    def row_values(self, row: Row[Any]) -> dict[str, Any]:
        """Return the single-valued attributes held on a mapped row.

        :param row: a row of the mapped table.
        :returns: name to typed value; missing ones (``NULL``, ``''``) left out.
        """
        found: dict[str, Any] = {}
        for name, column in self.columns.items():
            value = row._mapping[column]
            if value is not None and value != "":
                found[name] = _typed(self.definitions[name], value)
        return found

    def read_children(
        self, connection: Connection, ids: Sequence[Any]
    ) -> dict[str, dict[str, Any]]:
        """Read the multi-valued attributes of some accounts (one statement per attribute).

        :param connection: the open connection.
        :param ids: the accounts' id column values.
        :returns: account id (text) to name to a tuple of typed values.
        """
        found: dict[str, dict[str, Any]] = {}
        if not ids:
            return found
        for name, (child, owner, value) in self.children.items():
            order = [*child.primary_key.columns] or [value]
            stmt = sa.select(owner, value).where(owner.in_(ids)).order_by(owner, *order)
            for account, one in connection.execute(stmt):
                if one is None or one == "":
                    continue
                held = found.setdefault(str(account), {})
                held[name] = (*held.get(name, ()), _typed(self.definitions[name], one))
        return found

    # -- writing ---------------------------------------------------------------------------

    def column_values(self, values: Mapping[str, Any], account: str | None) -> dict[str, Any]:
        """Return the mapped row's column values of some single-valued attributes.

        :param values: name to typed value (``None`` clears it); multi-valued ones ignored.
        :param account: the account's id, for errors (``None`` for a new one).
        :returns: column name to value (``''`` clearing a ``NOT NULL`` text column).
        :raises InvalidInput: for a value the column cannot hold.
        """
        found: dict[str, Any] = {}
        for name, value in values.items():
            column = self.columns.get(name)
            if column is None:
                continue
            if value is None:
                found[column.name] = "" if not column.nullable else None
                continue
            self._check(name, column, value, account)
            found[column.name] = value
        return found

    def write_children(
        self, connection: Connection, key: Any, values: Mapping[str, Any], account: str
    ) -> None:
        """Replace the child rows of some multi-valued attributes of one account.

        :param connection: the writing transaction.
        :param key: the account's id column value.
        :param values: name to a tuple of typed values (``None`` clears it).
        :param account: the account's id, for errors.
        :raises InvalidInput: for a value the column cannot hold.
        """
        for name, many in values.items():
            if name not in self.children:
                continue
            child, owner, value = self.children[name]
            for one in many or ():
                self._check(name, value, one, account)
            connection.execute(sa.delete(child).where(owner == key))
            if many:
                rows = [{owner.name: key, value.name: one} for one in many]
                connection.execute(sa.insert(child), rows)

    def delete_children(self, connection: Connection, key: Any) -> None:
        """Delete an account's child rows (before deleting its mapped row).

        :param connection: the writing transaction.
        :param key: the account's id column value.
        """
        for child, owner, _ in self.children.values():
            connection.execute(sa.delete(child).where(owner == key))

    def _check(self, name: str, column: sa.Column[Any], value: Any, account: str | None) -> None:
        problem = _overflow(column, value, self.dialect)
        if problem:
            raise InvalidInput(
                f"attribute {name!r}: {problem} (column {column.table.name}.{column.name})",
                store=self.config.name,
                account=account,
                attribute=name,
            )


def _overflow(column: sa.Column[Any], value: Any, dialect: str) -> str | None:
    """Why ``column`` cannot hold ``value`` exactly, or ``None``."""
    kind = column.type
    if isinstance(value, str):
        length = getattr(kind, "length", None)
        if length is not None and len(value) > length:
            return f"at most {length} characters"
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and dialect != "sqlite":
        bits = _BITS.get(type(kind).__name__.lower(), 31)
        if isinstance(kind, sa.BigInteger):
            bits = 63
        elif isinstance(kind, sa.SmallInteger):
            bits = 15
        if not -(2**bits) <= value < 2**bits:
            return f"a whole number of at most {bits + 1} bits"
        return None
    if isinstance(value, Decimal) and isinstance(kind, sa.Numeric):
        precision, scale = kind.precision, kind.scale
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if scale is not None and places > scale:
            return f"at most {scale} decimal places"
        if precision is not None and abs(value) >= Decimal(10) ** (precision - (scale or 0)):
            return f"below 10^{precision - (scale or 0)}"
    return None


def _typed(definition: AttributeDef, value: Any) -> Any:
    """A stored value as the model holds it (drivers return 0/1, floats or text for some)."""
    if definition.type is AttrType.BOOLEAN:
        return bool(value)
    if definition.type is AttrType.INTEGER:
        return int(value)
    if definition.type is AttrType.DECIMAL and not isinstance(value, Decimal):
        return Decimal(str(value))
    return value
