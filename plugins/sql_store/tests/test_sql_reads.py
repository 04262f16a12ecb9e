"""Reads of the managed store: what they fetch, the indexes sorted pages read, dead connections.

- A page reads the account rows with only the child lists its ``attributes`` ask for, in one
  statement; ``get_account`` stays complete.
- A sorted first page is read from a ``(sort key, id)`` index in order, ascending and
  descending, for every sortable column of the managed schema (SQLite's and PostgreSQL's plans of
  the statements the store actually sent; on SQLite the outer query's, its child lists'
  subqueries sort their few rows).
- Revision 0002 creates those indexes on a database at the baseline and its downgrade restores
  the baseline's.
- A search's statements are built once per filter shape (sort and cursor kind) and run again
  with the next filter's values as parameters; shapes that differ only in a value that changes
  the SQL (an empty prefix; a NUL on SQLite and PostgreSQL) are kept apart.
- Pooled connections are not pinged: one PostgreSQL terminated is replaced, and the read or
  write that met it succeeds (run once more), exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import idconnect_sql.migrate as migrate
import pytest
import sqlalchemy as sa
from alembic import command
from idconnect_sql.tables import SORT_INDEXES, SUPERSEDED_INDEXES
from sqlalchemy.pool import NullPool

import idconnect
from idconnect.backend import USER_CATALOGUE

SORTABLE = [
    d.path
    for d in USER_CATALOGUE
    if d.sortable and d.path not in ("emailVerified", "phoneVerified")
]
"""Sortable attributes stored in a column (the two ``*Verified`` ones are computed)."""


@contextmanager
def statements(store: idconnect.Store) -> Iterator[list[tuple[str, Any]]]:
    """Record the statements (and parameters) the store's engine sends in a block."""
    engine: sa.Engine = store.backend.engine  # type: ignore[attr-defined]
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _seed(store: idconnect.Store, count: int) -> None:
    group = store.create_group({"displayName": "Readers"}, reason="test")
    for n in range(count):
        account = store.create_account(
            {
                "userName": f"reader{n:02d}",
                "displayName": f"Reader {n}" if n % 2 else None,
                "emails": [{"value": f"reader{n}@example.org", "primary": True}],
                "phoneNumbers": [{"value": f"+35121000{n:04d}"}],
            },
            reason="test",
        )
        assert store.add_to_group(group.id, [account.id], reason="test").ok


def _selects(sent: list[tuple[str, Any]]) -> list[str]:
    return [s for s, _ in sent if s.lstrip().upper().startswith(("SELECT", "("))]


def test_a_page_reads_only_the_child_lists_its_attributes_ask_for(store):
    _seed(store, 4)
    with statements(store) as sent:
        page = store.search_accounts(sort_by="userName", attributes=["userName", "displayName"])
    assert [a.user_name for a in page.items] == [f"reader{n:02d}" for n in range(4)]
    assert all(a.emails == () and a.groups == () for a in page.items)
    assert len(_selects(sent)) == 1 and "idc_emails" not in _selects(sent)[0], sent

    with statements(store) as sent:
        page = store.search_accounts(sort_by="userName", attributes=["emails.value"])
    assert [a.emails[0].value for a in page.items] == [f"reader{n}@example.org" for n in range(4)]
    assert all(a.phone_numbers == () and a.groups == () for a in page.items)
    selects = _selects(sent)
    assert len(selects) == 1 and "idc_emails" in selects[0] and "idc_groups" not in selects[0]


def test_a_full_page_and_get_account_read_every_child_list_in_one_statement(store):
    _seed(store, 3)
    with statements(store) as sent:
        page = store.search_accounts(sort_by="userName")
    assert len(_selects(sent)) == 1, sent
    first = page.items[0]
    assert first.emails[0].value == "reader0@example.org"
    assert first.phone_numbers[0].value == "+351210000000"
    assert [g.display for g in first.groups] == ["Readers"]
    assert store.get_account(first.id) == first
    assert list(page.items) == [store.get_account(a.id) for a in page.items]


def test_searches_of_one_shape_share_built_statements_and_bind_their_values(store):
    _seed(store, 12)
    searches: dict[Any, Any] = store.backend._searches  # type: ignore[attr-defined]
    searches.clear()
    for n in range(12):
        page = store.search_accounts(f'emails.value eq "READER{n}@example.org"')
        assert [a.user_name for a in page.items] == [f"reader{n:02d}"]
    assert len(searches) == 1
    for n in range(10):
        page = store.search_accounts(f'userName sw "reader0{n}" or displayName co "{n}"')
        expected = {f"reader0{n}"} | {f"reader{m:02d}" for m in range(1, 12, 2) if str(n) in str(m)}
        assert {a.user_name for a in page.items} == expected, n
    assert len(searches) == 2
    # An empty prefix needs no range and a NUL no LIKE on SQLite: other SQL, other entries.
    assert len(store.search_accounts('userName sw ""').items) == 12
    assert len(store.search_accounts('userName sw "reader"').items) == 12
    assert store.search_accounts('userName sw "reader\\u0000"').items == ()
    nul_apart = store.backend.dialect in ("sqlite", "postgresql")  # type: ignore[attr-defined]
    assert len(searches) == (5 if nul_apart else 4)
    assert [a.user_name for a in store.search_accounts('userName sw "READER11"').items] == [
        "reader11"
    ]
    assert len(searches) == (5 if nul_apart else 4)
    first = store.search_accounts(sort_by="userName", count=5)
    after = store.search_accounts(sort_by="userName", count=5, cursor=first.next_cursor)
    last = store.search_accounts(sort_by="userName", count=5, cursor=after.next_cursor)
    names = [a.user_name for p in (first, after, last) for a in p.items]
    assert names == [f"reader{n:02d}" for n in range(12)]
    assert len(searches) == (7 if nul_apart else 6)  # the first page, every page after one


def _plan(store: idconnect.Store, statement: str, params: Any, outer: bool = False) -> str:
    """The database's plan of a statement (on SQLite, only the outer query's with ``outer``)."""
    backend: Any = store.backend
    with backend.engine.connect() as connection:
        if backend.dialect == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return "\n".join(str(row[-1]) for row in rows if not outer or row[1] == 0)
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, params).all()
        connection.rollback()
        return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize("namespaces", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_a_sorted_first_page_reads_an_index_in_order(make_sql_store, descending):
    store = make_sql_store()
    _seed(store, 3)
    for path in SORTABLE:
        with statements(store) as sent:
            store.search_accounts(sort_by=path, descending=descending, count=2)
        statement, params = next((s, p) for s, p in sent if "idc_accounts" in s and "ORDER BY" in s)
        plan = _plan(store, statement, params, outer=True)
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, f"{path}:\n{plan}"
        order = statement.rsplit("ORDER BY", 1)[1]  # the child lists' subqueries have a CASE
        assert "idc_accounts" in plan and "CASE" not in order, f"{path}:\n{plan}"


def test_revision_0002_replaces_the_baseline_indexes(namespaces, open_hub):
    settings = namespaces.fresh()
    store = open_hub(settings).store("s")
    backend: Any = store.backend
    engine, tables = backend.engine, backend.tables

    def indexes() -> set[str]:
        with engine.connect() as connection:
            found = sa.inspect(connection).get_indexes("idc_accounts", schema=backend.schema)
        return {str(index["name"]) for index in found}

    assert set(SORT_INDEXES) <= indexes() and not set(SUPERSEDED_INDEXES) & indexes()
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection, tables), "0001")
    assert set(SUPERSEDED_INDEXES) <= indexes() and not set(SORT_INDEXES) & indexes()
    assert migrate.upgrade(engine, tables) == migrate.head_revision()
    assert set(SORT_INDEXES) <= indexes() and not set(SUPERSEDED_INDEXES) & indexes()


def _pooled_pids(store: idconnect.Store) -> list[int]:
    """Check out every connection the store's pool holds at once; return their server pids."""
    backend: Any = store.backend
    with ExitStack() as stack:
        connections = [
            stack.enter_context(backend.engine.connect()) for _ in range(backend.settings.pool_size)
        ]
        return [int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in connections]


def _terminate(url: str, pids: list[int]) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            for pid in pids:
                connection.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            for _ in range(200):
                alive = connection.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"),
                    {"p": pids},
                ).scalar_one()
                if alive == 0:
                    return
                time.sleep(0.01)
        raise AssertionError(f"backends {pids} still alive")
    finally:
        admin.dispose()


@pytest.mark.parametrize("namespaces", ["postgresql"], indirect=True)
def test_terminated_connections_are_replaced_for_reads_and_writes(
    namespaces, open_hub: Callable[..., idconnect.Hub]
):
    settings = namespaces.fresh()
    store = open_hub(settings).store("s")
    before = store.create_account({"userName": "before"}, reason="test")

    _terminate(namespaces.url, _pooled_pids(store))
    assert store.get_account(before.id) == before

    _terminate(namespaces.url, _pooled_pids(store))
    store.create_account({"userName": "after"}, reason="test")

    _terminate(namespaces.url, _pooled_pids(store))
    page = store.search_accounts(sort_by="userName")
    assert [a.user_name for a in page.items] == ["after", "before"]  # written exactly once
