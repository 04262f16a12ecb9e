"""Managed store: the custom attributes a store's config declares, in ``idc_attributes``.

One row per value: ``(account_id, name, position)`` and the value in the column of its type
(``value_text`` with its folded shadow ``value_ci`` for strings and references, ``value_int``,
``value_decimal``, ``value_time``, ``value_bool``). Each ``(name, value_…)`` pair is indexed, so
``eq``, ``sw`` and the orderings on a searchable custom attribute are index seeks: a filter is a
semi-join ``accounts.id IN (SELECT account_id FROM idc_attributes WHERE name = :n AND …)``, for
single- and multi-valued attributes alike (any value may match). Sorting by a single-valued one
orders by a correlated subquery reading its value (no index serves that order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from idconnect.backend import AttributeDef, AttrType
from idconnect_sql.filters import Multi, Scalar
from idconnect_sql.tables import ManagedTables

__all__ = ["CustomAttributes"]

_COLUMN = {
    AttrType.STRING: "value_text",
    AttrType.REFERENCE: "value_text",
    AttrType.INTEGER: "value_int",
    AttrType.DECIMAL: "value_decimal",
    AttrType.DATETIME: "value_time",
    AttrType.BOOLEAN: "value_bool",
}
"""The column holding each type's values."""


class CustomAttributes:
    """Where the custom attributes of one managed store live, and their rows.

    :param tables: the managed tables.
    :param definitions: the store's custom attributes (:func:`idconnect.backend.custom_attributes`).
    """

    def __init__(self, tables: ManagedTables, definitions: Sequence[AttributeDef]) -> None:
        self.table = tables.attributes
        self.accounts = tables.accounts
        self.definitions = {d.path.lower(): d for d in definitions}

    def __bool__(self) -> bool:
        return bool(self.definitions)

    def _scalar(self, definition: AttributeDef, source: Any) -> Scalar:
        column = source.c[_COLUMN[definition.type]]
        folded = None
        if definition.type in (AttrType.STRING, AttrType.REFERENCE) and not definition.case_exact:
            folded = source.c.value_ci
        return Scalar(expr=column, folded=folded)

    def multis(self) -> dict[str, Multi]:
        """Return each custom attribute as element rows, for filters (lower-cased name).

        :returns: name to its rows: ``idc_attributes`` restricted to its name.
        """
        found: dict[str, Multi] = {}
        for n, (key, definition) in enumerate(self.definitions.items()):
            rows = (
                sa.select(self.table)
                .where(self.table.c.name == definition.path)
                .subquery(f"idc_custom_{n}")
            )
            found[key] = Multi(
                source=rows,
                link=rows.c.account_id == self.accounts.c.id,
                owner=rows.c.account_id,
                key=self.accounts.c.id,
                subs={"value": self._scalar(definition, rows)},
            )
        return found

    def scalars(self) -> dict[str, Scalar]:
        """Return each single-valued custom attribute's value on the account row, for sorting.

        :returns: lower-cased name to a correlated subquery reading its value.
        """
        found: dict[str, Scalar] = {}
        t = self.table
        for key, definition in self.definitions.items():
            if definition.multi_valued:
                continue

            def value(column: str, name: str = definition.path) -> Any:
                return (
                    sa.select(t.c[column])
                    .where(t.c.account_id == self.accounts.c.id, t.c.name == name)
                    .limit(1)
                    .scalar_subquery()
                )

            scalar = self._scalar(definition, t)
            found[key] = Scalar(
                expr=value(_COLUMN[definition.type]),
                folded=value("value_ci") if scalar.folded is not None else None,
            )
        return found

    def rows(self, account_id: str, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the rows of some custom attributes' values.

        :param account_id: the account.
        :param values: name to typed value (a tuple for a multi-valued one); ``None`` skipped.
        :returns: rows for ``idc_attributes``.
        """
        found: list[dict[str, Any]] = []
        for name, value in values.items():
            definition = self.definitions[name.lower()]
            many = value if isinstance(value, tuple) else () if value is None else (value,)
            for position, one in enumerate(many):
                row: dict[str, Any] = {
                    "account_id": account_id,
                    "name": definition.path,
                    "position": position,
                    **dict.fromkeys(set(_COLUMN.values())),
                    "value_ci": None,
                }
                row[_COLUMN[definition.type]] = one
                if isinstance(one, str):
                    row["value_ci"] = one.lower()
                found.append(row)
        return found

    def write(self, connection: Connection, account_id: str, values: Mapping[str, Any]) -> None:
        """Replace some custom attributes' values of an account (``None`` clears one).

        :param connection: the writing transaction.
        :param account_id: the account.
        :param values: name to typed value.
        """
        if not values:
            return
        t = self.table
        names = [self.definitions[name.lower()].path for name in values]
        connection.execute(sa.delete(t).where(t.c.account_id == account_id, t.c.name.in_(names)))
        rows = self.rows(account_id, values)
        if rows:
            connection.execute(sa.insert(t), rows)

    def read(self, connection: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Read the custom attributes of some accounts.

        :param connection: the page's transaction.
        :param ids: the accounts.
        :returns: account id to name to value (a tuple for a multi-valued attribute); accounts
            without values are missing.
        """
        ids = list(ids)
        if not ids or not self.definitions:
            return {}
        t = self.table
        found: dict[str, dict[str, Any]] = {}
        stmt = (
            sa.select(t)
            .where(t.c.account_id.in_(ids))
            .order_by(t.c.account_id, t.c.name, t.c.position)
        )
        for row in connection.execute(stmt):
            definition = self.definitions.get(row.name.lower())
            if definition is None:  # a value of an attribute the config no longer declares
                continue
            value = _typed(definition, row._mapping[_COLUMN[definition.type]])
            owned = found.setdefault(row.account_id, {})
            if definition.multi_valued:
                owned[definition.path] = (*owned.get(definition.path, ()), value)
            else:
                owned[definition.path] = value
        return found


def _typed(definition: AttributeDef, value: Any) -> Any:
    """A stored value as the model holds it (drivers return 0/1, floats or strings for some)."""
    if definition.type is AttrType.BOOLEAN:
        return bool(value)
    if definition.type is AttrType.DECIMAL and not isinstance(value, Decimal):
        return Decimal(str(value))
    if definition.type is AttrType.INTEGER:
        return int(value)
    return value
