"""Import on first use: light entry-point modules, so a command pays only for the stores it uses.

A plugin's entry-point module names its backend by import path instead of importing it::

    @hookimpl
    def idconnect_store_types():
        return {"mine": lazy_factory("my_store.backend:MyBackend")}

and its package ``__init__`` re-exports heavy names with ``__getattr__ = lazy_exports(...)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from idconnect.core.config import StoreConfig

__all__ = ["import_path", "lazy_exports", "lazy_factory"]


def import_path(path: str) -> Any:
    """Import ``module:attribute`` and return the attribute.

    :param path: e.g. ``"my_store.backend:MyBackend"``.
    :returns: the attribute.
    :raises ImportError: when the module cannot be imported.
    :raises AttributeError: when it has no such attribute.
    """
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def lazy_factory(path: str) -> Callable[[StoreConfig], object]:
    """Return a store factory that imports the backend class named by ``path`` when first called.

    :param path: ``module:Class`` of the backend; the class takes the store's config.
    :returns: the factory.
    """

    def factory(config: StoreConfig) -> object:
        return import_path(path)(config)

    factory.__qualname__ = factory.__name__ = f"lazy_factory({path!r})"
    return factory


def lazy_exports(exports: Mapping[str, str]) -> Callable[[str], Any]:
    """Build a module ``__getattr__`` (PEP 562) that imports each exported name on first use.

    :param exports: exported name to ``module:attribute``.
    :returns: the ``__getattr__`` function.
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(name)
        return import_path(exports[name])

    return __getattr__
