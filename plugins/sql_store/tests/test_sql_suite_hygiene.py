"""End-of-run checks on what the whole SQL test run did to the shared servers.

The conftest moves this module to the end of the run, after every other test has closed its
hubs: the run's PostgreSQL connections (sampled all along from ``pg_stat_activity``) never went
over the bound, none is left open, and none of its databases is left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from idconnect_sql.testing import (
    PREFIX,
    ConnectionWatch,
    Namespaces,
    admin_engine,
    drop_leftovers,
    run_databases,
)

from idconnect.testing.servers import require_server

MAX_CONNECTIONS = 20


def _finished_pid() -> int:
    """The id of a process that has exited (a run interrupted long ago)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_leftovers_of_finished_runs_are_dropped_and_live_runs_kept(server: str) -> None:
    engine, _, variable = admin_engine(server)
    dead = f"{PREFIX}{_finished_pid()}_0badc0de_0"
    live = f"{PREFIX}{os.getppid()}_0ddba11_0"  # the parent process is running
    try:
        with engine.connect() as connection:
            for name in (dead, live):
                connection.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError:
        require_server(f"{server} is not reachable", f"start it or set {variable}")
    try:
        dropped = drop_leftovers(server)
        assert dead in dropped
        assert live not in dropped
        assert run_databases(server, dead) == []
        assert run_databases(server, live) == [live]
    finally:
        with engine.connect() as connection:
            for name in (dead, live):
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()


def test_run_stayed_under_the_connection_bound_and_left_nothing(
    connection_watch: ConnectionWatch, all_namespaces: list[Namespaces], run: str
) -> None:
    if not connection_watch.watching:
        require_server("PostgreSQL is not reachable", "start it or set IDCONNECT_TEST_POSTGRES_URL")
    open_now = connection_watch.sample()
    for namespaces in all_namespaces:
        namespaces.drop()
    used = {n.dialect for n in all_namespaces}
    assert connection_watch.samples > 0
    if "postgresql" in used:
        # The run's connections carry its name: the watch saw them, so the count is real.
        assert connection_watch.peak >= 1
    assert connection_watch.peak <= MAX_CONNECTIONS, (
        f"this run held {connection_watch.peak} PostgreSQL connections at once"
    )
    assert open_now == 0, f"{open_now} PostgreSQL connections still open after every test"
    for server in used - {"sqlite"}:
        assert run_databases(server, run) == []
