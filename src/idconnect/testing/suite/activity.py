"""The activity family: record then list, paging, bounds and kinds, the merge with audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from idconnect import InvalidInput, NotFound, Store
from idconnect.core.activity import STORE_KINDS, ActivityKind, ActivitySource
from idconnect.testing.suite.base import REASON, BaseSuite, has, needs

__all__ = ["ActivitySuite"]

_T0 = datetime(2025, 3, 1, 9, 0, 0, 250000, tzinfo=UTC)
_KINDS = (
    ActivityKind.LOGIN_SUCCEEDED,
    ActivityKind.LOGIN_FAILED,
    ActivityKind.PASSWORD_CHANGED,
    ActivityKind.LOCKOUT,
)
_STORE_ONLY = sorted(STORE_KINDS)


def _walk(store: Store, account_id: str, count: int, **kwargs: object) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = store.activity(account_id, count=count, cursor=cursor, **kwargs)  # type: ignore[arg-type]
        assert len(page.items) <= count
        ids.extend(r.id for r in page.items)
        if page.next_cursor is None:
            return ids
        assert page.next_cursor != cursor, "the same cursor twice"
        cursor = page.next_cursor


class ActivitySuite(BaseSuite):
    """Activity: store-side records (where the store keeps them) merged with the audit trail."""

    def _recorded(self, store: Store, how_many: int) -> tuple[str, list[str]]:
        needs(store, "record_activity", "list_activity")
        account = self._one(store)
        assert account.id
        made = [
            store.record_activity(
                account.id,
                kind=_KINDS[n % len(_KINDS)],
                at=_T0 + timedelta(minutes=n),
                ip=f"192.0.2.{n + 1}",
                user_agent=f"KitBrowser/{n}",
                detail={"method": "password", "step": str(n)},
            )
            for n in range(how_many)
        ]
        return account.id, [r.id for r in reversed(made)]

    def test_record_then_list(self, store: Store) -> None:
        """A recorded record comes back as recorded, newest first, source ``store``."""
        account_id, newest_first = self._recorded(store, 3)
        page = store.activity(account_id, kinds=_STORE_ONLY)
        assert [r.id for r in page.items] == newest_first and page.next_cursor is None
        latest = page.items[0]
        assert latest.source is ActivitySource.STORE
        assert (latest.kind, latest.at, latest.ip) == (
            _KINDS[2],
            _T0 + timedelta(minutes=2),
            "192.0.2.3",
        )
        assert latest.user_agent == "KitBrowser/2"
        assert latest.detail == {"method": "password", "step": "2"}
        text = store.record_activity(account_id, kind="session_started", detail="web, remember me")
        assert store.activity(account_id, kinds=["session_started"]).items == (text,)

    def test_pages_walk_every_record_once(self, store: Store) -> None:
        """Pages of any size, store and audit records merged, give every record once, in order."""
        account_id, newest_first = self._recorded(store, 7)
        for count in (1, 2, 3, 7, 50):
            assert _walk(store, account_id, count, kinds=_STORE_ONLY) == newest_first
        store.reset_failed_attempts(account_id, reason=REASON)
        merged = store.activity(account_id, count=1000).items
        walked = _walk(store, account_id, 2)
        assert walked == [r.id for r in merged] and len(set(walked)) == len(walked)
        keys = [r.timeline_key for r in merged]
        assert keys == sorted(keys, reverse=True)
        assert {r.id for r in merged if r.source is ActivitySource.STORE} == set(newest_first)
        cursor = store.activity(account_id, count=2, kinds=_STORE_ONLY).next_cursor
        assert cursor is not None
        with pytest.raises(InvalidInput):
            store.activity(account_id, count=2, kinds=["login_failed"], cursor=cursor)

    def test_bounds_and_kinds(self, store: Store) -> None:
        """``since`` and ``until`` are inclusive; ``kinds`` keeps only those kinds."""
        account_id, newest_first = self._recorded(store, 8)
        window = store.activity(
            account_id,
            since=_T0 + timedelta(minutes=2),
            until=_T0 + timedelta(minutes=5),
            kinds=_STORE_ONLY,
        ).items
        assert [r.id for r in window] == newest_first[2:6]
        failed = store.activity(account_id, kinds=["login_failed", "lockout"]).items
        assert [r.kind for r in failed] == [_KINDS[n % 4] for n in (7, 5, 3, 1)]
        assert store.activity(account_id, kinds=["session_ended"]).items == ()
        plus_two = timezone(timedelta(hours=2))
        since = (_T0 + timedelta(minutes=3)).astimezone(plus_two)
        shifted = store.activity(account_id, since=since, kinds=_STORE_ONLY).items
        assert [r.id for r in shifted] == newest_first[:5]

    def test_merge_with_the_audit_trail(self, store: Store) -> None:
        """Support's changes show as ``admin`` records: actor, reason, action, changed names."""
        needs(store, "update_account")
        account = self._one(store)
        assert account.id
        if has(store, "record_activity"):
            store.record_activity(account.id, kind="login_failed", at=_T0, ip="2001:db8::1")
        changed = "displayName" if "displayName" in store.catalogue else "name.givenName"
        store.update_account(account.id, {changed: "Kit Renamed"}, reason="ticket 42")
        timeline = store.activity(account.id).items
        admin = [r for r in timeline if r.kind is ActivityKind.ADMIN]
        assert all(r.source is ActivitySource.AUDIT for r in admin)
        update = next(r for r in admin if r.action == "update_account")
        assert (update.reason, update.outcome) == ("ticket 42", "success")
        assert changed.split(".")[0] in update.changed and update.actor
        assert timeline.index(update) < len(admin)
        only_admin = store.activity(account.id, kinds=["admin"]).items
        assert only_admin == tuple(admin)
        if has(store, "record_activity"):
            assert timeline[-1].kind is ActivityKind.LOGIN_FAILED
            assert timeline[-1].ip == "2001:db8::1"
            assert [r.action for r in admin].count("record_activity") == 0

    def test_unknown_accounts_and_bad_input(self, store: Store) -> None:
        """Bad bounds, kinds, counts and details are InvalidInput; unknown accounts NotFound."""
        needs(store, "create_account")
        account = self._one(store)
        assert account.id
        bad: list[dict[str, object]] = [
            {"since": _T0, "until": _T0 - timedelta(seconds=1)},
            {"since": datetime(2025, 1, 1)},
            {"kinds": ["coffee_break"]},
            {"kinds": "login_failed"},
            {"count": 0},
            {"count": 1001},
            {"cursor": "not-a-cursor"},
        ]
        for arguments in bad:
            with pytest.raises(InvalidInput):
                store.activity(account.id, **arguments)  # type: ignore[arg-type]
        refused: list[dict[str, object]] = [
            {"kind": "admin"},
            {"kind": "login_failed", "ip": "300.1.2.3"},
            {"kind": "login_failed", "user_agent": "x" * 513},
            {"kind": "login_failed", "detail": {"password": "hunter2"}},
            {"kind": "login_failed", "detail": {"otp_code": "123456"}},
            {"kind": "login_failed", "detail": "x" * 513},
            {"kind": "login_failed", "detail": {f"k{n}": "v" for n in range(17)}},
            {"kind": "login_failed", "at": datetime.now(UTC) + timedelta(days=1)},
        ]
        for arguments in refused:
            with pytest.raises(InvalidInput) as info:
                store.record_activity(account.id, **arguments)  # type: ignore[arg-type]
            assert "hunter2" not in str(info.value) and "123456" not in str(info.value)
        if has(store, "record_activity"):
            with pytest.raises(NotFound):
                store.record_activity("no-such-account", kind="login_failed")
        if has(store, "list_activity"):
            with pytest.raises(NotFound):
                store.activity("no-such-account")
        else:
            assert store.activity("no-such-account").items == ()
