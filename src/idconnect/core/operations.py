"""Every operation a store may have, read once from the metadata on the hook specs.

>>> OPERATIONS["delete_account"].permission
'accounts.delete'
>>> bulk_form("delete_account")
'bulk_delete_accounts'
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType

from idconnect.core import hookspecs
from idconnect.core.opspec import ATTRIBUTE, FAMILIES, Operation

__all__ = [
    "FAMILIES",
    "OPERATIONS",
    "STORE_HOOKS",
    "Operation",
    "bulk_form",
    "operations_of",
    "read_operations",
]

STORE_HOOKS = frozenset(
    {
        "store_types",
        "cli_commands",
        "notification_channels",
        "catalogue",
        "available_operations",
        "ping",
        "refresh",
        "close",
        "provision",
        "seed_demo",
    }
)
"""Hooks that are not operations a caller asks for: registration, discovery, lifecycle."""


def read_operations(module: object) -> Mapping[str, Operation]:
    """Read the operations declared in a hook spec module.

    :param module: a module (or any object) holding ``idconnect_*`` spec functions; a package
        with ``SPEC_MODULES`` is read in that module order.
    :returns: operation name to its metadata, in declaration order.
    :raises TypeError: when a spec is neither a store hook nor marked with ``@operation``, when
        metadata names an unknown family, an argument the spec does not take, or a bulk form of
        an operation that does not exist.
    """
    found: dict[str, Operation] = {}
    rank = {m.__name__: n for n, m in enumerate(getattr(module, "SPEC_MODULES", ()))}
    specs = [
        (rank.get(fn.__module__, 0), fn.__code__.co_firstlineno, name, fn)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("idconnect_")
    ]
    for _, _, name, fn in sorted(specs):
        short = name.removeprefix("idconnect_")
        meta = getattr(fn, ATTRIBUTE, None)
        if meta is None:
            if short in STORE_HOOKS:
                continue
            raise TypeError(f"hook spec {name} has no @operation metadata")
        if meta.family not in FAMILIES:
            raise TypeError(f"{name}: unknown family {meta.family!r}")
        arguments = inspect.signature(fn).parameters
        for field in (meta.subject, meta.target, meta.switch[0] if meta.switch else None):
            if field is not None and field not in arguments:
                raise TypeError(f"{name}: metadata names {field!r}, which the spec does not take")
        found[short] = meta
    for meta in found.values():
        if meta.bulk_of is not None and meta.bulk_of not in found:
            raise TypeError(f"{meta.hook}: bulk form of unknown operation {meta.bulk_of!r}")
    return MappingProxyType(found)


OPERATIONS: Mapping[str, Operation] = read_operations(hookspecs)
"""Every operation of the core's hook specs, by name."""


def operations_of(family: str) -> tuple[Operation, ...]:
    """Return the operations of one family, in declaration order.

    :param family: one of :data:`FAMILIES`.
    :returns: the operations (bulk forms included).
    :raises ValueError: for an unknown family.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown operation family {family!r} (known: {', '.join(FAMILIES)})")
    return tuple(op for op in OPERATIONS.values() if op.family == family)


def bulk_form(single: str) -> str | None:
    """Return the set-based bulk form of a single operation, if the specs declare one.

    :param single: an operation name.
    :returns: the bulk operation's name, or ``None``.
    """
    for op in OPERATIONS.values():
        if op.bulk_of == single:
            return op.name
    return None
