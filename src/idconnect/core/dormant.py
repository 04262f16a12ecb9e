"""The dormant-account policy: its settings, who it would warn, disable or delete, and why.

::

    [stores.customers.policies.dormant]
    inactive_after = "365d"          # no login for this long
    never_logged_in_after = "90d"    # never logged in, created this long ago (default: as above)
    action = "disable"               # or "delete"
    delete_after = "180d"            # optional, with "disable": delete this long after disabling
    exempt_groups = ["staff"]        # group ids or display names
    exempt_roles = ["admin"]
    warn_client = "shop-web"         # optional: warn the customer first through this client
    grace = "30d"                    # how long after the warning before acting

:func:`decide` judges one account at one instant; the warnings sent and the accounts the
policy disabled are rows of ``idconnect_dormant`` in the hub's state database, so a re-run
neither warns twice nor acts on an account it already acted on, and a customer who logs in
after the warning (during the grace period) is no longer dormant: the warning is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.dialects import mysql

from idconnect.core.config import StoreConfig
from idconnect.core.model import Account
from idconnect.core.state import StateDatabase
from idconnect.core.state_tables import StateTables

__all__ = ["Decision", "DormantPolicy", "DormantState", "Mark", "decide", "read_dormant"]

_DAYS = re.compile(r"^([1-9][0-9]{0,4})d$")
_KEYS = (
    "inactive_after",
    "never_logged_in_after",
    "action",
    "delete_after",
    "exempt_groups",
    "exempt_roles",
    "warn_client",
    "grace",
)


@frozen(kw_only=True)
class DormantPolicy:
    """One store's dormant-account policy."""

    inactive_after: timedelta
    """No login for this long makes an account dormant."""
    never_logged_in_after: timedelta
    """An account never logged in is dormant once created this long ago."""
    action: str = "disable"
    """``disable`` or ``delete``."""
    delete_after: timedelta | None = None
    """With ``disable``: delete an account this long after the policy disabled it."""
    exempt_groups: tuple[str, ...] = ()
    """Members of these groups (ids or display names) are never acted on."""
    exempt_roles: tuple[str, ...] = ()
    """Holders of these roles are never acted on."""
    warn_client: str | None = None
    """Warn the customer first through this client (event ``account_dormant``)."""
    grace: timedelta = timedelta(days=30)
    """With a warning: how long after it before acting."""

    def describe(self) -> str:
        """Return the policy in words, for job reasons and reports."""
        return (
            f"dormant policy: no login for {self.inactive_after.days} days"
            f" (never logged in: created {self.never_logged_in_after.days} days ago)"
        )


@frozen(kw_only=True)
class Mark:
    """What the policy did to one account before (a row of ``idconnect_dormant``)."""

    warned_at: datetime | None = None
    """When the customer was warned."""
    disabled_at: datetime | None = None
    """When the policy started disabling the account."""


@frozen(kw_only=True)
class Decision:
    """What the policy does to one account now, and why."""

    account_id: str
    user_name: str
    action: str
    """``warn``, ``disable``, ``delete``, ``wait`` (warned, in grace), ``clear`` (logged in
    since the warning: the warning is dropped) or ``none``."""
    why: str


def _days(config: StoreConfig, table: Mapping[str, Any], key: str) -> timedelta | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 36_600:
        return timedelta(days=value)
    match = _DAYS.match(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 36_600:
        raise config.error(f"policies.dormant.{key}", 'must be days: "365d" or 365 (1 to 36600)')
    return timedelta(days=int(match.group(1)))


def _names(config: StoreConfig, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise config.error(f"policies.dormant.{key}", "must be a list of names")
    return tuple(value)


def read_dormant(config: StoreConfig) -> DormantPolicy | None:
    """Read a store's ``[stores.NAME.policies.dormant]`` table.

    :param config: the store's settings.
    :returns: the policy, or ``None`` when the store has none.
    :raises ConfigError: for an unknown key or a bad value, naming the store and the key.
    """
    policies = config.get("policies", dict)
    if policies is None:
        return None
    unknown = sorted(set(policies) - {"dormant"})
    if unknown:
        raise config.error(f"policies.{unknown[0]}", "unknown policy (known: dormant)")
    table = policies.get("dormant")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise config.error("policies.dormant", "must be a table")
    extra = sorted(set(table) - set(_KEYS))
    if extra:
        raise config.error(
            f"policies.dormant.{extra[0]}", f"unknown key (known: {', '.join(_KEYS)})"
        )
    inactive = _days(config, table, "inactive_after")
    if inactive is None:
        raise config.error("policies.dormant.inactive_after", "missing required setting")
    action = table.get("action", "disable")
    if action not in ("disable", "delete"):
        raise config.error("policies.dormant.action", 'must be "disable" or "delete"')
    delete_after = _days(config, table, "delete_after")
    if delete_after is not None and action != "disable":
        raise config.error("policies.dormant.delete_after", 'only with action = "disable"')
    client = table.get("warn_client")
    if client is not None and (not isinstance(client, str) or not client):
        raise config.error("policies.dormant.warn_client", "must be a client's name")
    return DormantPolicy(
        inactive_after=inactive,
        never_logged_in_after=_days(config, table, "never_logged_in_after") or inactive,
        action=action,
        delete_after=delete_after,
        exempt_groups=_names(config, table, "exempt_groups"),
        exempt_roles=_names(config, table, "exempt_roles"),
        warn_client=client,
        grace=_days(config, table, "grace") or timedelta(days=30),
    )


def decide(policy: DormantPolicy, account: Account, mark: Mark, now: datetime) -> Decision:
    """Judge one account at ``now``.

    :param policy: the store's policy.
    :param account: the account (with its groups, roles, dates and status).
    :param mark: what the policy did to it before.
    :param now: the hub's clock.
    :returns: the decision.
    """
    assert account.id is not None

    def decision(action: str, why: str) -> Decision:
        return Decision(
            account_id=account.id or "", user_name=account.user_name, action=action, why=why
        )

    exempt = _exemption(policy, account)
    if exempt is not None:
        return decision("none", exempt)
    last = account.last_login
    if mark.warned_at is not None and last is not None and last > mark.warned_at:
        return decision("clear", f"logged in on {last.date()} after the warning")
    if not account.active:
        if mark.disabled_at is not None and policy.delete_after is not None:
            due = mark.disabled_at + policy.delete_after
            if now >= due:
                return decision(
                    "delete", f"disabled by the policy on {mark.disabled_at.date()}, still dormant"
                )
            return decision("none", f"disabled by the policy; deletion due on {due.date()}")
        return decision("none", "disabled")
    if last is not None:
        if now - last <= policy.inactive_after:
            return decision("none", f"logged in on {last.date()}")
        why = f"no login since {last.date()} ({(now - last).days} days)"
    elif account.created is not None and now - account.created > policy.never_logged_in_after:
        why = f"never logged in, created {(now - account.created).days} days ago"
    else:
        return decision("none", "never logged in, created recently")
    if mark.disabled_at is not None:
        return decision("none", f"{why}; the policy's job is under way")
    if policy.warn_client is not None:
        if mark.warned_at is None:
            return decision("warn", why)
        if now < mark.warned_at + policy.grace:
            until = (mark.warned_at + policy.grace).date()
            return decision(
                "wait", f"{why}; warned on {mark.warned_at.date()}, grace until {until}"
            )
        why = f"{why}; warned on {mark.warned_at.date()}, grace over"
    return decision(policy.action, why)


def _exemption(policy: DormantPolicy, account: Account) -> str | None:
    for ref in account.groups:
        if ref.value in policy.exempt_groups or (ref.display or "") in policy.exempt_groups:
            return f"exempt: member of group {ref.display or ref.value}"
    for held in account.role_assignments:
        if held.role in policy.exempt_roles:
            return f"exempt: holds role {held.role}"
    return None


_meta = sa.MetaData()
_AT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_marks = sa.Table(
    "idconnect_dormant",
    _meta,
    sa.Column("store", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.String(512), primary_key=True),
    sa.Column("warned_at", _AT),
    sa.Column("notification_id", sa.String(64)),
    sa.Column("disabled_at", _AT),
    sa.Column("job_id", sa.String(32)),
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_TABLES = StateTables(_meta, "dormant policy's records")


class DormantState:
    """The policy's marks in the hub's state database.

    :param state: the hub's state database.
    """

    def __init__(self, state: StateDatabase) -> None:
        self._state = state

    def _begin(self) -> AbstractContextManager[sa.Connection]:
        return _TABLES.begin(self._state, doing="use")

    def marks(self, store: str) -> dict[str, Mark]:
        """Read every mark of a store.

        :param store: the store.
        :returns: account id -> mark.
        :raises StoreUnavailable: when the database cannot be read.
        """
        m = _marks.c
        with self._begin() as conn:
            rows = conn.execute(
                sa.select(m.account_id, m.warned_at, m.disabled_at).where(m.store == store)
            ).all()
        return {a: Mark(warned_at=_utc(w), disabled_at=_utc(d)) for a, w, d in rows}

    def mark(self, store: str, account_id: str, **values: Any) -> None:
        """Set some columns of an account's mark, creating it if needed.

        :param store: the store.
        :param account_id: the account.
        :param values: ``warned_at``, ``notification_id``, ``disabled_at``, ``job_id``
            (``None`` clears one).
        :raises StoreUnavailable: when the database cannot be written.
        """
        m = _marks.c
        where = (m.store == store) & (m.account_id == account_id)
        with self._begin() as conn:
            if not conn.execute(_marks.update().where(where).values(values)).rowcount:
                conn.execute(_marks.insert().values(store=store, account_id=account_id, **values))

    def clear(self, store: str, account_id: str) -> None:
        """Drop an account's mark (it logged in since the warning, or was deleted).

        :param store: the store.
        :param account_id: the account.
        :raises StoreUnavailable: when the database cannot be written.
        """
        m = _marks.c
        with self._begin() as conn:
            conn.execute(_marks.delete().where((m.store == store) & (m.account_id == account_id)))
