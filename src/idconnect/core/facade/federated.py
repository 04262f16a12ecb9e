"""One search across several stores: merged pages, one resumable cursor, skipped stores named.

Every selected store runs the search concurrently (one thread per store) through its own facade,
so each store's permission check and audit wrappers apply. (When a walk without ``sort_by`` is
resumed, the stores come one after the other: the first store still walking is asked alone, the
next ones only when it runs out.) Each store is asked for at most
``count`` accounts from where it left off; the answers are merged in the core's order
(:func:`~idconnect.core.filter.sort_key`: missing values last in both directions, ties by the
order of ``stores``, then by each store's own order). Without ``sort_by`` the order is the
stores' order, each store's accounts in its stable key order.

**Resuming.** The cursor holds, for each store, the store's own cursor *after the last account
emitted from it*. A store all of whose fetched accounts were emitted moves on to its page's
``next_cursor``. For a store only some of whose fetched accounts were emitted, the same page is
asked again with ``count`` set to that number: its ``next_cursor`` is then exactly after them,
and the accounts it answers are the ones emitted (so a change between the two requests cannot
make an account come twice or never). A store with more to read and none of its fetched
accounts left stops the merge there (nothing after it is known to come before its next
account), so a page may hold fewer than ``count`` accounts while ``next_cursor`` is set.
Walking every page returns each account that exists throughout the walk exactly once, however
accounts are created and deleted between pages: each store's keyset cursor guarantees it for
that store.

The cursor is URL-safe base64 of versioned JSON tied to a digest of the filter, sort and store
list (:func:`~idconnect.core.query.wrap_position`) and checked strictly when presented: anything
else is :class:`~idconnect.core.errors.InvalidInput`.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import frozen

from idconnect.core.errors import (
    FilterError,
    IdconnectError,
    InvalidInput,
    NotSupported,
    PermissionDenied,
    SecretUnavailable,
    StoreUnavailable,
)
from idconnect.core.facade.checks import check_text
from idconnect.core.filter import Filter, parse, resolve_path, sort_key, to_text, values_at
from idconnect.core.filter.ast import AttrPath
from idconnect.core.model import Account
from idconnect.core.query import MAX_PAGE_SIZE, Page, unwrap_position, wrap_position

if TYPE_CHECKING:
    from idconnect.core.config import HubConfig
    from idconnect.core.facade.store import Store

__all__ = ["MAX_CURSOR", "FederatedPage", "FederatedSearch", "SkippedStore", "StoreAccount"]

T = TypeVar("T")

MAX_CURSOR = 16384
"""The longest federated cursor accepted (it holds every store's own cursor)."""

_KEPT_MESSAGE = 200
"""How much of a skipped store's error message the cursor carries to the next pages."""

SKIPPED_BECAUSE: tuple[tuple[type[IdconnectError], str], ...] = (
    (PermissionDenied, "permission"),
    (FilterError, "filter"),
    (NotSupported, "not supported"),
    (StoreUnavailable, "unavailable"),
    (SecretUnavailable, "unavailable"),
)
"""The errors that skip a store (unless ``strict``), most specific first, and their cause."""


@frozen
class StoreAccount:
    """One account of a federated search, with the store it lives in."""

    store: str
    """The configured store name."""
    account: Account
    """The account, as that store returned it."""


@frozen
class SkippedStore:
    """A store a federated search could not ask, and why."""

    store: str
    """The configured store name."""
    cause: str
    """``permission``, ``filter``, ``not supported`` or ``unavailable``."""
    message: str
    """The error's message (never a secret)."""


@frozen(kw_only=True)
class FederatedPage:
    """One page of a search across stores."""

    items: tuple[StoreAccount, ...]
    """The accounts of this page, in order, each with its store."""
    next_cursor: str | None = None
    """The cursor of the next page; ``None`` on the last page."""
    skipped: tuple[SkippedStore, ...] = ()
    """The stores skipped (on this page or an earlier one of the same walk)."""


def _kind(value: Any) -> str:
    return "number" if isinstance(value, int | float) else type(value).__name__


@functools.total_ordering
@frozen
class _Key:
    """Where an account goes in the merged order (see the module's docstring)."""

    missing: int
    value: Any
    store: int
    descending: bool

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Key):
            return NotImplemented
        if self.missing != other.missing:
            return self.missing < other.missing
        mine, theirs = self.value, other.value
        if _kind(mine) != _kind(theirs):  # stores typing one attribute apart: a fixed order
            mine, theirs = _kind(mine), _kind(theirs)
        if mine != theirs:
            return bool(mine > theirs if self.descending else mine < theirs)
        return self.store < other.store

    def position(self) -> list[Any]:
        """Return the key as JSON for the cursor."""
        return [self.missing, self.value, self.store]


@frozen
class _Walk:
    """Where one store stands in a walk: its own cursor, done, or skipped."""

    cursor: str | None = None
    done: bool = False
    skipped: SkippedStore | None = None

    def position(self) -> list[Any]:
        """Return the state as JSON for the cursor."""
        if self.skipped is not None:
            return ["skipped", self.skipped.cause, self.skipped.message[:_KEPT_MESSAGE]]
        return ["done"] if self.done else ["at", self.cursor]


def _walk_from(position: Any, store: str, text: str) -> _Walk:
    """Read one store's state back from the cursor, strictly."""
    match position:
        case ["done"]:
            return _Walk(done=True)
        case ["at", str() | None as cursor]:
            return _Walk(cursor=cursor)
        case ["skipped", str() as cause, str() as message]:
            return _Walk(done=True, skipped=SkippedStore(store, cause, message))
    raise InvalidInput("the cursor is not valid for this search", cursor=text)


def _skip_cause(exc: IdconnectError) -> str | None:
    for kind, cause in SKIPPED_BECAUSE:
        if isinstance(exc, kind):
            return cause
    return None


class FederatedSearch:
    """The hub's search across stores (a base of :class:`~idconnect.core.facade.hub.Hub`)."""

    config: HubConfig
    _federated_pool: ThreadPoolExecutor | None = None
    _federated_lock = threading.Lock()

    if TYPE_CHECKING:

        @property
        def stores(self) -> tuple[str, ...]:
            """The configured store names (the hub's)."""

        @property
        def actor(self) -> str:
            """The acting admin (the hub's)."""

        def store(self, name: str) -> Store:
            """The facade of one store (the hub's)."""

    def search_accounts(
        self,
        filter: str | Filter | None = None,
        *,
        stores: Sequence[str] | None = None,
        sort_by: str | None = None,
        descending: bool = False,
        count: int = 50,
        cursor: str | None = None,
        strict: bool = False,
        allow_scan: bool = False,
        actor: str | None = None,
    ) -> FederatedPage:
        """Find accounts in several stores at once: one merged page.

        :param filter: SCIM filter text or a builder expression; ``None`` for every account.
        :param stores: the stores to search, in tie-breaking order; ``None`` for every
            configured store (in config order).
        :param sort_by: a single-valued attribute to merge by; ``None``: store by store, each in
            its stable key order. A store that cannot sort by it is skipped.
        :param descending: sort in descending order (missing values still last).
        :param count: at most this many accounts on the page, 1 to 1000.
        :param cursor: the ``next_cursor`` of the previous page of the same search.
        :param strict: raise the first store's error instead of skipping the store.
        :param allow_scan: let a store scan every account despite its ``scan_threshold``.
        :param actor: the acting admin, else the hub's.
        :returns: the page, with the skipped stores and why.
        :raises FilterError: for a malformed filter (any store: it is parsed once).
        :raises InvalidInput: for a bad page size, store list or cursor (a cursor of another
            search, or altered).
        :raises ConfigError: for a store name that is not configured.
        :raises IdconnectError: with ``strict``, the error of a store that could not answer;
            without it, any error other than the causes of :data:`SKIPPED_BECAUSE`.
        """
        names = self._federated_stores(stores)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PAGE_SIZE:
            raise InvalidInput(f"count must be a whole number from 1 to {MAX_PAGE_SIZE}")
        tree = parse(filter) if isinstance(filter, str) else filter
        text = None if tree is None else to_text(tree)
        sort = None if sort_by is None else check_text(sort_by, "sort_by")
        who = self.actor if actor is None else check_text(actor, "actor")
        fingerprint = hashlib.sha256(
            repr((text, sort, bool(descending), names)).encode()
        ).hexdigest()[:16]
        walks, prior = self._federated_walks(names, cursor, fingerprint, bool(descending))
        search = _Search(self, names, tree, sort, bool(descending), count, strict, allow_scan, who)
        return search.run(walks, prior, fingerprint)

    def _pool(self) -> ThreadPoolExecutor:
        """The hub's thread pool of federated searches, one thread per store (made once)."""
        with self._federated_lock:
            if self._federated_pool is None:
                self._federated_pool = ThreadPoolExecutor(
                    max_workers=max(1, len(self.config.stores)),
                    thread_name_prefix="idconnect-federated",
                )
            return self._federated_pool

    def close_federated_search(self) -> None:
        """Stop the federated search's threads (the hub's :meth:`close` calls this)."""
        with self._federated_lock:
            pool, self._federated_pool = self._federated_pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _federated_stores(self, stores: Sequence[str] | None) -> tuple[str, ...]:
        if stores is None:
            return self.stores
        if isinstance(stores, str) or not stores:
            raise InvalidInput("stores must be a non-empty list of store names")
        names = tuple(check_text(s, "store name") for s in stores)
        if len(set(names)) != len(names):
            raise InvalidInput("stores names a store twice")
        for name in names:
            if name not in self.config.stores:
                self.store(name)  # raises ConfigError listing the configured stores
        return names

    @staticmethod
    def _federated_walks(
        names: tuple[str, ...], cursor: str | None, fingerprint: str, descending: bool
    ) -> tuple[dict[str, _Walk], _Key | None]:
        if cursor is None:
            return {name: _Walk() for name in names}, None
        if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR:
            raise InvalidInput(f"cursor must be text of 1 to {MAX_CURSOR} characters")
        text = cursor
        position = unwrap_position(text, fingerprint)
        invalid = InvalidInput("the cursor is not valid for this search", cursor=text)
        if not isinstance(position, dict) or set(position) != {"s", "k"}:
            raise invalid
        states = position["s"]
        if not isinstance(states, list) or len(states) != len(names):
            raise invalid
        walks = {
            name: _walk_from(state, name, text) for name, state in zip(names, states, strict=True)
        }
        match position["k"]:
            case None:
                return walks, None
            case [0 | 1 as missing, str() | int() | float() as value, int() as store] if (
                0 <= store < len(names) and not isinstance(value, bool)
            ):
                return walks, _Key(missing, value, store, descending)
        raise invalid


class _Search:
    """One federated page being built."""

    def __init__(
        self,
        hub: FederatedSearch,
        names: tuple[str, ...],
        tree: Filter | None,
        sort: str | None,
        descending: bool,
        count: int,
        strict: bool,
        allow_scan: bool,
        actor: str,
    ) -> None:
        self.hub = hub
        self.names = names
        self.tree = tree
        self.sort = sort
        self.descending = descending
        self.count = count
        self.strict = strict
        self.allow_scan = allow_scan
        self.actor = actor
        self.walks: dict[str, _Walk] = {}

    def _page(self, name: str, cursor: str | None, count: int) -> Page[Account]:
        store: Store = self.hub.store(name)
        return store.search_accounts(
            self.tree,
            sort_by=self.sort,
            descending=self.descending,
            count=count,
            cursor=cursor,
            allow_scan=self.allow_scan,
            actor=self.actor,
        )

    def _key_of(self, name: str) -> Callable[[Account], _Key]:
        index = self.names.index(name)
        if self.sort is None:
            return lambda _: _Key(0, 0, index, self.descending)
        definition = resolve_path(AttrPath.of(self.sort), self.hub.store(name).catalogue)

        def key(account: Account) -> _Key:
            values = values_at(account, definition.path)
            missing, value = sort_key(values[0] if values else None, definition.case_exact)
            return _Key(missing, value, index, self.descending)

        return key

    def _concurrently(self, calls: dict[str, Callable[[], T]]) -> dict[str, T | IdconnectError]:
        """Run one call per store, each in a copy of the caller's context (request id, actor)."""

        def one(call: Callable[[], T]) -> T | IdconnectError:
            try:
                return call()
            except IdconnectError as exc:
                return exc

        if len(calls) <= 1:
            return {name: one(call) for name, call in calls.items()}
        pool = self.hub._pool()
        (here, first), *others = calls.items()
        futures = {
            name: pool.submit(contextvars.copy_context().run, one, call) for name, call in others
        }
        done = {here: one(first)}  # the caller's thread asks one store meanwhile
        return {**done, **{name: future.result() for name, future in futures.items()}}

    def _answered(self, name: str, got: T | IdconnectError) -> T | None:
        """Return a store's answer, or record it as skipped (``None``); raise what must be."""
        if not isinstance(got, IdconnectError):
            return got
        cause = _skip_cause(got)
        if cause is None or self.strict:
            raise got
        self.walks[name] = _Walk(done=True, skipped=SkippedStore(name, cause, str(got)))
        return None

    def run(self, walks: dict[str, _Walk], prior: _Key | None, fingerprint: str) -> FederatedPage:
        """Fetch, merge and cut one page.

        :param walks: each store's state from the cursor (all at the start without one).
        :param prior: the last key of the previous page, or ``None``.
        :param fingerprint: the search's digest, tying the next cursor to it.
        :returns: the page.
        """
        self.walks = dict(walks)
        pages, keys = self._fetch(walks, resumed=prior is not None)
        taken = self._merge(pages, keys, prior)
        partial = {
            n: taken[n] for n in pages if 0 < taken[n] < len(pages[n].items)
        }  # some emitted, not all: ask again for exactly those
        again = self._concurrently(
            {n: functools.partial(self._page, n, walks[n].cursor, k) for n, k in partial.items()}
        )
        chosen: dict[str, list[Account]] = {}
        for name, page in pages.items():
            if name in partial:
                redone = self._answered(name, again[name])
                if redone is None:
                    continue
                page = redone
            elif taken[name] < len(page.items):  # none emitted: read the same page next time
                continue
            chosen[name] = list(page.items)
            self.walks[name] = _Walk(cursor=page.next_cursor, done=page.next_cursor is None)
        items = sorted(
            (
                StoreAccount(n, a)
                for n, accounts in chosen.items()
                for a in accounts
                if prior is None or not keys[n](a) < prior  # created behind the walk
            ),
            key=lambda item: keys[item.store](item.account),
        )
        last = keys[items[-1].store](items[-1].account) if items else prior
        next_cursor = None
        if not all(w.done for w in self.walks.values()):
            position = {
                "s": [self.walks[name].position() for name in self.names],
                "k": None if last is None else last.position(),
            }
            next_cursor = wrap_position(fingerprint, position)
        skipped = tuple(w.skipped for n in self.names if (w := self.walks[n]).skipped)
        return FederatedPage(items=tuple(items), next_cursor=next_cursor, skipped=skipped)

    def _fetch(
        self, walks: dict[str, _Walk], *, resumed: bool
    ) -> tuple[dict[str, Page[Account]], dict[str, Callable[[Account], _Key]]]:
        """Fetch a page from each store still walking; record the stores that cannot answer.

        Every store is asked at once, except when resuming a walk without ``sort_by``: then the
        stores come one after the other, so the first store still walking is asked alone, and
        the next ones (at once) only when it ran out before filling the page.
        """
        pending = [n for n in self.names if not walks[n].done]
        batch = pending if self.sort is not None or not resumed else pending[:1]
        pages: dict[str, Page[Account]] = {}
        keys: dict[str, Callable[[Account], _Key]] = {}
        while batch:
            got = self._concurrently(
                {n: functools.partial(self._page, n, walks[n].cursor, self.count) for n in batch}
            )
            for name in batch:
                page = self._answered(name, got[name])
                if page is None:
                    continue
                try:
                    keys[name] = self._key_of(name)
                except IdconnectError as exc:
                    self._answered(name, exc)
                    continue
                pages[name] = page
            filled = sum(len(p.items) for p in pages.values())
            more = any(p.next_cursor is not None for p in pages.values())
            asked = set(batch)
            batch = [] if more or filled >= self.count else [n for n in pending if n not in asked]
            pending = [n for n in pending if n not in asked]
        return pages, keys

    def _merge(
        self,
        pages: dict[str, Page[Account]],
        keys: dict[str, Callable[[Account], _Key]],
        prior: _Key | None,
    ) -> dict[str, int]:
        """Merge the fetched pages; return how many of each store's accounts the page takes.

        Accounts before ``prior`` (created behind the walk) are taken but not counted.
        """
        taken = dict.fromkeys(pages, 0)
        heads = {n: [keys[n](a) for a in page.items] for n, page in pages.items()}
        emitted = 0
        while emitted < self.count:
            waiting = [
                n for n in pages if taken[n] == len(heads[n]) and pages[n].next_cursor is not None
            ]
            if waiting:  # its next account is unknown and may come first
                break
            ready = [n for n in pages if taken[n] < len(heads[n])]
            if not ready:
                break
            first = min(ready, key=lambda n: heads[n][taken[n]])
            if prior is None or not heads[first][taken[first]] < prior:
                emitted += 1
            taken[first] += 1
        return taken
