"""The pluggy markers and names every hook spec module shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from idconnect.core.config import StoreConfig

__all__ = ["PROJECT", "StoreFactory", "hookspec"]

PROJECT = "idconnect"
"""The pluggy project name; also the entry point group backends register under."""

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a hook specification (private to the core; plugins use ``hookimpl``)."""

StoreFactory = Callable[["StoreConfig"], object]
"""Builds a backend instance for one configured store from its settings."""
