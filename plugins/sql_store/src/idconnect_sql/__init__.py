"""idconnect-sql: the SQL backend of idconnect (SQLite, PostgreSQL, MariaDB/MySQL).

Configure a store with ``plugin = "sql"`` and ``url`` (or ``url_env``/``url_file``). Without a
``mapping`` table idconnect manages its own ``idc_`` tables; :func:`init_store` creates or
migrates them (``idconnect store init NAME``).
"""

from __future__ import annotations

from idconnect.backend import StoreConfig

__all__ = ["init_store"]


def init_store(store: StoreConfig | str) -> str:
    """Create the managed tables of a store, or migrate them to the newest revision.

    :param store: the store's config, or a SQLAlchemy URL.
    :returns: the schema revision the database is at afterwards.
    :raises ConfigError: for bad settings, or a store with a ``mapping`` (idconnect does not
        own mapped tables).
    :raises StoreUnavailable: when the database cannot be reached.
    """
    from idconnect_sql.managed import ManagedStore

    config = (
        store
        if isinstance(store, StoreConfig)
        else StoreConfig(name="sql", plugin="sql", settings={"url": store})
    )
    if "mapping" in config.settings:
        raise config.error("mapping", "a mapped store's tables are not idconnect's to create")
    return ManagedStore(config).migrate()
