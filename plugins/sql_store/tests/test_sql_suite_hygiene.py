"""End-of-run checks on what the whole SQL test run did to the shared servers.

The conftest moves this module to the end of the run, after every other test has closed its
hubs: the run's PostgreSQL connections (sampled all along from ``pg_stat_activity``) never went
over the bound, none is left open, and none of its databases is left behind.
"""

from __future__ import annotations

from idconnect_sql.testing import ConnectionWatch, Namespaces, run_databases

from idconnect.testing.servers import require_server

MAX_CONNECTIONS = 20


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
