"""The package README's worked Django example as test data: its DDL per dialect and its mapping.

The README is read from the source checkout (``plugins/sql_store/README.md``): the tests apply
its blocks verbatim, so the documented example is the tested one.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from idconnect.testing.suite import KIT_ATTRIBUTES
from idconnect_sql.testing.servers import Namespaces

__all__ = [
    "KIT_SOURCES",
    "README",
    "SESSION_TZ",
    "django_ddl",
    "django_kit_attributes",
    "django_mapping",
    "django_settings",
    "readme_block",
]

README = Path(__file__).resolve().parents[3] / "README.md"
"""The package README."""
SESSION_TZ = "-c TimeZone=Pacific/Chatham"
"""libpq options giving mapped PostgreSQL stores a session time zone of UTC+12:45/+13:45."""
KIT_SOURCES = {
    "loyaltyTier": "loyalty_tier",
    "loyaltyPoints": "loyalty_points",
    "balance": "balance",
    "memberSince": "member_since",
    "newsletter": "newsletter",
    "profileUrl": "profile_url",
    "interests": "accounts_interest.interest",
    "internalNote": "internal_note",
    "accountCode": "account_code",
}
"""Where the README's Django tables (with its custom-attribute DDL) hold the kit's attributes."""
_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}


def readme_block(kind: str, containing: str) -> str:
    """Return the first fenced ``kind`` block of the package README containing ``containing``.

    :param kind: the fence's language, e.g. ``sql`` or ``toml``.
    :param containing: text the block must contain.
    :returns: the block's text.
    :raises StopIteration: when no block matches.
    """
    blocks: list[str] = re.findall(
        rf"```{kind}\n(.*?)```", README.read_text(encoding="utf-8"), re.S
    )
    return next(b for b in blocks if containing in b)


def django_ddl(dialect: str, part: str = "") -> list[str]:
    """Return the README's Django DDL for a dialect, one statement per item.

    :param dialect: ``sqlite``, ``postgresql`` or ``mariadb``.
    :param part: the block's label after the database's name (``": custom attributes"``).
    :returns: the statements.
    """
    block = readme_block("sql", f"-- {_LABELS[dialect]}{part}\n")
    lines = [line for line in block.splitlines() if line and not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def django_mapping() -> dict[str, Any]:
    """Return the README's ``[stores.django.mapping]`` table.

    :returns: the mapping.
    """
    config = tomllib.loads(readme_block("toml", "[stores.django.mapping]"))
    store = config["stores"]["django"]
    assert store["plugin"] == "sql"
    mapping: dict[str, Any] = store["mapping"]
    return mapping


def django_kit_attributes() -> dict[str, dict[str, Any]]:
    """Return the kit's custom attributes declared on the README's Django tables.

    :returns: the ``attributes`` setting: :data:`KIT_ATTRIBUTES` with :data:`KIT_SOURCES`.
    """
    return {name: {**spec, "source": KIT_SOURCES[name]} for name, spec in KIT_ATTRIBUTES.items()}


def django_settings(namespaces: Namespaces, custom: bool = False) -> dict[str, object]:
    """Create the Django tables in a fresh namespace; return a mapped store's settings for it.

    On PostgreSQL the store's sessions get a time zone far from UTC (:data:`SESSION_TZ`):
    ``timestamptz`` values must not depend on it.

    :param namespaces: where to create them.
    :param custom: also add the README's columns and table for the kit's custom attributes.
    :returns: the settings, ``mapping`` included.
    """
    settings = namespaces.empty()
    ddl = django_ddl(namespaces.dialect)
    if custom:
        ddl += django_ddl(namespaces.dialect, ": custom attributes")
    namespaces.run_ddl(settings, ddl)
    if namespaces.dialect == "postgresql":
        url = make_url(str(settings["url"])).update_query_dict({"options": SESSION_TZ})
        settings["url"] = url.render_as_string(hide_password=False)
    return {**settings, "mapping": django_mapping()}
