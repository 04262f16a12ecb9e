"""Identity verifications and consents in the managed schema (revision 0003), on every dialect.

The kit (test_sql_conformance.py) checks the behaviour; here: the records are the store's own
(not the hub's), they go with their account, and revision 0003 rebuilds the placeholders.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from idconnect_sql import migrate


def _count(engine: sa.Engine, table: str, schema: str | None) -> int:
    with engine.connect() as connection:
        found = sa.select(sa.func.count()).select_from(sa.table(table, schema=schema))
        return int(connection.execute(found).scalar_one())


def test_records_live_in_the_store_and_go_with_their_account(make_sql_store):
    store = make_sql_store()
    backend: Any = store.backend
    policy = min(store.hub.config.verification_policies)
    ann = store.create_account({"userName": "ann"}, reason="test")
    bob = store.create_account({"userName": "bob"}, reason="test")
    assert ann.id and bob.id
    for account in (ann.id, bob.id):
        store.verify_identity(account, policy=policy, evidence="ref 1", reason="test")
        store.record_consent(account, purpose="terms", version="1")
    assert "verify_identity" not in store._fallbacks and "record_consent" not in store._fallbacks
    engine, schema = backend.engine, backend.schema
    assert _count(engine, "idc_verifications", schema) == 2
    assert _count(engine, "idc_consents", schema) == 2
    assert store.delete_accounts([ann.id], reason="test").ok
    assert _count(engine, "idc_verifications", schema) == 1
    assert _count(engine, "idc_consents", schema) == 1
    assert [v.account_id for v in store.verifications(bob.id)] == [bob.id]


def test_revision_0003_rebuilds_the_placeholders(namespaces, open_hub):
    store = open_hub(namespaces.fresh()).store("s")
    backend: Any = store.backend
    engine, tables, schema = backend.engine, backend.tables, backend.schema

    def columns(table: str) -> set[str]:
        with engine.connect() as connection:
            found = sa.inspect(connection).get_columns(table, schema=schema)
        return {str(c["name"]) for c in found}

    assert {"evidence", "level", "revoke_reason"} <= columns("idc_verifications")
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection, tables), "0002")
    assert "method" in columns("idc_verifications") and "granted_at" in columns("idc_consents")
    assert migrate.upgrade(engine, tables) == migrate.head_revision()
    assert "method" not in columns("idc_verifications")
    assert {"agreed_at", "ended_how", "opted_out_at"} <= columns("idc_consents")
    account = store.create_account({"userName": "ann"}, reason="test")
    assert account.id
    made = store.record_consent(account.id, purpose="terms", version="1")
    assert store.consents(account.id) == [made]


def test_revision_0003_refuses_placeholder_rows(namespaces, open_hub):
    store = open_hub(namespaces.fresh()).store("s")
    backend: Any = store.backend
    engine, tables, schema = backend.engine, backend.tables, backend.schema
    account = store.create_account({"userName": "ann"}, reason="test")
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection, tables), "0002")
        placeholder = sa.table(
            "idc_consents",
            sa.column("id"),
            sa.column("account_id"),
            sa.column("purpose"),
            sa.column("granted_at"),
            schema=schema,
        )
        connection.execute(
            placeholder.insert().values(
                id="c1", account_id=account.id, purpose="terms", granted_at=sa.func.now()
            )
        )
    with pytest.raises(RuntimeError, match="idc_consents holds 1 rows"):
        migrate.upgrade(engine, tables)
