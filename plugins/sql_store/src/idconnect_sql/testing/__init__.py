"""Test tooling of idconnect-sql: test servers; the kit's write races, re-exported."""

from __future__ import annotations

from idconnect.testing.races import RaceTally, create_races, update_races
from idconnect_sql.testing.servers import (
    PREFIX,
    SERVERS,
    TEST_POOL_SIZE,
    ConnectionWatch,
    Namespaces,
    admin_engine,
    drop_leftovers,
    run_databases,
    run_name,
)

__all__ = [
    "PREFIX",
    "SERVERS",
    "TEST_POOL_SIZE",
    "ConnectionWatch",
    "Namespaces",
    "RaceTally",
    "admin_engine",
    "create_races",
    "drop_leftovers",
    "run_databases",
    "run_name",
    "update_races",
]
