"""Stores for the job tests: a sql store on SQLite or on a fresh PostgreSQL database.

The hub's state shares the backend (SQLite file next to the store, or the same PostgreSQL
database), as a deployment on PostgreSQL would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from idconnect.testing.databases import fresh_database


@contextmanager
def job_config(backend: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A hub config with one sql store ``main`` on ``backend`` (``sqlite`` or ``postgresql``)."""
    if backend == "sqlite":
        yield {
            "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
            "stores": {"main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'store.db'}"}},
        }
        return
    with fresh_database("postgresql", "idc_test_jobs") as url:
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
