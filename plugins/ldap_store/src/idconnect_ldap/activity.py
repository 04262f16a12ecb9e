"""An account's activity as the directory recorded it: OpenLDAP's access log, or ppolicy's times.

With ``accesslog_base`` set (the suffix of an ``slapo-accesslog`` database the store's bind
may read, e.g. ``cn=accesslog``), the records are the log's modifications of the account's
entry, read newest first: ``pwdLastSuccess`` set (``olcLastBind`` or ppolicy) is a
``login_succeeded``, a ``pwdFailureTime`` added a ``login_failed``, ``pwdAccountLockedTime`` set
a ``lockout``, and ``userPassword`` changed a ``password_changed`` by the account itself, else a
``password_reset``. Only attribute names are read from ``reqMod``, never values (they hold
password hashes). The log keeps no client address. Without it, a directory with ppolicy's
attributes gives what the entry holds now: each ``pwdFailureTime`` (failures since the last
success or reset), the last ``pwdLastSuccess`` and ``pwdAccountLockedTime``. A directory with
neither has no activity hook (``NotSupported``; the facade still shows the audit part).

Pages are newest first by ``(at, id)``; the cursor holds the last record's place, and the next
page asks the log only for entries at or before it (``reqStart<=``), keeping the ``count + 1``
newest in memory.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Set
from datetime import datetime, timedelta
from typing import Any

import ldap3  # type: ignore[import-untyped]
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]

from idconnect.backend import (
    STORE_KINDS,
    ActivityKind,
    ActivityRecord,
    InvalidInput,
    Page,
    StoreConfig,
    activity_fingerprint,
    format_instant,
    hookimpl,
    parse_instant,
    unwrap_position,
    wrap_position,
)
from idconnect_ldap.base import LdapBase
from idconnect_ldap.entries import Raw, text_values
from idconnect_ldap.protocol import paged_entries
from idconnect_ldap.values import ceil_second, format_generalized_time, parse_generalized_time

__all__ = ["ActivityMixin"]

_SET_BY = {
    "pwdlastsuccess": ActivityKind.LOGIN_SUCCEEDED,
    "pwdaccountlockedtime": ActivityKind.LOCKOUT,
}
"""Attributes whose setting in a logged modification is an activity of that kind."""
_LOG_ATTRIBUTES = ["reqStart", "reqMod", "reqAuthzID", "reqResult"]


def _kinds_of(
    mods: Iterable[str], own: bool, logged: datetime
) -> Iterator[tuple[ActivityKind, datetime]]:
    """The activities one logged modification holds (``reqMod`` lines: ``attr:op value``).

    Each comes with its time: the value ppolicy wrote (``pwdFailureTime`` has microseconds),
    else ``pwdChangedTime`` for a password, else when the log says the request started (whole
    seconds: the log's fraction is a sequence number, not a time).
    """
    lines = [(name.lower(), rest) for name, _, rest in (line.partition(":") for line in mods)]
    changed = next((_time(rest[1:]) for name, rest in lines if name == "pwdchangedtime"), None)
    for name, rest in lines:
        op, value = rest[:1], rest[1:].strip()
        if name == "pwdfailuretime" and op == "+":
            yield ActivityKind.LOGIN_FAILED, _time(value) or logged
        elif name in _SET_BY and op in "=+" and value:
            yield _SET_BY[name], _time(value) or logged
        elif name == "userpassword" and op in "=+":
            kind = ActivityKind.PASSWORD_CHANGED if own else ActivityKind.PASSWORD_RESET
            yield kind, changed or logged


def _time(value: str) -> datetime | None:
    """A Generalized Time value, or ``None`` for anything else (never raises)."""
    try:
        return parse_generalized_time(value)
    except ValueError:
        return None


class ActivityMixin(LdapBase):
    """Activity: list an account's records from the access log or ppolicy's attributes.

    :param config: the store's config; ``accesslog_base`` is optional.
    :raises ConfigError: for a malformed ``accesslog_base``.
    """

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        base = config.get("accesslog_base", str)
        if base is not None and "=" not in base:
            raise config.error("accesslog_base", "expected the access log's suffix DN")
        self.accesslog_base = base

    def has_activity(self) -> bool:
        """Whether this directory gives activity (an access log, or ppolicy's attributes)."""
        return self.accesslog_base is not None or self.view.directory.defines("pwdFailureTime")

    @hookimpl
    def idconnect_list_activity(
        self,
        account_id: str,
        since: datetime | None,
        until: datetime | None,
        kinds: Set[ActivityKind] | None,
        count: int,
        cursor: str | None,
    ) -> Page[ActivityRecord]:
        """Read one page of the account's activity, newest first (see the module's doc)."""
        fingerprint = activity_fingerprint("ldap", account_id, since, until, kinds)
        after = (
            None
            if cursor is None
            else self._activity_position(unwrap_position(cursor, fingerprint))
        )
        wanted = STORE_KINDS if kinds is None else kinds
        bound = until if after is None or (until is not None and until < after[0]) else after[0]

        def run(conn: ldap3.Connection) -> list[ActivityRecord]:
            entry = self.find_account(conn, account_id, self._ppolicy_attributes())
            if self.accesslog_base is not None:
                found = self._logged(conn, account_id, entry.dn, since, bound)
            else:
                found = self._held(account_id, entry)
            kept = (
                r
                for r in found
                if r.kind in wanted
                and (since is None or r.at >= since)
                and (until is None or r.at <= until)
                and (after is None or (r.at, r.id) < after)
            )
            return heapq.nlargest(count + 1, kept, key=lambda r: (r.at, r.id))

        records = self.run(run)
        items = records[:count]
        next_cursor = None
        if len(records) > count:
            last = items[-1]
            next_cursor = wrap_position(fingerprint, [format_instant(last.at), last.id])
        return Page(items=items, next_cursor=next_cursor)

    def _activity_position(self, position: Any) -> tuple[datetime, str]:
        try:
            at, ident = position
            return parse_instant(at), str(ident)
        except (TypeError, ValueError) as exc:
            raise InvalidInput("the cursor is not valid for this account", store=self.name) from exc

    def _ppolicy_attributes(self) -> list[str]:
        directory = self.view.directory
        names = ("pwdFailureTime", "pwdLastSuccess", "pwdAccountLockedTime")
        return [self.configured.id_attribute, *(n for n in names if directory.defines(n))]

    def _logged(
        self,
        conn: ldap3.Connection,
        account_id: str,
        dn: str,
        since: datetime | None,
        until: datetime | None,
    ) -> Iterator[ActivityRecord]:
        """The access log's records of modifications of the entry at ``dn``."""
        parts = ["(objectClass=auditModify)", f"(reqDN={escape_filter_chars(dn)})"]
        if until is not None:  # a second of margin (records keep whole-second or ppolicy times,
            # and reqStart has a sequence fraction); the exact bound is kept by the caller
            late = ceil_second(until) + timedelta(seconds=1)
            parts.append(f"(reqStart<={format_generalized_time(late)})")
        if since is not None:
            early = since - timedelta(seconds=1)
            parts.append(f"(reqStart>={format_generalized_time(early)})")
        assert self.accesslog_base is not None
        for item in paged_entries(
            conn,
            base=self.accesslog_base,
            scope="one",
            ldap_filter=f"(&{''.join(parts)})",
            attributes=_LOG_ATTRIBUTES,
            page_size=self.settings.page_size,
            limit=None,
            controls=[],
            store=self.name,
        ):
            raw = Raw(item)
            start = raw.first("reqStart") or ""
            logged = _time(start.partition(".")[0] + "Z") if start else None
            if logged is None or raw.first("reqResult") not in (None, "0"):
                continue
            own = (raw.first("reqAuthzID") or "").lower() == dn.lower()
            mods = text_values(raw.get("reqMod"))
            for n, (kind, at) in enumerate(_kinds_of(mods, own, logged)):
                yield ActivityRecord(id=f"{start}#{n}", account_id=account_id, kind=kind, at=at)

    def _held(self, account_id: str, entry: Raw) -> Iterator[ActivityRecord]:
        """What ppolicy's attributes of the entry say now (no access log)."""
        for name, kind in (
            ("pwdFailureTime", ActivityKind.LOGIN_FAILED),
            ("pwdLastSuccess", ActivityKind.LOGIN_SUCCEEDED),
            ("pwdAccountLockedTime", ActivityKind.LOCKOUT),
        ):
            for value in text_values(entry.get(name)):
                at = parse_generalized_time(value)
                if at is not None:
                    yield ActivityRecord(
                        id=f"{name}#{value}", account_id=account_id, kind=kind, at=at
                    )
