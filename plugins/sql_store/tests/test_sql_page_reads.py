"""How a page of the managed store is read: one statement, its transaction, its rows.

- A page of 60 accounts with every child list, and ``get_account``, are one statement each on
  SQLite, PostgreSQL and MariaDB (the child lists aggregated to JSON in it); the accounts are the
  ones ``get_account`` reads, child lists in the store's order (emails by position, not by value;
  groups by folded name; roles as assigned), text (quotes, backslashes, accents, emoji), missing
  types and booleans read back exactly.
- Read per statement (MySQL's way, SQLite's without JSON), the child rows of the page come from
  one more statement binding the page's ids as a single parameter (an array on PostgreSQL, JSON
  text on SQLite, an IN list on MariaDB), and the accounts are the same.
- On PostgreSQL a page's statement runs in autocommit (no BEGIN/COMMIT); on SQLite and MariaDB
  in a transaction; a write still runs in its transaction.
- Accounts are built only from rows that start with the accounts table's columns.
- On SQLite, instants read back as aware UTC from the text the store writes and from other
  tools' ISO texts (with or without an offset or a time).
- A trusted constructor taking fields by position names each field once and sets it by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from idconnect_sql.managed.trusted import trusted

import idconnect
from idconnect.backend import ExternalIdentity, RoleAssignment, account_from_json

PAGE = 60
ODD = 'Grüße "quoted" \\ back\\slash 😀 ∑'
"""Text that JSON escapes or encodes: quotes, backslashes, accents, an astral character."""


@contextmanager
def sent_on(store: idconnect.Store) -> Iterator[list[tuple[str, Any, bool, bool]]]:
    """Record each statement the store sends: text, parameters, autocommit, in a transaction."""
    engine: sa.Engine = store.backend.engine  # type: ignore[attr-defined]
    sent: list[tuple[str, Any, bool, bool]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        autocommit = getattr(conn.connection.dbapi_connection, "autocommit", False) is True
        sent.append((statement, params, autocommit, conn.in_transaction()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _selects(sent: list[tuple[str, Any, bool, bool]]) -> list[str]:
    return [s for s, *_ in sent if s.lstrip().upper().startswith(("SELECT", "("))]


def _seed(store: idconnect.Store) -> list[str]:
    groups = [
        store.create_group({"displayName": name}, reason="test").id
        for name in ("pagers", f"Zeta {ODD}", "Alpha")
    ]
    ids = []
    for n in range(PAGE):
        resource = account_from_json(
            {
                "userName": f"pager{n:02d}",
                "emails": [
                    {"value": f"zz-pager{n}@example.org", "primary": True, "type": "work"},
                    {"value": f"aa-second{n}@example.org", "verified": True},
                ],
                "phoneNumbers": [{"value": f"+35121000{n:04d}", "type": ODD}] if n % 3 else [],
            }
        )
        identities = (
            ExternalIdentity(provider="okta", subject=f"{ODD} {n}"),
            ExternalIdentity(provider="azure", subject=f"a{n}"),
        )
        account = store.create_account(
            attrs.evolve(resource, external_identities=identities if n % 5 == 0 else ()),
            reason="test",
        )
        ids.append(account.id)
    for group in groups:
        assert store.add_to_group(group, ids[::2], reason="test").ok
    store.assign_role(ids[4], "viewer", reason="test")
    store.assign_role(ids[4], "billing-admin", organization=ODD, reason="test")
    return ids


def _check(store: idconnect.Store, page: Any, ids: list[str]) -> None:
    """The page holds the seeded accounts as ``get_account`` reads them, lists in order."""
    assert [a.id for a in page.items] == ids
    assert [a.user_name for a in page.items] == [f"pager{n:02d}" for n in range(PAGE)]
    assert list(page.items) == [store.get_account(i) for i in ids]
    first, second = page.items[0], page.items[1]
    assert [(e.value, e.type, e.primary, e.verified) for e in first.emails] == [
        ("zz-pager0@example.org", "work", True, False),
        ("aa-second0@example.org", None, False, True),
    ]
    assert [g.display for g in first.groups] == ["Alpha", "pagers", f"Zeta {ODD}"]
    assert second.groups == () and first.phone_numbers == ()
    assert [(p.value, p.type) for p in second.phone_numbers] == [("+351210000001", ODD)]
    assert [(i.provider, i.subject) for i in first.external_identities] == [
        ("okta", f"{ODD} 0"),
        ("azure", "a0"),
    ]
    assert [(r.role, r.organization) for r in page.items[4].role_assignments] == [
        ("viewer", None),
        ("billing-admin", ODD),
    ]


def test_a_page_and_get_account_are_one_statement_each_and_read_exactly(store):
    ids = _seed(store)
    with sent_on(store) as sent:
        page = store.search_accounts(sort_by="userName", count=PAGE)
    assert len(_selects(sent)) == 1, sent
    assert "idc_children" in sent[-1][0] and "idc_emails" in sent[-1][0]
    with sent_on(store) as sent:
        store.get_account(ids[0])
    assert len(_selects(sent)) == 1, sent
    _check(store, page, ids)


def test_the_first_search_of_a_store_just_opened_is_one_statement_too(store, open_hub):
    _seed(store)
    opened = open_hub(dict(store.config.settings)).store("s")  # its engine not made yet
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        page = opened.search_accounts(sort_by="userName", count=PAGE)
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    children = [s for s in sent if "idc_emails" in s]
    assert len(children) == 1 and "idc_children" in children[0], children
    assert len(page.items) == PAGE


def test_read_per_statement_a_page_binds_its_ids_once_and_reads_the_same(store):
    ids = _seed(store)
    aggregated = store.search_accounts(sort_by="userName", count=PAGE)
    backend: Any = store.backend
    backend.children.aggregated = False  # as on MySQL (and SQLite without JSON)
    with sent_on(store) as sent:
        page = store.search_accounts(sort_by="userName", count=PAGE)
    children = [(s, p) for s, p, *_ in sent if "idc_emails" in s]
    assert len(_selects(sent)) == 2 and len(children) == 1, sent
    assert "idc_children" not in sent[0][0]
    statement, params = children[0]
    if backend.dialect == "postgresql":
        assert "ANY" in statement.upper() and params["ids"] == ids
    elif backend.dialect == "sqlite":
        assert "json_each" in statement and statement.count("?") == 5  # one per child table
    else:
        assert sorted(params.values()) == sorted(ids)  # an IN list of the page's ids
    assert page.items == aggregated.items
    _check(store, page, ids)


def test_a_page_runs_in_autocommit_on_postgresql_and_in_a_transaction_elsewhere(store):
    _seed(store)
    with sent_on(store) as sent:
        store.search_accounts('emails.value sw "zz-pager1"', count=5)
    sent = [s for s in sent if s[0].lstrip().upper().startswith(("SELECT", "("))]
    assert len(sent) == 1, sent  # the account rows with their children
    postgresql = store.backend.dialect == "postgresql"  # type: ignore[attr-defined]
    assert all(autocommit == postgresql for _, _, autocommit, _ in sent), sent
    assert all(inside for _, _, _, inside in sent), sent  # SQLAlchemy's own transaction
    first = store.search_accounts(count=1).items[0]
    with sent_on(store) as sent:
        store.update_account(first.id, {"displayName": "P"}, reason="test")
    assert sent and not any(autocommit for _, _, autocommit, _ in sent), sent


def test_accounts_are_built_only_from_rows_of_the_accounts_table(store):
    _seed(store)
    backend: Any = store.backend
    accounts = backend.tables.accounts
    with backend.engine.connect() as connection:
        good = connection.execute(sa.select(*backend.account_rows.selected).limit(1)).first()
        backend.account_rows.check(good)
        wrong = connection.execute(sa.select(accounts.c.user_name, accounts.c.id).limit(1)).first()
        with pytest.raises(TypeError, match="not an idc_accounts row"):
            backend.account_rows.check(wrong)


def test_sqlite_instants_are_read_as_utc_in_the_form_written_and_in_other_tools_forms(store):
    backend: Any = store.backend
    if backend.dialect != "sqlite":
        pytest.skip("SQLite keeps instants as text")
    first = store.create_account(account_from_json({"userName": "clock"}), reason="test")
    assert first.created is not None and first.created.tzinfo is not None
    accounts = backend.tables.accounts
    texts = {
        "2024-05-01 10:00:00.250000": datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC),
        "2024-05-01 10:00:00": datetime(2024, 5, 1, 10, tzinfo=UTC),
        "2024-05-01": datetime(2024, 5, 1, tzinfo=UTC),
        "2024-05-01T10:00:00+02:00": datetime(2024, 5, 1, 8, tzinfo=UTC),
        "2024-05-01 10:00:00.250+02": datetime(2024, 5, 1, 8, 0, 0, 250000, tzinfo=UTC),
    }
    for text, instant in texts.items():
        with backend.engine.begin() as connection:
            connection.exec_driver_sql(
                f"UPDATE {accounts.name} SET last_login = ? WHERE id = ?", (text, first.id)
            )
        read = store.get_account(first.id).last_login
        assert read == instant and read is not None and read.utcoffset() == timedelta(0), text
    page = store.search_accounts('userName eq "clock"').items
    assert page[0].last_login == instant and page[0].created == first.created


def test_a_positional_trusted_constructor_names_every_field_and_sets_each_by_name():
    build = trusted(RoleAssignment, ("organization", "role"))
    assert build("acme", "admin") == RoleAssignment(role="admin", organization="acme")
    with pytest.raises(TypeError, match="has the fields"):
        trusted(RoleAssignment, ("role",))
    with pytest.raises(TypeError, match="has the fields"):
        trusted(RoleAssignment, ("role", "role"))
