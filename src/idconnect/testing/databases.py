"""Fresh PostgreSQL and MariaDB databases for tests that need a server database of their own.

>>> from idconnect.testing.databases import fresh_database
>>> # with fresh_database("postgresql", "idc_test_audit") as url: ...

The servers are the machine's (``127.0.0.1:5432`` with trust auth, ``127.0.0.1:3306`` as root
without a password), or those named by ``$IDCONNECT_TEST_POSTGRES_URL`` and
``$IDCONNECT_TEST_MARIADB_URL``; a server that does not answer skips the test on a laptop and
fails it under CI (:func:`~idconnect.testing.servers.require_server`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from idconnect.testing.servers import require_server

__all__ = ["SERVERS", "fresh_database"]

SERVERS = {
    "postgresql": (
        "IDCONNECT_TEST_POSTGRES_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    ),
    "mariadb": ("IDCONNECT_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}
"""Per dialect: the variable naming the server's admin URL, and the URL used without it."""

_CREATE = {
    "postgresql": "CREATE DATABASE {}",
    "mariadb": "CREATE DATABASE {} CHARACTER SET utf8mb4",
}
_DROP = {
    "postgresql": "DROP DATABASE IF EXISTS {} WITH (FORCE)",
    "mariadb": "DROP DATABASE IF EXISTS {}",
}


@contextmanager
def fresh_database(dialect: str, prefix: str) -> Iterator[str]:
    """Create a database with a random name, yield its URL, and drop it afterwards.

    :param dialect: ``postgresql`` or ``mariadb``.
    :param prefix: the start of the database's name (letters, digits, ``_``).
    :returns: a context manager yielding the new database's URL (password included).
    :raises KeyError: for another dialect.
    :raises pytest.skip.Exception: when the server does not answer (``pytest.fail`` under CI).
    """
    variable, default = SERVERS[dialect]
    admin_url = sa.make_url(os.environ.get(variable) or default)
    admin = sa.create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(_CREATE[dialect].format(name)))
    except sa.exc.OperationalError:
        admin.dispose()
        require_server(
            f"{dialect} at {admin_url.render_as_string(hide_password=True)} is not reachable",
            f"start it or set {variable}",
        )
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(_DROP[dialect].format(name)))
        admin.dispose()
