"""``idc_accounts.child_kinds``: the child lists an account may have rows in, on every dialect.

- Every write that gives an account rows of a kind sets that kind's bit (create, update,
  adding to a group at its creation and later, assigning a role); a write that empties a list
  leaves the bit ("may have"); reads show the lists exactly throughout, pages and
  ``get_account`` alike.
- An account row written by another tool without the column has every bit (the server
  default), so the child rows written beside it are read.
- The demo seeder writes exact bits.
- Revision 0006 adds the column and sets each account's bits from the rows it holds; its
  downgrade drops it.
- On PostgreSQL a kind's subquery is not run for a row without its bit (``EXPLAIN ANALYZE``
  of the page's statement: ``never executed``).
"""

from __future__ import annotations

from typing import Any

import idconnect_sql.migrate as migrate
import pytest
import sqlalchemy as sa
from alembic import command
from idconnect_sql.demo import seed_demo
from idconnect_sql.managed.rows import email_rows

import idconnect
from idconnect.backend import Email

EMAILS, PHONES, IDENTS, ROLES, GROUPS = 1, 2, 4, 8, 16


def _bits(store: idconnect.Store) -> dict[str, int]:
    backend: Any = store.backend
    a = backend.tables.accounts
    with backend.engine.connect() as connection:
        return dict(connection.execute(sa.select(a.c.id, a.c.child_kinds)).all())


def _exact_bits(store: idconnect.Store) -> dict[str, int]:
    """Each account's bits computed from the child rows it holds now."""
    backend: Any = store.backend
    t = backend.tables
    bits: sa.ColumnElement[int] = sa.literal(0)
    for bit, table in zip(
        (EMAILS, PHONES, IDENTS, ROLES, GROUPS),
        (t.emails, t.phones, t.external_identities, t.role_assignments, t.memberships),
        strict=True,
    ):
        held = sa.exists().where(table.c.account_id == t.accounts.c.id)
        bits = bits + sa.case((held, bit), else_=0)
    with backend.engine.connect() as connection:
        return dict(connection.execute(sa.select(t.accounts.c.id, bits)).all())


def _read_alike(store: idconnect.Store) -> None:
    page = store.search_accounts(sort_by="userName").items
    assert list(page) == [store.get_account(a.id or "") for a in page]


def test_writes_set_the_bits_of_the_lists_they_fill(store):
    ann = store.create_account(
        {"userName": "ann", "emails": [{"value": "ann@example.org"}]}, reason="test"
    )
    bob = store.create_account({"userName": "bob"}, reason="test")
    assert _bits(store) == {ann.id: EMAILS, bob.id: 0}
    _read_alike(store)

    store.update_account(bob.id, {"phoneNumbers": [{"value": "+351210000001"}]}, reason="test")
    pilots = {"displayName": "Pilots", "members": [{"value": ann.id}]}
    group = store.create_group(pilots, reason="test")
    assert _bits(store) == {ann.id: EMAILS | GROUPS, bob.id: PHONES}
    assert store.add_to_group(group.id, [bob.id], reason="test").ok
    store.assign_role(ann.id, "admin", organization=None, reason="test")
    store.update_account(
        bob.id,
        {"externalIdentities": [{"provider": "google", "subject": "b-1"}]},
        reason="test",
    )
    assert _bits(store) == {ann.id: EMAILS | GROUPS | ROLES, bob.id: PHONES | GROUPS | IDENTS}
    _read_alike(store)
    read = store.get_account(bob.id)
    assert [p.value for p in read.phone_numbers] == ["+351210000001"]
    assert [g.display for g in read.groups] == ["Pilots"]

    store.update_account(bob.id, {"phoneNumbers": []}, reason="test")
    assert _bits(store)[bob.id] & PHONES  # may have: a bit is never cleared
    assert store.get_account(bob.id).phone_numbers == ()
    _read_alike(store)


def test_a_row_written_without_the_column_has_every_bit(store):
    backend: Any = store.backend
    t = backend.tables
    ann = store.create_account({"userName": "ann"}, reason="test")
    row = {
        c: v
        for c, v in _native_row(store, ann.id).items()
        if c != "child_kinds" and not c.startswith("user_name")
    }
    row |= {"id": "native-1", "user_name": "Zed", "user_name_ci": "zed", "user_name_rev": "dez"}
    with backend.engine.begin() as connection:
        connection.execute(sa.insert(t.accounts).values(row))
        email = Email(value="zed@example.org", primary=True)
        connection.execute(sa.insert(t.emails), email_rows("native-1", [email]))
    assert _bits(store)["native-1"] == EMAILS | PHONES | IDENTS | ROLES | GROUPS
    (zed,) = store.search_accounts('userName eq "zed"').items
    assert [e.value for e in zed.emails] == ["zed@example.org"]


def _native_row(store: idconnect.Store, account_id: str) -> dict[str, Any]:
    backend: Any = store.backend
    a = backend.tables.accounts
    with backend.engine.connect() as connection:
        return dict(connection.execute(sa.select(a).where(a.c.id == account_id)).one()._mapping)


def test_the_demo_seeder_writes_exact_bits(store):
    seed_demo(store, count=300, seed=7)
    bits = _bits(store)
    assert bits == _exact_bits(store)
    assert {b & IDENTS for b in bits.values()} == {0, IDENTS}  # some have none, some have some
    _read_alike(store)


def test_revision_0006_adds_the_column_with_each_accounts_bits(store):
    backend: Any = store.backend
    engine, tables = backend.engine, backend.tables
    ann = store.create_account(
        {"userName": "ann", "emails": [{"value": "ann@example.org"}]}, reason="test"
    )
    store.assign_role(ann.id, "admin", organization=None, reason="test")
    bob = store.create_account({"userName": "bob"}, reason="test")

    def columns() -> set[str]:
        with engine.connect() as connection:
            found = sa.inspect(connection).get_columns("idc_accounts", schema=backend.schema)
        return {str(c["name"]) for c in found}

    with engine.begin() as connection:
        command.downgrade(migrate._config(connection, tables), "0005")
    assert "child_kinds" not in columns()
    assert migrate.upgrade(engine, tables) == migrate.head_revision() == "0006"
    assert "child_kinds" in columns()
    assert _bits(store) == {ann.id: EMAILS | ROLES, bob.id: 0}
    _read_alike(store)


@pytest.mark.parametrize("namespaces", ["postgresql"], indirect=True)
def test_a_kinds_subquery_is_not_run_without_its_bit(store):
    for n in range(3):
        store.create_account(
            {"userName": f"u{n}", "emails": [{"value": f"u{n}@example.org"}]}, reason="test"
        )
    backend: Any = store.backend
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    sa.event.listen(backend.engine, "before_cursor_execute", record)
    try:
        store.search_accounts(sort_by="userName")
    finally:
        sa.event.remove(backend.engine, "before_cursor_execute", record)
    statement, params = next((s, p) for s, p in sent if "idc_children" in s)
    with backend.engine.connect() as connection:
        plan = [
            str(r[0])
            for r in connection.exec_driver_sql("EXPLAIN ANALYZE " + statement, params).all()
        ]
    subplans = [n for n, line in enumerate(plan) if "SubPlan" in line]
    assert len(subplans) == 5, plan
    emails, *others = (plan[n + 1] for n in subplans)
    assert "never executed" not in emails and "loops=3" in emails, plan
    assert all("never executed" in line for line in others), plan
