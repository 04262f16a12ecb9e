"""Account activity in the managed schema (``idc_activity``, revision 0004), on every dialect.

The kit (test_sql_conformance.py) checks the behaviour through the facade; here: an application
writing rows with a plain ``INSERT`` (as the README documents) is read back, a secret-looking
detail key it wrote never shows, rows go with their account, and revision 0004 creates the table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from idconnect_sql import migrate


def _count(engine: sa.Engine, schema: str | None) -> int:
    with engine.connect() as connection:
        found = sa.select(sa.func.count()).select_from(sa.table("idc_activity", schema=schema))
        return int(connection.execute(found).scalar_one())


def test_rows_an_application_inserts_are_read_and_go_with_their_account(make_sql_store):
    store = make_sql_store()
    backend: Any = store.backend
    ann = store.create_account({"userName": "ann"}, reason="test")
    bob = store.create_account({"userName": "bob"}, reason="test")
    assert ann.id and bob.id
    table = sa.table(
        "idc_activity",
        *(sa.column(c) for c in ("id", "account_id", "kind", "at", "ip", "user_agent", "detail")),
        schema=backend.schema,
    )
    at = datetime(2025, 3, 1, 9, 0)  # the app writes naive UTC, as the README says
    rows = [
        ("a1", ann.id, "login_failed", "198.51.100.4", "Safari/17", '{"method":"password"}'),
        ("a2", ann.id, "coffee_break", None, None, None),
        (
            "a3",
            ann.id,
            "password_reset",
            "not an ip",
            None,
            json.dumps({"token": "t0p", "via": "email"}),
        ),
        ("b1", bob.id, "lockout", None, None, "five wrong passwords"),
    ]
    with backend.engine.begin() as connection:
        for ident, account, kind, ip, agent, detail in rows:
            connection.execute(
                table.insert().values(
                    id=ident,
                    account_id=account,
                    kind=kind,
                    at=at,
                    ip=ip,
                    user_agent=agent,
                    detail=detail,
                )
            )
    shown = store.activity(ann.id, kinds=["login_failed", "password_reset"]).items
    assert [r.id for r in shown] == ["a3", "a1"]
    reset, failed = shown
    assert reset.detail == {"via": "email"} and reset.ip is None
    assert (failed.ip, failed.user_agent, failed.detail) == (
        "198.51.100.4",
        "Safari/17",
        {"method": "password"},
    )
    assert failed.at == at.replace(tzinfo=UTC)
    assert [r.id for r in store.activity(ann.id, kinds=["lockout"]).items] == []
    assert store.activity(bob.id, kinds=["lockout"]).items[0].detail == "five wrong passwords"
    assert store.delete_accounts([ann.id], reason="test").ok
    assert _count(backend.engine, backend.schema) == 1


def test_revision_0004_creates_the_activity_table(namespaces, open_hub):
    store = open_hub(namespaces.fresh()).store("s")
    backend: Any = store.backend
    engine, tables, schema = backend.engine, backend.tables, backend.schema

    def present() -> bool:
        with engine.connect() as connection:
            return sa.inspect(connection).has_table("idc_activity", schema=schema)

    assert present()
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection, tables), "0003")
    assert not present()
    assert migrate.upgrade(engine, tables) == migrate.head_revision()
    with engine.connect() as connection:
        indexes = sa.inspect(connection).get_indexes("idc_activity", schema=schema)
    assert any(i["column_names"] == ["account_id", "at", "id"] for i in indexes)
    account = store.create_account({"userName": "ann"}, reason="test")
    assert account.id
    made = store.record_activity(account.id, kind="login_succeeded", ip="2001:db8::5")
    assert store.activity(account.id, kinds=["login_succeeded"]).items == (made,)
