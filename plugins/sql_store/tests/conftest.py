"""Real databases for the SQL store tests: SQLite always, PostgreSQL and MariaDB when reachable.

Each run creates its own uniquely named databases (``idc_test_<random>``) and drops them at the
end. Server URLs come from ``IDCONNECT_TEST_POSTGRES_URL`` / ``IDCONNECT_TEST_MARIADB_URL``.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import idconnect_sql
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import idconnect
from idconnect.core.config import StoreConfig
from idconnect.core.instants import utc_now
from idconnect.testing.servers import require_server

DIALECTS = ("sqlite", "postgresql", "mariadb")
SESSION_TZ = "-c TimeZone=Pacific/Chatham"
"""libpq options giving mapped PostgreSQL stores a session time zone of UTC+12:45/+13:45."""
README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
SERVERS = {
    "postgresql": (
        "IDCONNECT_TEST_POSTGRES_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    ),
    "mariadb": ("IDCONNECT_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}


def _admin_engine(dialect: str) -> tuple[sa.Engine, sa.URL, str]:
    variable, default = SERVERS[dialect]
    admin_url = make_url(os.environ.get(variable) or default)
    engine = sa.create_engine(
        admin_url, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT"
    )
    return engine, admin_url, variable


class Namespaces:
    """Fresh, empty places for managed stores on one server: a file, a schema or a database."""

    def __init__(self, dialect: str, tmp: Path) -> None:
        self.dialect = dialect
        self.tmp = tmp
        self.prefix = f"idc_test_{secrets.token_hex(4)}"
        self.created: list[str] = []
        self.admin: sa.Engine | None = None
        self.url = ""
        if dialect == "sqlite":
            return
        self.admin, admin_url, variable = _admin_engine(dialect)
        try:
            with self.admin.connect() as connection:
                if dialect == "postgresql":
                    connection.execute(sa.text(f"CREATE DATABASE {self.prefix}"))
                    self.created.append(self.prefix)
        except sa.exc.OperationalError:
            self.admin.dispose()
            require_server(
                f"{dialect} at {admin_url.render_as_string(hide_password=True)} is not reachable",
                f"start it or set {variable} to a server where the user may create databases",
            )
        database = self.prefix if dialect == "postgresql" else admin_url.database
        self.url = admin_url.set(database=database).render_as_string(hide_password=False)

    def empty(self) -> dict[str, object]:
        """Create an empty namespace (no tables); return the store's settings for it."""
        n = len(self.created)
        if self.dialect == "sqlite":
            path = self.tmp / f"store{n}.db"
            self.created.append(str(path))
            return {"url": f"sqlite:///{path}"}
        assert self.admin is not None
        name = f"{self.prefix}_{n}"
        if self.dialect == "postgresql":
            engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {name}"))
            engine.dispose()
        else:
            with self.admin.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        self.created.append(name)
        return {"url": self.url, "schema": name}

    def fresh(self) -> dict[str, object]:
        """Create an empty namespace with the managed schema; return the store's settings."""
        settings = self.empty()
        if self.dialect != "sqlite":
            idconnect_sql.init_store(StoreConfig(name="s", plugin="sql", settings=settings))
        return settings

    def run_ddl(self, settings: dict[str, object], statements: list[str]) -> None:
        """Run DDL statements in a namespace made by :meth:`empty` (unqualified names land there).

        :param settings: what :meth:`empty` returned.
        :param statements: the statements, one per item.
        """
        url = make_url(str(settings["url"]))
        if self.dialect == "mariadb":
            url = url.set(database=str(settings["schema"]))
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(sa.text(f"SET LOCAL search_path TO {settings['schema']}"))
            for statement in statements:
                connection.exec_driver_sql(statement)
        engine.dispose()

    def drop(self) -> None:
        """Drop every database this run created."""
        if self.admin is None:
            return
        with self.admin.connect() as connection:
            if self.dialect == "postgresql":
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {self.prefix} WITH (FORCE)"))
            else:
                for name in self.created:
                    connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        self.admin.dispose()


@pytest.fixture(scope="session", params=DIALECTS)
def namespaces(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Namespaces]:
    """Where fresh stores of each dialect are made; dropped at the end of the session."""
    found = Namespaces(request.param, tmp_path_factory.mktemp(request.param))
    yield found
    found.drop()


@pytest.fixture(scope="session")
def open_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., idconnect.Hub]]:
    """Open hubs over one store named ``s`` (closed at the end of the session)."""
    hubs: list[idconnect.Hub] = []
    folder = tmp_path_factory.mktemp("state")

    def open_(settings: dict[str, object]) -> idconnect.Hub:
        hub = idconnect.connect(
            {
                "hub": {"state": f"sqlite:///{folder / f'state{len(hubs)}.db'}"},
                "stores": {"s": {"plugin": "sql", **settings}},
            }
        )
        hubs.append(hub)
        return hub

    yield open_
    for hub in hubs:
        hub.close()


@pytest.fixture(scope="session")
def make_sql_store(
    namespaces: Namespaces, open_hub: Callable[..., idconnect.Hub]
) -> Callable[[], idconnect.Store]:
    """Return a factory of fresh, empty managed stores (a new file, schema or database each)."""

    def make() -> idconnect.Store:
        return open_hub(namespaces.fresh()).store("s")

    return make


def readme_block(kind: str, containing: str) -> str:
    """Return the first fenced ``kind`` block of the package README containing ``containing``."""
    blocks = re.findall(rf"```{kind}\n(.*?)```", README, re.S)
    return next(b for b in blocks if containing in b)


@pytest.fixture(scope="session")
def readme() -> Callable[[str, str], str]:
    """Read fenced blocks of the package README: ``readme("sql", "-- PostgreSQL")``."""
    return readme_block


def django_ddl(dialect: str) -> list[str]:
    """The README's Django DDL for a dialect, one statement per item."""
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}[dialect]
    block = readme_block("sql", f"-- {label}\n")
    lines = [line for line in block.splitlines() if line and not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


@pytest.fixture(scope="session")
def make_mapped_store(
    namespaces: Namespaces, open_hub: Callable[..., idconnect.Hub]
) -> Callable[[], idconnect.Store]:
    """Return a factory of fresh, empty mapped stores: the README's Django tables and mapping."""
    mapping = tomllib.loads(readme_block("toml", "[stores.django.mapping]"))
    store = mapping["stores"]["django"]
    assert store["plugin"] == "sql"

    def make() -> idconnect.Store:
        settings = namespaces.empty()
        namespaces.run_ddl(settings, django_ddl(namespaces.dialect))
        if namespaces.dialect == "postgresql":
            # A session time zone far from UTC: timestamptz values must not depend on it.
            url = make_url(str(settings["url"])).update_query_dict({"options": SESSION_TZ})
            settings["url"] = url.render_as_string(hide_password=False)
        return open_hub({**settings, "mapping": store["mapping"]}).store("s")

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
