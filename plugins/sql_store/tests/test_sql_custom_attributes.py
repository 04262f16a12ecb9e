"""Custom attributes in the managed schema (``idc_attributes``, revision 0005).

- ``eq`` and ``sw`` on a searchable custom attribute are index seeks on ``(name, value)``
  (SQLite's and PostgreSQL's plans of the statement the store sent);
- revision 0005 rebuilds the baseline's placeholder table, and refuses one that holds rows;
- deleting an account deletes its values.
"""

from __future__ import annotations

from typing import Any

import idconnect_sql.migrate as migrate
import pytest
import sqlalchemy as sa
from alembic import command

from idconnect.core.schema import CUSTOM_SCHEMA
from idconnect.testing.suite import KIT_ATTRIBUTES

from .test_sql_reads import _plan, statements


def _store(namespaces, open_hub):
    return open_hub({**namespaces.fresh(), "attributes": KIT_ATTRIBUTES}).store("s")


@pytest.mark.parametrize("namespaces", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("text", "index"),
    [
        ('loyaltyTier eq "gold"', "idc_attributes_ci_idx"),
        ('loyaltyTier sw "go"', "idc_attributes_ci_idx"),
        ("loyaltyPoints gt 10", "idc_attributes_int_idx"),
        ('accountCode eq "AB-1"', "idc_attributes_text_idx"),
    ],
)
def test_filters_on_custom_attributes_seek_an_index(namespaces, open_hub, text, index):
    store = _store(namespaces, open_hub)
    for n in range(60):
        store.create_account(
            {
                "userName": f"tier{n}",
                CUSTOM_SCHEMA: {
                    "loyaltyTier": ["gold", "silver", "bronze"][n % 3],
                    "loyaltyPoints": n,
                    "accountCode": f"AB-{n}",
                },
            },
            reason="test",
        )
    backend: Any = store.backend
    with backend.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    with statements(store) as sent:
        assert store.search_accounts(text).items
    statement, params = next((s, p) for s, p in sent if "idc_accounts" in s and "LIMIT" in s)
    plan = _plan(store, statement, params)
    assert index in plan, f"{text}:\n{plan}"


def _columns(engine: sa.Engine, schema: str | None) -> set[str]:
    with engine.connect() as connection:
        found = sa.inspect(connection).get_columns("idc_attributes", schema=schema)
    return {str(c["name"]) for c in found}


def test_revision_0005_rebuilds_the_placeholder(namespaces, open_hub):
    store = _store(namespaces, open_hub)
    backend: Any = store.backend
    engine, tables, schema = backend.engine, backend.tables, backend.schema
    assert {"value_ci", "value_decimal", "position"} <= _columns(engine, schema)
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection, tables), "0004")
    assert _columns(engine, schema) == {"account_id", "name", "value"}
    assert migrate.upgrade(engine, tables) == migrate.head_revision()
    assert {"value_ci", "value_time", "value_bool"} <= _columns(engine, schema)
    made = store.create_account({"userName": "ann", CUSTOM_SCHEMA: {"balance": 2.5}}, reason="t")
    assert store.search_accounts("balance eq 2.5").items[0].id == made.id


def test_revision_0005_refuses_placeholder_rows(namespaces, open_hub):
    store = _store(namespaces, open_hub)
    backend: Any = store.backend
    engine, tables, schema = backend.engine, backend.tables, backend.schema
    account = store.create_account({"userName": "ann"}, reason="test")
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection, tables), "0004")
        placeholder = sa.table(
            "idc_attributes", sa.column("account_id"), sa.column("name"), schema=schema
        )
        connection.execute(sa.insert(placeholder).values(account_id=account.id, name="legacy"))
    with pytest.raises(Exception, match="holds 1 rows"):
        migrate.upgrade(engine, tables)


def test_deleting_an_account_deletes_its_values(namespaces, open_hub):
    store = _store(namespaces, open_hub)
    made = store.create_account(
        {"userName": "gone", CUSTOM_SCHEMA: {"interests": ["a", "b"], "loyaltyPoints": 3}},
        reason="test",
    )
    assert made.id
    assert store.delete_accounts([made.id], reason="test").ok
    backend: Any = store.backend
    with backend.engine.connect() as connection:
        left = connection.execute(sa.select(sa.func.count()).select_from(backend.tables.attributes))
        assert left.scalar() == 0
