"""The audit trail's generic writer (SQLAlchemy's multi-row insert) on a real MariaDB.

Instants keep their milliseconds (``DATETIME(6)``; a plain ``DATETIME`` would drop them).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from idconnect.core.instants import utc_now
from idconnect.core.state import StateDatabase, new_event_ids
from idconnect.testing.servers import require_server

MARIADB_URL = os.environ.get("IDCONNECT_TEST_MARIADB_URL") or (
    "mysql+pymysql://root@127.0.0.1:3306/mysql"
)


@pytest.fixture
def url() -> Iterator[str]:
    admin_url = sa.make_url(MARIADB_URL)
    admin = sa.create_engine(admin_url, connect_args={"connect_timeout": 3})
    name = f"idc_test_audit_{secrets.token_hex(4)}"
    try:
        with admin.begin() as c:
            c.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    except sa.exc.OperationalError:
        admin.dispose()
        require_server(
            f"MariaDB at {admin_url.render_as_string(hide_password=True)} is not reachable",
            "start it or set IDCONNECT_TEST_MARIADB_URL",
        )
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def test_rows_are_written_in_one_insert_and_read_back(url: str, tmp_path: Path) -> None:
    state = StateDatabase(url, spool=tmp_path / "spool.jsonl")
    try:
        at = utc_now()
        tail = ('["x"]', "not_found", "no such account")
        rows = [
            (i, at, "ann", "s", "add_group_member", "failure", "r", f"a{k}", "why", "g1", *tail)
            for k, i in enumerate(new_event_ids(500))
        ]
        state.write(rows)
        events = state.events("s", limit=1000)
        assert [e.id for e in events] == [r[0] for r in rows] and state.pending() == 0
        assert (events[0].at, events[0].target, events[0].changed, events[0].error_code) == (
            at,
            "g1",
            ("x",),
            "not_found",
        )
    finally:
        state.close()
