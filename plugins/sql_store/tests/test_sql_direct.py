"""Account pages read on the driver's cursor (``idconnect_sql.direct``) and SQLAlchemy's path.

- Every page of a listing read on the driver's cursor equals the page SQLAlchemy's path reads
  (a statement listener on the ``Engine`` class makes the store take it): sorted by userName,
  by an instant and by a custom decimal (PostgreSQL's ``numeric`` needs its type code),
  ascending and descending, filtered, with the same cursors.
- A ``DirectRead`` returns tuples of its row type with the columns' names, processed as
  SQLAlchemy processes them (aware instants, booleans); with a listener, SQLAlchemy's rows.
- A statement with a parameter rendered into its SQL (``literal_execute``, as the pages'
  ``LIMIT``) is run directly, rendered for each value: two values read two row counts.
- A statement with an expanding parameter is not run directly, and still reads.
- PostgreSQL plans an unfiltered listing's page once (a generic plan of the prepared statement,
  its ``LIMIT`` rendered), not on every execution.
- A driver error is reported as SQLAlchemy's path reports it: a missing table is
  ``StoreUnavailable`` naming the store, with or without a listener.
- Instants read back aware in UTC, with their microseconds, on both paths.
- A writer's read on PostgreSQL (inside its transaction, where a failed statement may not run
  again) does not take the direct path; SQLite's and PostgreSQL's page reads do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from idconnect_sql import backend as sql_backend
from idconnect_sql.direct import DirectRead, listened

import idconnect
from idconnect.backend import StoreUnavailable
from idconnect.core.schema import CUSTOM_SCHEMA


@contextmanager
def sqlalchemy_path() -> Iterator[None]:
    """Make every store take SQLAlchemy's path: a statement listener on the Engine class."""

    def listener(*_: Any) -> None:
        return None

    sa.event.listen(sa.Engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", listener)


def _pages(store: idconnect.Store, **search: Any) -> list[tuple[list[Any], str | None]]:
    """Every page of a search (3 a page): its accounts and its next cursor."""
    pages, cursor = [], None
    while True:
        page = store.search_accounts(count=3, cursor=cursor, **search)
        pages.append((list(page.items), page.next_cursor))
        cursor = page.next_cursor
        if cursor is None:
            return pages


@pytest.fixture
def custom_store(namespaces: Any, open_hub: Callable[..., idconnect.Hub]) -> idconnect.Store:
    """A fresh managed store with a custom decimal, seven accounts with children."""
    attributes = {"balance": {"type": "decimal"}}
    store = open_hub({**namespaces.fresh(), "attributes": attributes}).store("s")
    group = store.create_group({"displayName": "Pagers"}, reason="test")
    for n in range(7):
        custom = {"balance": str(Decimal(n * 7 % 5) / 4)} if n != 3 else {}
        account = store.create_account(
            {
                "userName": f"pager{(n * 3) % 7}",
                "displayName": f"Pager {n}" if n % 2 else None,
                "emails": [
                    {"value": f"pager{n}@example.org", "primary": True},
                    {"value": f"second{n}@example.org"},
                ],
                "phoneNumbers": [{"value": f"+3512100{n:05d}"}] if n % 3 else [],
                CUSTOM_SCHEMA: custom,
            },
            reason="test",
        )
        if n % 2:
            assert store.add_to_group(group.id, [account.id], reason="test").ok
        if n == 5:
            assert store.disable_accounts([account.id], reason="test").ok
    return store


SEARCHES: list[dict[str, Any]] = [
    {"sort_by": "userName"},
    {"sort_by": "userName", "descending": True},
    {"sort_by": "meta.created", "descending": True},
    {"sort_by": "balance"},
    {"sort_by": "balance", "descending": True},
    {"filter": 'emails.value ew "@example.org" and active eq true', "sort_by": "displayName"},
    {},
]


def _named(search: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in search.items())


@pytest.mark.parametrize("search", SEARCHES, ids=_named)
def test_pages_on_the_driver_cursor_equal_sqlalchemys(custom_store, search):
    direct = _pages(custom_store, **search)
    with sqlalchemy_path():
        through_sqlalchemy = _pages(custom_store, **search)
    assert direct == through_sqlalchemy
    assert sum(len(items) for items, _ in direct) == (6 if "filter" in search else 7)
    assert len(direct) > 1  # more than one page: the cursors were made from direct rows


def _statement(
    store: idconnect.Store, rendered: bool = False
) -> tuple[sa.Select[Any], dict[str, Any]]:
    backend: Any = store.backend
    a = backend.tables.accounts
    stmt = (
        sa.select(a.c.id, a.c.user_name, a.c.active, a.c.created)
        .where(a.c.user_name_ci > sa.bindparam("after"))
        .order_by(a.c.user_name_ci)
        .limit(sa.bindparam("n", type_=sa.Integer, literal_execute=rendered))
    )
    return stmt, {"after": "pager1", "n": 10}


def test_a_direct_read_returns_rows_of_its_type_processed_as_sqlalchemy_does(custom_store):
    stmt, values = _statement(custom_store)
    engine: sa.Engine = custom_store.backend.engine  # type: ignore[attr-defined]
    read = DirectRead(stmt, engine.dialect)
    assert read.runnable
    with engine.connect() as connection:
        assert not listened(connection)
        rows = read.rows(connection, values)
        expected = connection.execute(stmt, values).all()
        with sqlalchemy_path():
            assert listened(connection)
            listened_rows = read.rows(connection, values)
    assert [type(r) for r in rows] == [read.row_type] * 5
    assert rows[0]._fields == ("id", "user_name", "active", "created")
    assert [tuple(r) for r in rows] == [tuple(r) for r in expected]
    assert {type(r[2]) for r in rows} == {bool}
    assert all(isinstance(r[3], datetime) and r[3].utcoffset() is not None for r in rows)
    assert [type(r) for r in listened_rows] == [sa.Row] * 5
    assert [tuple(r) for r in listened_rows] == [tuple(r) for r in expected]


def test_a_rendered_parameter_is_run_directly_with_each_value(custom_store):
    stmt, values = _statement(custom_store, rendered=True)
    engine: sa.Engine = custom_store.backend.engine  # type: ignore[attr-defined]
    read = DirectRead(stmt, engine.dialect)
    assert read.runnable
    with engine.connect() as connection:
        for n in (2, 4, 2):
            rows = read.rows(connection, {**values, "n": n})
            assert [type(r) for r in rows] == [read.row_type] * n
            expected = connection.execute(stmt, {**values, "n": n}).all()
            assert [tuple(r) for r in rows] == [tuple(r) for r in expected]


def _page_plans(store: idconnect.Store) -> dict[str, tuple[int, int]]:
    """The account page statements prepared on every pooled connection: generic, custom plans."""
    backend: Any = store.backend
    found: dict[str, tuple[int, int]] = {}
    with ExitStack() as stack:
        for _ in range(backend.settings.pool_size):
            connection = stack.enter_context(backend.engine.connect())
            rows = connection.execute(
                sa.text(
                    "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE :pattern"
                ),
                {"pattern": "%AS idc_children%LIMIT%"},
            )
            for statement, generic, custom in rows:
                before = found.get(statement, (0, 0))
                found[statement] = (before[0] + generic, before[1] + custom)
    return found


@pytest.mark.parametrize("namespaces", ["postgresql"], indirect=True)
def test_postgresql_plans_an_unfiltered_listing_once(custom_store):
    for _ in range(20):
        assert len(custom_store.search_accounts(sort_by="userName", count=3).items) == 3
    (statement, (generic, custom)), *others = _page_plans(custom_store).items()
    assert not others
    assert statement.rstrip().endswith("LIMIT 4")
    assert generic > custom


def test_an_expanding_parameter_is_not_run_directly(custom_store):
    engine: sa.Engine = custom_store.backend.engine  # type: ignore[attr-defined]
    a = custom_store.backend.tables.accounts  # type: ignore[attr-defined]
    stmt = sa.select(a.c.user_name).where(a.c.user_name.in_(sa.bindparam("names", expanding=True)))
    read = DirectRead(stmt, engine.dialect)
    assert not read.runnable
    with engine.connect() as connection:
        rows = read.rows(connection, {"names": ["pager1", "pager4", "nobody"]})
    assert sorted(r[0] for r in rows) == ["pager1", "pager4"]


def test_a_driver_error_is_reported_as_sqlalchemys_path_reports_it(custom_store):
    backend: Any = custom_store.backend
    custom_store.search_accounts(sort_by="userName")  # the statements are built and cached
    with backend.engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE {backend.tables.phones.fullname}"))
    with pytest.raises(StoreUnavailable) as direct:
        custom_store.search_accounts(sort_by="userName")
    with sqlalchemy_path(), pytest.raises(StoreUnavailable) as through_sqlalchemy:
        custom_store.search_accounts(sort_by="userName")
    assert direct.value.store == "s"
    assert str(direct.value) == str(through_sqlalchemy.value)
    assert type(direct.value.__cause__) is type(through_sqlalchemy.value.__cause__)


def test_only_reads_that_may_run_again_take_the_direct_path(custom_store):
    backend: Any = custom_store.backend
    custom_store.search_accounts(sort_by="userName")
    (key,) = backend._searches
    pages = backend._searches[key][0]
    prepared = sql_backend.PreparedSearch(pages, sa.select(1), {}, None, None, key)  # type: ignore[arg-type]
    page_read = backend._direct_reads(prepared)
    token = sql_backend._WRITING.set(True)
    try:
        writer_read = backend._direct_reads(prepared)
    finally:
        sql_backend._WRITING.reset(token)
    assert (page_read is not None) == (backend.dialect in ("sqlite", "postgresql"))
    assert (writer_read is not None) == (backend.dialect == "sqlite")


def test_instants_read_back_aware_in_utc_on_both_paths(custom_store):
    backend: Any = custom_store.backend
    accounts = backend.tables.accounts
    written = datetime(2024, 5, 1, 10, 0, 0, 250001)
    with backend.engine.begin() as connection:  # naive UTC, as the store writes instants
        connection.execute(sa.update(accounts).values(last_login=written))
    direct = custom_store.search_accounts(sort_by="userName").items
    with sqlalchemy_path():
        through_sqlalchemy = custom_store.search_accounts(sort_by="userName").items
    expected = written.replace(tzinfo=UTC)
    assert [a.last_login for a in direct] == [expected] * 7
    assert [a.last_login for a in through_sqlalchemy] == [expected] * 7
    assert {a.last_login.tzinfo for a in direct if a.last_login} == {UTC}
    assert all(a.created and a.created.tzinfo is UTC for a in direct)
