"""Per-call plumbing of a store's facade: context, capability check, dispatch, error wrapping.

:class:`StoreCalls` is the base of :class:`~idconnect.core.facade.store.Store`; the family
modules build on its helpers and never call the plugin manager themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy
from attrs import evolve

from idconnect.core.attributes import adjusted_catalogue, custom_names, editable
from idconnect.core.config import StoreConfig
from idconnect.core.context import CallContext, call_scope, new_request_id
from idconnect.core.errors import IdconnectError, InvalidInput, NotSupported, PluginError
from idconnect.core.explain import read_scan_threshold
from idconnect.core.facade.checks import check_text
from idconnect.core.filter import Filter, bind, resolve_path
from idconnect.core.filter.ast import AttrPath
from idconnect.core.filter.bound import bind_text
from idconnect.core.model import BulkResult
from idconnect.core.operations import OPERATIONS
from idconnect.core.plugins import implemented_operations, sole_answer
from idconnect.core.query import Query
from idconnect.core.schema import USER_CATALOGUE, AttributeDef, Catalogue

if TYPE_CHECKING:
    from idconnect.core.facade.hub import Hub

__all__ = ["StoreCalls", "with_cursor"]

log = logging.getLogger("idconnect")

T = TypeVar("T")

_DEFAULT_BATCH = 1000


class StoreCalls:
    """What every operation of one store goes through.

    :param hub: the hub the store belongs to.
    :param config: the store's settings.
    :param backend: the backend instance its plugin's factory returned.
    :param pm: the store's own plugin manager.
    :param fallbacks: operations a hub-owned provider answers because the backend lacks them.
    """

    def __init__(
        self,
        hub: Hub,
        config: StoreConfig,
        backend: object,
        pm: pluggy.PluginManager,
        fallbacks: frozenset[str] = frozenset(),
    ) -> None:
        self.hub = hub
        self.name = config.name
        self.config = config
        self.backend = backend
        self._pm = pm
        self._implemented = implemented_operations(pm, backend)
        self._fallbacks = fallbacks - self._implemented
        self.batch_size = config.get("batch_size", int, _DEFAULT_BATCH)
        if not 1 <= self.batch_size <= 100_000:
            raise config.error("batch_size", "must be from 1 to 100000")
        self.scan_threshold = read_scan_threshold(config)
        """Accounts above which a search that would read them all is refused (``None``: never)."""
        self._capabilities: frozenset[str] | None = None
        self._catalogue: Catalogue | None = None
        self._direct: dict[str, _Direct] = {}
        """Per hook name: how :meth:`_dispatch` calls it, while its implementations stay."""

    def __repr__(self) -> str:
        return f"<Store {self.name!r} plugin={self.config.plugin!r}>"

    # -- per call ---------------------------------------------------------------------------------

    def _context(self, actor: str | None, reason: str | None, *, need_reason: bool) -> CallContext:
        if need_reason or reason is not None:
            check_text(reason, "reason", store=self.name)
        who = check_text(actor, "actor", store=self.name) if actor is not None else self.hub.actor
        return CallContext(store=self.name, actor=who, reason=reason, request_id=new_request_id())

    def _system_context(self) -> CallContext:
        return CallContext(store=self.name, actor=self.hub.actor)

    def _id(self, value: Any, what: str = "account id") -> str:
        return check_text(value, what, store=self.name)

    def _not_supported(self, op: str, *, subject: str | None = None) -> NotSupported:
        return NotSupported(
            f"this store ({self.config.plugin}) cannot {op.replace('_', ' ')}",
            store=self.name,
            account=subject,
            operation=op,
        )

    def _call(
        self, op: str, context: CallContext, *, subject: str | None = None, **kwargs: Any
    ) -> Any:
        """Run operation ``op``, refused without its permission or if the store lacks it.

        Both refusals come before any I/O, the permission first (``PermissionDenied``, then
        ``NotSupported``): a denied actor learns nothing of the store's capabilities.
        """
        kwargs["context"] = context
        self.hub.permissions.check(OPERATIONS[op], kwargs)
        if op not in self.capabilities:
            raise self._not_supported(op, subject=subject)
        return self._run(op, kwargs, subject)

    def _hook(self, name: str, context: CallContext, *, subject: str | None, **kwargs: Any) -> Any:
        """Call hook ``idconnect_<name>``; whatever escapes is an error naming store and account."""
        kwargs["context"] = context
        return self._run(name, kwargs, subject)

    def _run(self, name: str, kwargs: dict[str, Any], subject: str | None) -> Any:
        """Call hook ``idconnect_<name>`` as :meth:`_hook` does, ``context`` among ``kwargs``."""
        try:
            with call_scope(kwargs["context"]):
                return self._dispatch(name, kwargs)
        except IdconnectError as exc:
            raise exc.in_context(store=self.name, account=subject) from exc.__cause__
        except Exception as exc:
            log.debug("backend of store %r raised in %s", self.name, name, exc_info=True)
            raise PluginError(
                f"the {self.config.plugin!r} backend failed in {name}: {type(exc).__name__}"
                " (a bug in the plugin)",
                store=self.name,
                account=subject,
            ) from exc

    def _dispatch(self, name: str, kwargs: dict[str, Any]) -> Any:
        """Call hook ``idconnect_<name>`` as pluggy would, skipping its loop where it can.

        When the permission check's wrapper is the only one (:func:`sole_answer`), the check
        runs here with the arguments the wrapper would get, then the one implementation;
        otherwise, or when an argument is missing, pluggy calls the hook.
        """
        known = self._direct.get(name)
        caller = getattr(self._pm.hook, f"idconnect_{name}") if known is None else known.caller
        impls = caller.get_hookimpls()
        if known is None or known.impls != impls:
            known = self._direct[name] = _Direct(name, caller, impls, self.hub.permissions)
        impl = known.impl
        given = kwargs.keys()
        if impl is None or not given >= known.spec_names:
            return caller(**kwargs)
        if known.op is not None:
            names = known.spec_names
            self.hub.permissions.check(
                known.op, kwargs if given == names else {n: kwargs[n] for n in names}
            )
        return impl.function(*map(kwargs.__getitem__, impl.argnames))

    def _map(
        self,
        items: Sequence[T],
        run: Callable[[T], Any],
        progress: Callable[[int], None] | None,
    ) -> list[Any]:
        """Run ``run`` on each item with the hub's bounded concurrency, in order.

        :returns: per item, what ``run`` returned or the IdconnectError it raised.
        """

        def one(item: T) -> Any:
            try:
                return run(item)
            except IdconnectError as exc:
                return exc
            finally:
                if progress is not None:
                    progress(1)

        if len(items) <= 1 or self.hub.config.concurrency == 1:
            return [one(i) for i in items]
        with ThreadPoolExecutor(max_workers=self.hub.config.concurrency) as pool:
            return list(pool.map(one, items))

    def _report(self, result: BulkResult) -> BulkResult:
        if not result.ok:
            log.warning(
                "store %r: %s failed for %d of %d accounts",
                self.name,
                result.action,
                len(result.failed),
                len(result.outcomes),
            )
        return result

    def _query(
        self,
        catalogue: Catalogue,
        filter: str | Filter | None,
        sort_by: str | None,
        descending: bool,
        count: int,
        cursor: str | None,
        attributes: Sequence[str] = (),
        include_total: bool = False,
    ) -> Query:
        try:
            bound = None
            if isinstance(filter, str):
                bound = bind_text(filter, catalogue)
            elif filter is not None:
                bound = bind(filter, catalogue)
            sort_path = None
            if sort_by is not None:
                definition = resolve_path(AttrPath.of(check_text(sort_by, "sort_by")), catalogue)
                if not definition.sortable:
                    why = "multi-valued" if definition.multi_valued else "a non-searchable"
                    raise InvalidInput(f"cannot sort by {why} attribute {definition.path!r}")
                sort_path = AttrPath.of(definition.path)
            if cursor is not None:
                check_text(cursor, "cursor")
            for name in attributes:
                resolve_path(AttrPath.of(name), catalogue)
            return Query(
                filter=bound,
                sort_by=sort_path,
                descending=bool(descending),
                count=count,
                cursor=cursor,
                attributes=tuple(attributes),
                include_total=include_total,
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), store=self.name) from exc
        except IdconnectError as exc:
            raise exc.in_context(store=self.name) from exc.__cause__

    # -- the store as a whole ---------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        """The operations this store can do, e.g. ``{"get_account", "search_accounts", ...}``.

        Derived from the hooks its backend implements, narrowed by what the backend says is
        available (a mapped schema without sessions, a SCIM server without bulk), plus what the
        hub's state database holds for a store that cannot (DESIGN §11).

        :raises StoreUnavailable: when narrowing needs the store and it is down.
        """
        if self._capabilities is None:
            narrowed = self._hook(
                "available_operations",
                self._system_context(),
                subject=None,
                implemented=self._implemented,
            )
            own = self._implemented if narrowed is None else frozenset(narrowed) & self._implemented
            self._capabilities = own | self._fallbacks
        return self._capabilities

    @property
    def catalogue(self) -> Catalogue:
        """The account attributes this store holds, with the config's attribute settings.

        Custom attributes the config declares are included (each ``custom``, under
        :data:`~idconnect.core.schema.CUSTOM_SCHEMA`), and every attribute carries whether
        support sees it, may change it and may search it (:mod:`idconnect.core.attributes`).

        :raises ConfigError: when the config declares a custom attribute the store cannot hold.
        """
        if self._catalogue is None:
            found = self._hook("catalogue", self._system_context(), subject=None)
            held = found if found is not None else USER_CATALOGUE
            self._catalogue = adjusted_catalogue(self.config, held)
        return self._catalogue

    @property
    def custom_attributes(self) -> dict[str, AttributeDef]:
        """The store's custom attributes by lower-cased name."""
        return custom_names(self.catalogue)

    def _holds(self, top_level: str) -> bool:
        catalogue = self.catalogue
        return top_level in catalogue or catalogue.is_complex(top_level)

    def _editable(self, top_level: str) -> bool:
        """Whether support may change an attribute (any of its sub-attributes) here."""
        return editable(self.catalogue, top_level)

    def _backend_has(self, hook: str) -> bool:
        impls = getattr(self._pm.hook, f"idconnect_{hook}").get_hookimpls()
        return any(impl.plugin is self.backend for impl in impls)

    def ping(self) -> bool:
        """Check that the store answers.

        :returns: ``True``; a store whose backend has no health check is assumed reachable.
        :raises StoreUnavailable: when it cannot be reached.
        """
        return bool(self._hook("ping", self._system_context(), subject=None) in (None, True))

    def refresh(self) -> None:
        """Make the backend learn the store anew, then derive capabilities and catalogue again.

        :raises StoreUnavailable: when the store cannot be asked.
        """
        self._hook("refresh", self._system_context(), subject=None)
        self._capabilities = None
        self._catalogue = None

    def provision(self, *, actor: str | None = None) -> str:
        """Create what the store needs before first use (``idconnect store init``); idempotent.

        :param actor: the acting admin.
        :returns: what the backend did, for the admin to read.
        :raises PermissionDenied: without ``stores.manage``.
        :raises NotSupported: when the store type needs (or allows) no setting up.
        :raises StoreUnavailable: when the store cannot be reached.
        """
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(context, "stores.manage", "provision")
        if not self._backend_has("provision"):
            raise self._not_supported("provision")
        return str(self._hook("provision", context, subject=None))

    def seed_demo(self, count: int, seed: int, *, actor: str | None = None) -> dict[str, int]:
        """Fill the empty store with demo customers through its backend's native seeder.

        :param count: how many accounts, 1 to 10,000,000.
        :param seed: the random seed (same seed, same data).
        :param actor: the acting admin.
        :returns: how many of each kind were written.
        :raises PermissionDenied: without ``stores.manage``.
        :raises NotSupported: when the backend has no native seeder (seed through the facade).
        :raises InvalidInput: for a bad count or a store that already holds accounts.
        """
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000_000:
            raise InvalidInput("count must be from 1 to 10000000", store=self.name)
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(context, "stores.manage", "seed_demo")
        if not self._backend_has("seed_demo"):
            raise self._not_supported("seed_demo")
        return dict(self._hook("seed_demo", context, subject=None, count=count, seed=int(seed)))

    def close(self) -> None:
        """Release the store's connections."""
        self._hook("close", self._system_context(), subject=None)


class _Direct:
    """How :meth:`StoreCalls._dispatch` calls one hook, given its implementations now."""

    __slots__ = ("caller", "impl", "impls", "op", "spec_names")

    def __init__(
        self, name: str, caller: pluggy.HookCaller, impls: list[pluggy.HookImpl], checker: object
    ) -> None:
        self.caller = caller
        self.impls = impls
        self.impl = sole_answer(caller, impls, checker)
        """The implementation to call straight, or ``None``: through pluggy."""
        self.spec_names = frozenset(() if caller.spec is None else caller.spec.argnames)
        self.op = OPERATIONS[name] if len(impls) > 1 and self.impl is not None else None
        """The operation whose permission to check first (its wrapper is among ``impls``)."""


def with_cursor(query: Query, cursor: str | None) -> Query:
    """Return ``query`` resuming at ``cursor``.

    :param query: a checked query.
    :param cursor: the next page's cursor, or ``None`` for the first page.
    :returns: the query for that page.
    """
    return evolve(query, cursor=cursor)
