"""Test servers for the SQL store tests: fresh namespaces, leftover clean-up, a connection watch.

PostgreSQL's connections are shared by everyone on a machine, so a test run here:

- names everything it creates ``idc_sqltest_<pid>_<random>`` (:func:`run_name`), and tags its
  PostgreSQL connections with that name as ``application_name``;
- drops, when it starts, what earlier runs left behind (:func:`drop_leftovers`: databases of
  that prefix whose process is gone);
- samples ``pg_stat_activity`` while it runs (:class:`ConnectionWatch`), so that a test can
  assert the run never held more than a bound of connections.

Server URLs come from ``IDCONNECT_TEST_POSTGRES_URL`` / ``IDCONNECT_TEST_MARIADB_URL``.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

import idconnect_sql
from idconnect.backend import StoreConfig
from idconnect.testing.servers import require_server

__all__ = [
    "PREFIX",
    "SERVERS",
    "TEST_POOL_SIZE",
    "ConnectionWatch",
    "Namespaces",
    "admin_engine",
    "drop_leftovers",
    "run_databases",
    "run_name",
]

PREFIX = "idc_sqltest_"
"""What every database and schema made by this package's tests is named with."""
TEST_POOL_SIZE = 2
"""The ``pool_size`` of every store made by the tests (racing tests use two threads)."""
SERVERS = {
    "postgresql": (
        "IDCONNECT_TEST_POSTGRES_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    ),
    "mariadb": ("IDCONNECT_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}
"""Dialect to the environment variable naming its server and the default URL."""

_OURS = re.compile(rf"^{PREFIX}(\d+)_[0-9a-f]+(?:_\d+)?$")
_EARLIER = re.compile(r"^idc_test_[0-9a-f]{8}(?:_\d+)?$")
"""The names this suite used before it put its process id in them."""


def run_name() -> str:
    """Return a name for this test run: the prefix, the process id and a random part.

    :returns: e.g. ``idc_sqltest_4242_9f3a01bc``.
    """
    return f"{PREFIX}{os.getpid()}_{secrets.token_hex(4)}"


def admin_engine(dialect: str) -> tuple[sa.Engine, URL, str]:
    """Build an engine on a server's administrative database, without a pool.

    :param dialect: ``postgresql`` or ``mariadb``.
    :returns: the engine (AUTOCOMMIT, NullPool), its URL and the variable that overrides it.
    """
    variable, default = SERVERS[dialect]
    url = make_url(os.environ.get(variable) or default)
    engine = sa.create_engine(
        url,
        connect_args={"connect_timeout": 3},
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    return engine, url, variable


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _databases(connection: sa.Connection, dialect: str) -> list[str]:
    if dialect == "postgresql":
        rows = connection.execute(sa.text("SELECT datname FROM pg_database"))
    else:
        rows = connection.execute(sa.text("SHOW DATABASES"))
    return [str(name) for name in rows.scalars()]


def _leftover(name: str) -> bool:
    found = _OURS.match(name)
    if found is not None:
        return int(found.group(1)) != os.getpid() and not _alive(int(found.group(1)))
    return _EARLIER.match(name) is not None


def drop_leftovers(dialect: str) -> list[str]:
    """Drop the databases earlier, finished runs of these tests left on a server.

    A database named by a live process (another run going on now) is kept; on PostgreSQL one
    with open connections is kept too.

    :param dialect: ``postgresql`` or ``mariadb``.
    :returns: the names dropped (empty when the server is unreachable).
    """
    engine, _, _ = admin_engine(dialect)
    dropped: list[str] = []
    try:
        with engine.connect() as connection:
            for name in filter(_leftover, _databases(connection, dialect)):
                quoted = f'"{name}"' if dialect == "postgresql" else f"`{name}`"
                try:
                    connection.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted}"))
                except sa.exc.OperationalError:
                    continue  # PostgreSQL: still in use
                dropped.append(name)
    except sa.exc.OperationalError:
        return dropped
    finally:
        engine.dispose()
    return dropped


def run_databases(dialect: str, run: str) -> list[str]:
    """Return the databases of one run still on a server.

    :param dialect: ``postgresql`` or ``mariadb``.
    :param run: the run's name (:func:`run_name`).
    :returns: the names.
    """
    engine, _, _ = admin_engine(dialect)
    try:
        with engine.connect() as connection:
            return [n for n in _databases(connection, dialect) if n.startswith(run)]
    finally:
        engine.dispose()


class Namespaces:
    """Fresh, empty places for stores on one server: a file, a schema or a database.

    On PostgreSQL the run gets one database and each store a schema in it; on MariaDB each store
    gets a database. Store settings carry :data:`TEST_POOL_SIZE` and, on PostgreSQL, the run's
    name as ``application_name``.

    :param dialect: ``sqlite``, ``postgresql`` or ``mariadb``.
    :param tmp: a folder for SQLite files.
    :param run: the run's name (:func:`run_name`).
    :raises pytest.skip.Exception: when the server is unreachable (a failure under CI).
    """

    def __init__(self, dialect: str, tmp: Path, run: str) -> None:
        self.dialect = dialect
        self.tmp = tmp
        self.prefix = run
        self.created: list[str] = []
        self.admin: sa.Engine | None = None
        self.url = ""
        if dialect == "sqlite":
            return
        self.admin, admin_url, variable = admin_engine(dialect)
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
        url = admin_url
        if dialect == "postgresql":
            url = url.set(database=self.prefix).update_query_dict({"application_name": run})
        self.url = url.render_as_string(hide_password=False)

    def _engine(self, url: URL | str) -> sa.Engine:
        return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def empty(self) -> dict[str, object]:
        """Create an empty namespace (no tables).

        :returns: the store's settings for it (``url``, ``schema``, ``pool_size``).
        """
        n = len(self.created)
        if self.dialect == "sqlite":
            path = self.tmp / f"store{n}.db"
            self.created.append(str(path))
            return {"url": f"sqlite:///{path}"}
        assert self.admin is not None
        name = f"{self.prefix}_{n}"
        if self.dialect == "postgresql":
            engine = self._engine(self.url)
            with engine.connect() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {name}"))
            engine.dispose()
        else:
            with self.admin.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        self.created.append(name)
        return {"url": self.url, "schema": name, "pool_size": TEST_POOL_SIZE}

    def fresh(self) -> dict[str, object]:
        """Create an empty namespace with the managed schema.

        :returns: the store's settings.
        """
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
        engine = sa.create_engine(url, poolclass=NullPool)
        with engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(sa.text(f"SET LOCAL search_path TO {settings['schema']}"))
            for statement in statements:
                connection.exec_driver_sql(statement)
        engine.dispose()

    def drop(self) -> None:
        """Drop every database this run created on the server (idempotent)."""
        if self.admin is None:
            return
        with self.admin.connect() as connection:
            if self.dialect == "postgresql":
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {self.prefix} WITH (FORCE)"))
            else:
                for name in self.created:
                    connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        self.admin.dispose()


class ConnectionWatch:
    """Sample, in a thread, how many PostgreSQL connections carry one ``application_name``.

    :param run: the application name counted (the run's name).
    :param interval: seconds between samples.
    """

    def __init__(self, run: str, interval: float = 0.05) -> None:
        self.run = run
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._engine, _, _ = admin_engine("postgresql")
        self._connection: sa.Connection | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Connect and start sampling.

        :returns: ``False`` (and no thread) when PostgreSQL is unreachable.
        """
        try:
            self._connection = self._engine.connect()
        except sa.exc.OperationalError:
            self._engine.dispose()
            return False
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="pg-connection-watch", daemon=True)
        self._thread.start()
        return True

    @property
    def watching(self) -> bool:
        """Whether the watch is connected (PostgreSQL was reachable)."""
        return self._connection is not None

    def count(self) -> int:
        """Return how many connections of the run PostgreSQL has open now (0 when not watching)."""
        if self._connection is None:
            return 0
        stmt = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
        return int(self._connection.execute(stmt, {"name": self.run}).scalar_one())

    def sample(self) -> int:
        """Take one sample now (thread-safe with the sampling thread).

        :returns: the count.
        """
        with self._lock:
            seen = self.count()
            self.peak = max(self.peak, seen)
            self.samples += 1
        return seen

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        """Take a last sample, stop the thread and close the watch's connection (idempotent)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self._connection is not None:
            self.sample()
            self._connection.close()
            self._connection = None
        self._engine.dispose()
