"""The ``json`` store type: accounts as canonical SCIM documents in one JSON file.

It implements get, search, create, update, enable/disable and delete -- nothing else, so the
facade answers every other operation (groups, roles, sessions, ...) with ``NotSupported``.

Search uses the core's reference evaluator (:func:`idconnect.core.filter.evaluate`) over the
accounts read from the file. That is acceptable here only because the data *is* a file read
whole on every call; a backend over a database or directory must translate the filter into its
native query instead. The file is rewritten atomically on every change; one process at a time.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from collections.abc import Mapping
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from attrs import evolve

from idconnect.backend import (
    USER_CATALOGUE,
    Account,
    Catalogue,
    Conflict,
    Explanation,
    NotFound,
    Page,
    Query,
    StoreConfig,
    StoreFactory,
    StoreUnavailable,
    account_from_json,
    apply_changes,
    decode_cursor,
    encode_cursor,
    evaluate,
    hookimpl,
    sort_key,
    to_json,
    to_text,
    utc_now,
    values_at,
)

__all__ = ["JsonStore"]

CATALOGUE = USER_CATALOGUE.without("groups", "roleAssignments")
"""What a JSON file store holds: everything but group memberships and roles (no such hooks)."""


class JsonStore:
    """A store kept in a JSON file: ``{"accounts": {id: SCIM User document}}``.

    :param config: the store's config; ``path`` (required) names the file, created on first write.
    :raises ConfigError: when ``path`` is missing or its folder does not exist.
    """

    def __init__(self, config: StoreConfig) -> None:
        self.name = config.name
        self.path = Path(config.require("path", str)).expanduser()
        if not self.path.parent.is_dir():
            raise config.error("path", f"folder {str(self.path.parent)!r} does not exist")
        self._lock = threading.RLock()

    # -- the file ---------------------------------------------------------------------------------

    def _load(self) -> dict[str, Account]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreUnavailable(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            docs = json.loads(text)["accounts"]
            return {key: account_from_json(doc) for key, doc in docs.items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreUnavailable(f"{self.path} is not an accounts file") from exc

    def _save(self, accounts: Mapping[str, Account]) -> None:
        doc = {"accounts": {key: to_json(a) for key, a in accounts.items()}}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".idconnect-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False, indent=1)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StoreUnavailable(f"cannot write {self.path}: {exc.strerror}") from exc

    def _get(self, accounts: Mapping[str, Account], account_id: str) -> Account:
        try:
            return accounts[account_id]
        except KeyError:
            raise NotFound(f"no account with id {account_id!r}") from None

    @staticmethod
    def _stamp(account: Account) -> Account:
        return evolve(
            account, version=str(int(account.version or "0") + 1), last_modified=utc_now()
        )

    def _check_unique(
        self, accounts: Mapping[str, Account], user_name: str, me: str | None
    ) -> None:
        for other in accounts.values():
            if other.id != me and other.user_name.lower() == user_name.lower():
                raise Conflict(f"userName {user_name!r} is taken", attribute="userName")

    # -- hooks ------------------------------------------------------------------------------------

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """Everything but groups and roles."""
        return CATALOGUE

    @hookimpl
    def idconnect_ping(self) -> bool:
        """Reachable when the file (if any) can be read."""
        self._load()
        return True

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read one account."""
        with self._lock:
            return self._get(self._load(), account_id)

    @hookimpl
    def idconnect_explain_search(self, query: Query, threshold: int | None) -> Explanation:
        """A local scan: every account of the file is read and tested by the evaluator."""
        text = to_text(query.filter) if query.filter is not None else None
        over = None
        if threshold is not None:
            with self._lock:
                over = len(self._load()) > threshold
        return Explanation(
            store=self.name,
            backend="json (example)",
            native=f"read {self.path} whole",
            target=(str(self.path),),
            rechecked=(f"{text} (every account, by the reference evaluator)",) if text else (),
            plan=("local scan",),
            full_scan=True,
            scan_cause="a local scan of the JSON file",
            over_threshold=over,
        )

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Filter with the reference evaluator, sort by the store rules, page by keyset."""
        with self._lock:
            found = [
                a
                for a in self._load().values()
                if query.filter is None or evaluate(query.filter, a)
            ]
        definition = CATALOGUE.get(query.sort_by.dotted) if query.sort_by else None

        def position(account: Account) -> list[Any]:
            if definition is None:
                return [[0, ""], account.id]
            values = values_at(account, definition.path)
            return [sort_key(values[0] if values else None, definition.case_exact), account.id]

        def compare(a: list[Any], b: list[Any]) -> int:
            (a_missing, a_value), a_id = a
            (b_missing, b_value), b_id = b
            if a_missing != b_missing:
                return int(a_missing) - int(b_missing)  # missing values last, both directions
            sign = -1 if query.descending else 1
            if a_value != b_value:
                return sign if a_value > b_value else -sign
            return 0 if a_id == b_id else (sign if a_id > b_id else -sign)

        ordered = sorted(found, key=lambda a: cmp_to_key(compare)(position(a)))
        if query.cursor is not None:
            after = decode_cursor(query)
            ordered = [a for a in ordered if compare(position(a), after) > 0]
        page = ordered[: query.count]
        more = len(ordered) > query.count
        return Page(
            items=page,
            next_cursor=encode_cursor(query, position(page[-1])) if more and page else None,
            total=len(found) if query.include_total and query.cursor is None else None,
        )

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """Add an account with a new random id."""
        with self._lock:
            accounts = self._load()
            self._check_unique(accounts, account.user_name, None)
            now = utc_now()
            new = self._stamp(
                evolve(
                    account,
                    id=uuid.uuid4().hex,
                    created=now,
                    version=None,
                    groups=(),
                    role_assignments=(),
                    disabled_at=None if account.active else now,
                )
            )
            assert new.id is not None
            accounts[new.id] = new
            self._save(accounts)
            return new

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """Apply typed changes when the version matches."""
        with self._lock:
            accounts = self._load()
            account = self._get(accounts, account_id)
            if expected_version is not None and expected_version != account.version:
                raise Conflict(
                    f"version {expected_version} is stale (current is {account.version})"
                )
            if "userName" in changes:
                self._check_unique(accounts, changes["userName"], account_id)
            updated = self._stamp(apply_changes(account, changes))
            accounts[account_id] = updated
            self._save(accounts)
            return updated

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """Enable or disable one account, recording when it was disabled."""
        with self._lock:
            accounts = self._load()
            account = self._get(accounts, account_id)
            if account.active != enabled:
                accounts[account_id] = self._stamp(
                    evolve(account, active=enabled, disabled_at=None if enabled else utc_now())
                )
                self._save(accounts)

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """Remove one account from the file."""
        with self._lock:
            accounts = self._load()
            self._get(accounts, account_id)
            del accounts[account_id]
            self._save(accounts)


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Register the ``json`` store type."""
    return {"json": JsonStore}
