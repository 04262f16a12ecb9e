"""Stores for the job tests: a sql store on SQLite or on a fresh PostgreSQL database.

The hub's state shares the backend (SQLite file next to the store, or the same PostgreSQL
database), as a deployment on PostgreSQL would.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from idconnect.testing.servers import require_server

PG_URL = os.environ.get("IDCONNECT_TEST_POSTGRES_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """Create a fresh PostgreSQL database, yield its URL, drop it afterwards."""
    admin_url = sa.make_url(PG_URL)
    admin = sa.create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError:
        admin.dispose()
        require_server(
            f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} is not reachable",
            "start it or set IDCONNECT_TEST_POSTGRES_URL",
        )
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def job_config(backend: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A hub config with one sql store ``main`` on ``backend`` (``sqlite`` or ``postgresql``)."""
    if backend == "sqlite":
        yield {
            "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
            "stores": {"main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'store.db'}"}},
        }
        return
    with postgres_database("idc_test_jobs") as url:
        yield {"hub": {"state": url}, "stores": {"main": {"plugin": "sql", "url": url}}}


def seed(store: Any, count: int, *, prefix: str = "u") -> list[str]:
    """Create ``count`` accounts, returning their ids in order."""
    docs = [
        {"userName": f"{prefix}{n:05d}", "emails": [{"value": f"{prefix}{n:05d}@example.org"}]}
        for n in range(count)
    ]
    result = store.create_accounts(docs, reason="seed")
    ids = [o.account_id for o in result.outcomes]
    assert result.ok and len(ids) == count
    return ids
