"""One account's timeline: store-side activity and audit events merged, newest first, paged.

Two sources are merged page by page: the store's activity (its own opaque cursors, through
``idconnect_list_activity``) and the hub's audit events about the account (keyset on
``(at, id)``). The timeline's cursor holds each source's position, so memory stays at about
two store pages and one page of events whatever the history's length:

- the store's position is the cursor of the store page holding its next record, and the
  ``(at, id)`` of the last store record shown: records of that page at or after it were shown;
- the audit position is the ``(at, id)`` of the last event shown.

Records the store keeps are ordered by ``(at, id)`` descending (the hook's contract); the merge
orders by :attr:`~idconnect.core.activity.ActivityRecord.timeline_key` descending.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence, Set
from datetime import datetime
from typing import Any

from attrs import frozen

from idconnect.core.activity import STORE_KINDS, ActivityKind, ActivityRecord, ActivitySource
from idconnect.core.errors import InvalidInput
from idconnect.core.instants import format_instant, parse_instant
from idconnect.core.model import Event
from idconnect.core.query import Page, unwrap_position, wrap_position

__all__ = ["AuditPages", "StorePages", "Timeline", "audit_record"]

StorePages = Callable[[str | None, int], Page[ActivityRecord]]
"""Fetches one store page: ``(store cursor or None, count) -> page``."""
AuditPages = Callable[[tuple[datetime, str] | None, int], Sequence[Event]]
"""Fetches audit events strictly before ``(at, id)`` (or from the newest), newest first."""

Key = tuple[datetime, str]


def audit_record(event: Event) -> ActivityRecord:
    """Show one audit event as a timeline record (kind ``admin``, source ``audit``).

    :param event: an event about an account.
    :returns: the record: the event's id, instant, actor, reason, action, changed attribute
        names and outcome (a target, e.g. the group or session acted on, as ``detail``).
    """
    return ActivityRecord(
        id=event.id,
        account_id=event.account_id or "",
        kind=ActivityKind.ADMIN,
        source=ActivitySource.AUDIT,
        at=event.at,
        actor=event.actor,
        reason=event.reason,
        action=event.action,
        changed=event.changed,
        outcome=event.outcome,
        detail={"target": event.target[:256]} if event.target else None,
    )


def _key(value: Any) -> Key | None:
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise ValueError("malformed position")
    return (parse_instant(value[0]), value[1])


def _position(key: Key | None) -> list[str] | None:
    return None if key is None else [format_instant(key[0]), key[1]]


def _store_key(record: ActivityRecord) -> Key:
    return (record.at, record.id)


@frozen(kw_only=True)
class Timeline:
    """What selects one account's timeline; its pages come from :meth:`page`."""

    store: str
    """The store's name (for errors)."""
    account_id: str
    """The account."""
    since: datetime | None = None
    """The earliest instant shown (aware, UTC), or ``None``."""
    until: datetime | None = None
    """The latest instant shown (aware, UTC), or ``None``."""
    kinds: frozenset[ActivityKind] | None = None
    """The kinds shown; ``None`` for all."""

    @property
    def store_kinds(self) -> Set[ActivityKind] | None:
        """The store-side kinds asked for; ``None`` for all of them."""
        return None if self.kinds is None else self.kinds & STORE_KINDS

    @property
    def wants_store(self) -> bool:
        """Whether any store-side kind is shown."""
        return self.kinds is None or bool(self.kinds & STORE_KINDS)

    @property
    def wants_audit(self) -> bool:
        """Whether audit events (kind ``admin``) are shown."""
        return self.kinds is None or ActivityKind.ADMIN in self.kinds

    def fingerprint(self) -> str:
        """Return a digest of what selects the timeline, tying cursors to it.

        :returns: 16 hex characters.
        """
        text = "\x1f".join(
            (
                self.account_id,
                format_instant(self.since) if self.since else "",
                format_instant(self.until) if self.until else "",
                ",".join(sorted(self.kinds)) if self.kinds is not None else "*",
            )
        )
        return "activity:" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def _start(self, cursor: str | None) -> tuple[dict[str, Any] | None, Key | None, bool]:
        if cursor is None:
            return {"c": None, "k": None}, None, True
        position = unwrap_position(cursor, self.fingerprint())
        try:
            side = position["s"]
            if side is not None:
                side = {"c": side["c"], "k": side["k"]}
                _key(side["k"])
                if side["c"] is not None and not isinstance(side["c"], str):
                    raise ValueError("malformed store cursor")
            audit = position["a"]
            return side, None if audit in (None, "start") else _key(audit), audit is not None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                "the cursor is not valid (was it cut short?)", store=self.store, cursor=cursor
            ) from exc

    def page(
        self,
        count: int,
        cursor: str | None,
        *,
        store_pages: StorePages | None,
        audit_pages: AuditPages,
    ) -> Page[ActivityRecord]:
        """Build one page of the timeline.

        :param count: how many records, 1 to 1000.
        :param cursor: the previous page's ``next_cursor``, or ``None``.
        :param store_pages: fetches store pages, or ``None`` when the store keeps no activity.
        :param audit_pages: fetches audit events about the account (bounds applied).
        :returns: the page, newest first; ``next_cursor`` is ``None`` on the last one.
        :raises InvalidInput: for a cursor of another timeline or a damaged one.
        """
        side, audit_key, audit_open = self._start(cursor)
        if store_pages is None or not self.wants_store:
            side = None
        audit_open = audit_open and self.wants_audit
        fetched: list[tuple[ActivityRecord, str | None]] = []
        after: str | None = None
        if side is not None:
            page_cursor, shown = side["c"], _key(side["k"])
            while True:
                assert store_pages is not None
                page = store_pages(page_cursor, count)
                fetched.extend(
                    (r, page_cursor) for r in page.items if shown is None or _store_key(r) < shown
                )
                after = page.next_cursor
                if after is None or len(fetched) >= count:
                    break
                if after == page_cursor:
                    raise InvalidInput("the store returned the same cursor twice", store=self.store)
                page_cursor, shown = after, None
        events: Sequence[Event] = audit_pages(audit_key, count + 1) if audit_open else ()
        audit = [audit_record(e) for e in events[:count]]
        merged = sorted(
            [r for r, _ in fetched] + audit, key=lambda r: r.timeline_key, reverse=True
        )[:count]
        shown_store = [r for r in merged if r.source is ActivitySource.STORE]
        shown_audit = [r for r in merged if r.source is ActivitySource.AUDIT]
        if side is not None:
            left = fetched[len(shown_store) :]
            last = _store_key(shown_store[-1]) if shown_store else _key(side["k"])
            if left:
                side = {"c": left[0][1], "k": _position(last)}
            else:
                side = None if after is None else {"c": after, "k": None}
        audit_more = len(events) > count or len(shown_audit) < len(audit)
        if shown_audit:
            audit_key = (shown_audit[-1].at, shown_audit[-1].id)
        a_position: Any = None
        if audit_open and audit_more:
            a_position = _position(audit_key) if audit_key is not None else "start"
        next_cursor = None
        if side is not None or a_position is not None:
            next_cursor = wrap_position(self.fingerprint(), {"s": side, "a": a_position})
        return Page(items=merged, next_cursor=next_cursor)
