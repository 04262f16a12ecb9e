"""Real databases for the SQL store tests: SQLite always, PostgreSQL and MariaDB when reachable.

Each run creates its own databases (``idc_sqltest_<pid>_<random>``, see
:mod:`idconnect_sql.testing`), drops what earlier runs left behind when it starts, and drops its
own at the end. Every hub a test opens is closed (its engines disposed) when the fixture scope
that opened it ends, and stores use small pools, so the run holds few PostgreSQL connections:
``test_sql_suite_hygiene.py`` (moved to the end of the run) asserts it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from idconnect_sql.testing import ConnectionWatch, Namespaces, drop_leftovers, run_name
from idconnect_sql.testing.django import django_settings, readme_block

import idconnect
from idconnect.backend import utc_now
from idconnect.testing.suite import KIT_VERIFICATION

DIALECTS = ("sqlite", "postgresql", "mariadb")
HYGIENE = "test_sql_suite_hygiene.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the suite hygiene checks last: they look at what the whole run did."""
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith(HYGIENE))


@pytest.fixture(scope="session")
def run() -> str:
    """This run's name: databases, schemas and PostgreSQL ``application_name`` carry it."""
    for server in ("postgresql", "mariadb"):
        drop_leftovers(server)
    return run_name()


@pytest.fixture(scope="session")
def connection_watch(run: str) -> Iterator[ConnectionWatch]:
    """Samples this run's PostgreSQL connections while it runs (idle when PostgreSQL is down)."""
    watch = ConnectionWatch(run)
    watch.start()
    yield watch
    watch.stop()


@pytest.fixture(scope="session")
def all_namespaces() -> list[Namespaces]:
    """Every :class:`Namespaces` this run made, for the end-of-run checks."""
    return []


@pytest.fixture(scope="session", params=DIALECTS)
def namespaces(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    run: str,
    connection_watch: ConnectionWatch,
    all_namespaces: list[Namespaces],
) -> Iterator[Namespaces]:
    """Where fresh stores of each dialect are made; dropped at the end of the session."""
    found = Namespaces(request.param, tmp_path_factory.mktemp(request.param), run)
    all_namespaces.append(found)
    yield found
    found.drop()


class Hubs:
    """The hubs tests opened and have not closed yet, closed by the scope that opened them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.opened = 0
        self.open: list[idconnect.Hub] = []

    def connect(self, settings: dict[str, object]) -> idconnect.Hub:
        """Open a hub over one store named ``s`` with ``settings``."""
        hub = idconnect.connect(
            {
                "hub": {"state": f"sqlite:///{self.folder / f'state{self.opened}.db'}"},
                "stores": {"s": {"plugin": "sql", **settings}},
                "verification": KIT_VERIFICATION,
            }
        )
        self.opened += 1
        self.open.append(hub)
        return hub

    def close_from(self, mark: int) -> None:
        """Close the hubs opened since ``mark`` (a length of :attr:`open`)."""
        while len(self.open) > mark:
            self.open.pop().close()


@pytest.fixture(scope="session")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hubs]:
    """Every hub the tests open (closed at the latest when the session ends)."""
    found = Hubs(tmp_path_factory.mktemp("state"))
    yield found
    found.close_from(0)


@pytest.fixture(scope="class", autouse=True)
def _close_class_hubs(hubs: Hubs) -> Iterator[None]:
    """Close the hubs a class-scoped fixture opened (the kit's seeded store) after the class."""
    mark = len(hubs.open)
    yield
    hubs.close_from(mark)


@pytest.fixture(autouse=True)
def _close_test_hubs(hubs: Hubs, connection_watch: ConnectionWatch) -> Iterator[None]:
    """Close the hubs a test opened when it ends, sampling the connections it left open first."""
    mark = len(hubs.open)
    yield
    connection_watch.sample()
    hubs.close_from(mark)


@pytest.fixture(scope="session")
def open_hub(hubs: Hubs) -> Callable[..., idconnect.Hub]:
    """Open hubs over one store named ``s`` (each closed when the scope that opened it ends)."""
    return hubs.connect


@pytest.fixture(scope="session")
def make_sql_store(
    namespaces: Namespaces, open_hub: Callable[..., idconnect.Hub]
) -> Callable[[], idconnect.Store]:
    """Return a factory of fresh, empty managed stores (a new file, schema or database each)."""

    def make() -> idconnect.Store:
        return open_hub(namespaces.fresh()).store("s")

    return make


@pytest.fixture(scope="session")
def readme() -> Callable[[str, str], str]:
    """Read fenced blocks of the package README: ``readme("sql", "-- PostgreSQL")``."""
    return readme_block


@pytest.fixture(scope="session")
def make_mapped_store(
    namespaces: Namespaces, open_hub: Callable[..., idconnect.Hub]
) -> Callable[[], idconnect.Store]:
    """Return a factory of fresh, empty mapped stores: the README's Django tables and mapping."""

    def make() -> idconnect.Store:
        return open_hub(django_settings(namespaces)).store("s")

    return make


@pytest.fixture
def store(make_sql_store: Callable[[], idconnect.Store]) -> idconnect.Store:
    """A fresh, empty managed store."""
    return make_sql_store()


def insert_sessions(store: idconnect.Store, account_id: str) -> list[str]:
    """Insert two sessions for an account natively (support cannot create sessions)."""
    backend = store.backend
    now = utc_now()
    rows = [
        {
            "id": uuid.uuid4().hex,
            "account_id": account_id,
            "created": now - timedelta(hours=n + 1),
            "last_seen": now - timedelta(minutes=n + 1),
            "expires": now + timedelta(days=1),
            "ip_address": f"203.0.113.{n + 1}",
            "user_agent": "Mozilla/5.0",
            "location": "Lisbon, PT",
        }
        for n in range(2)
    ]
    with backend.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(sa.insert(backend.tables.sessions), rows)  # type: ignore[attr-defined]
    return [r["id"] for r in rows]


@pytest.fixture(scope="session")
def insert_sessions_fn() -> Callable[[idconnect.Store, str], list[str]]:
    """Insert two sessions natively (what the conformance kit's ``seed_sessions`` needs)."""
    return insert_sessions


@pytest.fixture
def seed_sessions() -> Callable[[idconnect.Store, str], list[str]]:
    """Insert two sessions natively."""
    return insert_sessions


def set_failed_attempts(store: idconnect.Store, account_id: str, password: int, otp: int) -> None:
    """Set the failed attempt counters natively."""
    backend = store.backend
    accounts = backend.tables.accounts  # type: ignore[attr-defined]
    with backend.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(
            sa.update(accounts)
            .where(accounts.c.id == account_id)
            .values(failed_password=password, failed_otp=otp)
        )


@pytest.fixture(scope="session")
def set_failed_attempts_fn() -> Callable[[idconnect.Store, str, int, int], None]:
    """Set failed attempt counters natively (what the kit's ``seed_failed_attempts`` needs)."""
    return set_failed_attempts


@pytest.fixture
def seed_failed_attempts() -> Callable[[idconnect.Store, str, int, int], None]:
    """Set failed attempt counters natively."""
    return set_failed_attempts


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty folder for IDCONNECT_HOME."""
    return tmp_path
