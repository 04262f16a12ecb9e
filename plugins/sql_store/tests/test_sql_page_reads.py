"""How a page of the managed store is read: its ids as one parameter, its transaction, its rows.

- The child rows of a page of 60 accounts come from one statement binding the page's ids as a
  single parameter (an array on PostgreSQL, JSON text on SQLite, an IN list on MariaDB), and the
  accounts are the ones ``get_account`` reads, children in order.
- On PostgreSQL a page's statements run in autocommit (no BEGIN/COMMIT); on SQLite and MariaDB
  in one transaction; a write still runs in its transaction.
- Accounts are built only from rows that start with the accounts table's columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

import idconnect

PAGE = 60


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


def _seed(store: idconnect.Store) -> None:
    group = store.create_group({"displayName": "Pagers"}, reason="test")
    ids = []
    for n in range(PAGE):
        account = store.create_account(
            {
                "userName": f"pager{n:02d}",
                "emails": [
                    {"value": f"pager{n}@example.org", "primary": True},
                    {"value": f"second{n}@example.org"},
                ],
                "phoneNumbers": [{"value": f"+35121000{n:04d}"}] if n % 3 else [],
            },
            reason="test",
        )
        ids.append(account.id)
    assert store.add_to_group(group.id, ids[::2], reason="test").ok


def test_a_page_binds_its_ids_once_and_reads_what_get_account_reads(store):
    _seed(store)
    with sent_on(store) as sent:
        page = store.search_accounts(sort_by="userName", count=PAGE)
    children = [(s, p) for s, p, *_ in sent if "idc_emails" in s]
    assert len(children) == 1, sent
    statement, params = children[0]
    dialect = store.backend.dialect  # type: ignore[attr-defined]
    ids = [a.id for a in page.items]
    if dialect == "postgresql":
        assert "ANY" in statement.upper() and params["ids"] == ids
    elif dialect == "sqlite":
        assert "json_each" in statement and statement.count("?") == 5  # one per child table
    else:
        assert sorted(params.values()) == sorted(ids)  # an IN list of the page's ids
    assert [a.user_name for a in page.items] == [f"pager{n:02d}" for n in range(PAGE)]
    assert list(page.items) == [store.get_account(i) for i in ids]
    third = page.items[2]
    assert [e.value for e in third.emails] == ["pager2@example.org", "second2@example.org"]
    assert [g.display for g in third.groups] == ["Pagers"] and page.items[1].groups == ()
    assert page.items[0].phone_numbers == () and len(page.items[1].phone_numbers) == 1


def test_a_page_runs_in_autocommit_on_postgresql_and_in_a_transaction_elsewhere(store):
    _seed(store)
    with sent_on(store) as sent:
        store.search_accounts('emails.value sw "pager1"', count=5)
    sent = [s for s in sent if s[0].lstrip().upper().startswith(("SELECT", "("))]
    assert len(sent) == 2, sent  # the account rows, their children
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
        good = connection.execute(sa.select(accounts).limit(1)).first()
        backend.account_rows.check(good)
        wrong = connection.execute(sa.select(accounts.c.user_name, accounts.c.id).limit(1)).first()
        with pytest.raises(TypeError, match="not an idc_accounts row"):
            backend.account_rows.check(wrong)
