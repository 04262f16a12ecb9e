"""Collect each backend's suite only when its plugin and test extras are installed.

``pip install -e .`` alone runs the core's tests; the README's test command installs every
plugin and runs them all. A suite left out is named in the summary with the command that
enables it; under ``CI=true`` a missing suite is an error instead.
"""

from __future__ import annotations

import importlib.util

import pytest
from hypothesis import HealthCheck, settings

from idconnect.testing.servers import in_ci

# Under CI=true hypothesis runs its own derandomized "ci" profile without a per-example deadline
# or the too_slow health check (a loaded 2-core machine fails it although nothing is wrong);
# elsewhere the default profile, also when CI holds another value.
settings.register_profile(
    "ci",
    settings.get_profile("ci"),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
settings.load_profile("ci" if in_ci() else "default")

SUITES = {
    "plugins/sql_store/tests": (("idconnect_sql", "psycopg", "pymysql"), "plugins/sql_store[test]"),
    "plugins/ldap_store/tests": (("idconnect_ldap",), "plugins/ldap_store[test]"),
    "plugins/rest_store/tests": (
        ("idconnect_rest", "scim2_server", "pytest_httpserver"),
        "plugins/rest_store[test]",
    ),
    "examples/json_store/tests": (("idconnect_json_store",), "examples/json_store"),
}

collect_ignore: list[str] = []
_left_out: list[str] = []

for _folder, (_modules, _extra) in SUITES.items():
    _missing = [m for m in _modules if importlib.util.find_spec(m) is None]
    if _missing:
        _why = f"{_folder}: {', '.join(_missing)} not installed; pip install -e '{_extra}'"
        if in_ci():
            raise pytest.UsageError(f"a backend suite cannot run under CI=true: {_why}")
        collect_ignore.append(_folder)
        _left_out.append(_why)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the suites that were not collected, and how to enable them."""
    for line in _left_out:
        terminalreporter.write_line(f"NOT COLLECTED {line}", yellow=True)
