"""Identity verification policies, from the hub config's ``[verification.policies.NAME]`` tables.

::

    [verification.policies.document-check]
    methods = ["document"]            # what support checks: see METHODS
    level = "substantial"             # low, substantial or high (eIDAS levels of assurance)
    validity = "365d"                 # optional: days ("365d") or a whole number of days

A policy names what support checks and the assurance it gives; a verification made under it
expires after its validity (never, without one).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attrs import frozen

from idconnect.core.errors import ConfigError
from idconnect.core.records import AssuranceLevel

__all__ = ["METHODS", "VerificationPolicy", "read_verification"]

METHODS = ("document", "video_call", "in_person", "eid", "bank_id")
"""The verification methods a policy may apply: an identity document shown, a video call, a
visit in person, an electronic identity (national eID), a bank identification."""

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
_DAYS = re.compile(r"^([1-9][0-9]{0,4})d$")
_KEYS = ("methods", "level", "validity")
_MOST_DAYS = 36_600


@frozen(kw_only=True)
class VerificationPolicy:
    """One identity verification policy."""

    name: str
    """The policy's name, as support selects it."""
    methods: tuple[str, ...]
    """What support checks, from :data:`METHODS`."""
    level: AssuranceLevel
    """The level of assurance a verification under it gives."""
    validity: timedelta | None = None
    """How long a verification stays valid, ``None`` for indefinitely."""


def read_verification(table: Any, *, where: str) -> dict[str, VerificationPolicy]:
    """Read the ``[verification]`` table of a config.

    :param table: the table as parsed (``None`` when the config has none).
    :param where: the config's name for messages (``config file /etc/hub.toml``).
    :returns: the policies by name.
    :raises ConfigError: for an unknown key, a bad policy name, an unknown method or level, or a
        validity that is not ``"<days>d"`` or a whole number of days from 1 to 36600.
    """
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [verification] must be a table")
    unknown = set(table) - {"policies"}
    if unknown:
        raise ConfigError(f"{where}: [verification]: unknown key {sorted(unknown)[0]!r}")
    policies = table.get("policies", {})
    if not isinstance(policies, Mapping):
        raise ConfigError(f"{where}: [verification.policies] must be a table of tables")
    return {name: _policy(name, body, where) for name, body in policies.items()}


def _policy(name: Any, body: Any, where: str) -> VerificationPolicy:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{where}: verification policy name {name!r} must start with a letter and hold only"
            " letters, digits, '_', '-' and '.'"
        )
    at = f"{where}: [verification.policies.{name}]"
    if not isinstance(body, Mapping):
        raise ConfigError(f"{at} must be a table")
    for key in body:
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), _KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{at}: unknown key {key!r}{hint}", key=key)
    methods = body.get("methods")
    if not isinstance(methods, list) or not methods:
        raise ConfigError(f"{at}: key 'methods' must be a non-empty list", key="methods")
    for method in methods:
        if method not in METHODS:
            raise ConfigError(
                f"{at}: key 'methods': unknown method {method!r} (known: {', '.join(METHODS)})",
                key="methods",
            )
    level = body.get("level")
    known = tuple(member.value for member in AssuranceLevel)
    if level not in known:
        raise ConfigError(
            f"{at}: key 'level': expected one of {', '.join(known)}, got {level!r}", key="level"
        )
    return VerificationPolicy(
        name=name,
        methods=tuple(dict.fromkeys(methods)),
        level=AssuranceLevel(str(level)),
        validity=_validity(body.get("validity"), at),
    )


def _validity(value: Any, at: str) -> timedelta | None:
    if value is None:
        return None
    days: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    elif isinstance(value, str) and (found := _DAYS.match(value)):
        days = int(found.group(1))
    if days is None or not 1 <= days <= _MOST_DAYS:
        raise ConfigError(
            f"{at}: key 'validity': expected days, e.g. \"365d\" or 365 (1 to {_MOST_DAYS}),"
            f" got {value!r}",
            key="validity",
        )
    return timedelta(days=days)
