"""The audit trail's generic writer (SQLAlchemy's multi-row insert) on a real MariaDB.

Instants keep their milliseconds (``DATETIME(6)``; a plain ``DATETIME`` would drop them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from idconnect.core.instants import utc_now
from idconnect.core.state import StateDatabase, new_event_ids
from idconnect.testing.databases import fresh_database

MARIADB_URL = os.environ.get("IDCONNECT_TEST_MARIADB_URL") or (
    "mysql+pymysql://root@127.0.0.1:3306/mysql"
)


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database("mariadb", "idc_test_audit") as made:
        yield made


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
