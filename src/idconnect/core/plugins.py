"""Plugin loading and per-store dispatch.

Dispatch idiom (DESIGN.md §2): **one pluggy ``PluginManager`` per store**. A hub has a root
manager that loads the ``idconnect`` entry point group and answers ``idconnect_store_types``;
each configured store then gets its own manager holding the hook specs, that store's backend
instance and the cross-cutting plugins (the built-in audit trail and every loaded plugin module).
A call on store S can only ever reach S's backend, with no per-call filtering; capabilities are
read off S's manager (which operation hooks S's backend implements). The alternative,
``subset_hook_caller`` on one shared manager, would filter on every call and would let a store
registered later leak into the callers cached earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pluggy

from idconnect.core import hookspecs
from idconnect.core.errors import PluginError
from idconnect.core.hookspecs import PROJECT, StoreFactory
from idconnect.core.operations import OPERATIONS as ALL_OPERATIONS
from idconnect.core.operations import STORE_HOOKS, operations_of

__all__ = [
    "GROUP_OPERATIONS",
    "OPERATIONS",
    "STORE_HOOKS",
    "hookimpl",
    "implemented_operations",
    "make_root_manager",
    "make_store_manager",
    "provided_operations",
    "sole_answer",
    "store_types",
]

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a plugin method as a hook implementation: ``@hookimpl def idconnect_get_account(...)``."""

_PREFIX = "idconnect_"

OPERATIONS = frozenset(ALL_OPERATIONS)
"""Every operation a store may have, e.g. ``get_account`` or ``bulk_delete_accounts``."""

GROUP_OPERATIONS = frozenset(op.name for op in operations_of("groups"))
"""The operations on groups and memberships, which a store without groups lacks."""


def make_root_manager(extra_plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    """Build a hub's root manager: hook specs, entry-point plugins, then ``extra_plugins``.

    :param extra_plugins: plugin objects to register besides the entry points (tests, embedding).
    :returns: the manager.
    :raises PluginError: when a plugin fails to import or implements a hook no spec defines.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.load_setuptools_entrypoints(PROJECT)
    except Exception as exc:
        raise PluginError(
            f"a plugin of the {PROJECT!r} entry point group failed to load: {exc}"
        ) from exc
    for plugin in extra_plugins:
        _register(pm, plugin)
    _check(pm)
    return pm


def store_types(root: pluggy.PluginManager) -> dict[str, StoreFactory]:
    """Collect the store types every loaded plugin provides.

    :param root: the hub's root manager.
    :returns: type name to factory.
    :raises PluginError: when two plugins claim the same type name or a result is not a mapping.
    """
    found: dict[str, StoreFactory] = {}
    for impl in root.hook.idconnect_store_types.get_hookimpls():
        result = impl.function()
        if not isinstance(result, Mapping):
            raise PluginError(
                f"plugin {impl.plugin_name!r}: idconnect_store_types must return a mapping"
            )
        for name, factory in result.items():
            if name in found:
                raise PluginError(f"store type {name!r} is provided by two plugins")
            found[name] = factory
    return found


def make_store_manager(
    store: str,
    backend: object,
    cross_cutting: Iterable[tuple[str | None, object]],
    *,
    providers: Iterable[object] = (),
) -> pluggy.PluginManager:
    """Build one store's manager: the specs, the backend, hub providers, then the wrappers.

    :param store: the store name (for error messages).
    :param backend: the instance the store type's factory returned.
    :param cross_cutting: ``(name, plugin)`` pairs of plugins that wrap every store's operations
        (the built-in audit trail by its name, loaded modules with ``None`` for pluggy's own).
    :param providers: hub-owned objects implementing operation hooks; each is registered only
        for the operations ``backend`` does not implement, so it is consulted only there.
    :returns: the manager.
    :raises PluginError: when the backend implements an unknown hook, or a cross-cutting plugin
        implements an operation without ``wrapper=True`` (it would answer for every store).
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    _register(pm, backend, name=f"backend:{store}", store=store)
    own = implemented_operations(pm, backend)
    for n, provider in enumerate(providers):
        lacking = _ProviderSubset(provider, exclude=own)
        if lacking.operations:
            _register(pm, lacking, name=f"provider:{store}:{n}", store=store)
            own |= lacking.operations
    for name, plugin in cross_cutting:
        _register(pm, plugin, name=name, store=store)
    _check(pm, store=store)
    for op in OPERATIONS:
        for impl in getattr(pm.hook, _PREFIX + op).get_hookimpls():
            answering = impl.plugin is backend or isinstance(impl.plugin, _ProviderSubset)
            if not answering and not (impl.wrapper or impl.hookwrapper):
                raise PluginError(
                    f"plugin {impl.plugin_name!r} implements {_PREFIX + op} for every store;"
                    " cross-cutting plugins must use hookimpl(wrapper=True)",
                    store=store,
                )
    return pm


class _ProviderSubset:
    """The operation hooks of a hub provider that a store's backend lacks, and no others."""

    def __init__(self, provider: object, *, exclude: frozenset[str]) -> None:
        found = set()
        for op in OPERATIONS - exclude:
            method = getattr(provider, _PREFIX + op, None)
            if method is not None and hasattr(method, f"{PROJECT}_impl"):
                setattr(self, _PREFIX + op, method)
                found.add(op)
        self.operations = frozenset(found)


def provided_operations(pm: pluggy.PluginManager, backend: object) -> frozenset[str]:
    """Read which operations hub providers answer on a store's manager (the backend lacks them).

    :param pm: the store's manager.
    :param backend: the store's backend instance.
    :returns: operation names.
    """
    return frozenset(
        op
        for op in OPERATIONS
        if any(
            isinstance(impl.plugin, _ProviderSubset)
            for impl in getattr(pm.hook, _PREFIX + op).get_hookimpls()
        )
    )


def implemented_operations(pm: pluggy.PluginManager, backend: object) -> frozenset[str]:
    """Read which operations ``backend`` implements on its store's manager.

    :param pm: the store's manager.
    :param backend: the store's backend instance.
    :returns: operation names (hook names without ``idconnect_``).
    """
    return frozenset(
        op
        for op in OPERATIONS
        if any(
            impl.plugin is backend and not (impl.wrapper or impl.hookwrapper)
            for impl in getattr(pm.hook, _PREFIX + op).get_hookimpls()
        )
    )


def sole_answer(
    caller: pluggy.HookCaller, impls: list[pluggy.HookImpl], checker: object
) -> pluggy.HookImpl | None:
    """Find the implementation a call of a hook may be handed to without pluggy's loop.

    That is the case when the hook is ``firstresult`` without default arguments, exactly one
    implementation answers, and every other one is a wrapper of ``checker`` (the permission
    check, which the caller must then run itself before the implementation): the call's
    result is that implementation's, as pluggy would return it.

    :param caller: the hook, e.g. ``pm.hook.idconnect_search_accounts``.
    :param impls: its implementations now (``caller.get_hookimpls()``).
    :param checker: the plugin whose wrappers the caller replaces by its own check.
    :returns: the implementation, or ``None`` when the call must go through pluggy.
    """
    spec = caller.spec
    if spec is None or spec.kwargnames or not spec.opts.get("firstresult"):
        return None
    answering = [i for i in impls if not (i.wrapper or i.hookwrapper)]
    if len(answering) != 1 or answering[0].kwargnames:
        return None
    if any(i.plugin is not checker for i in impls if i is not answering[0]):
        return None
    return answering[0]


def _register(
    pm: pluggy.PluginManager, plugin: object, *, name: str | None = None, store: str | None = None
) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"cannot register plugin {name or plugin!r}: {exc}", store=store) from exc


def _check(pm: pluggy.PluginManager, *, store: str | None = None) -> None:
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{exc} (is the hook name misspelt?)", store=store) from exc
