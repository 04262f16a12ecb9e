# mypy: disable-error-code="empty-body"
"""Hook specifications: every operation a backend may implement.

A backend is a plugin *class*; the hub creates one instance per configured store (through the
factory its module returns from :func:`idconnect_store_types`) and registers it on that store's
own plugin manager. An operation the instance does not implement is a capability the store lacks:
the facade raises :class:`~idconnect.core.errors.NotSupported` before any I/O.

Conventions for every operation hook:

- Hooks are called with keyword arguments only; an implementation may take fewer arguments than
  the spec names (pluggy passes only those it asks for), which is how specs evolve.
- ``context`` is a :class:`~idconnect.core.context.CallContext`: the store name, the acting admin,
  the reason and the request id. Backends use ``context.store`` in error messages.
- Operation hooks are ``firstresult``: exactly one backend answers. Cross-cutting plugins (audit,
  permissions, timing) wrap them with ``hookimpl(wrapper=True)``; backends never write audit
  events or check permissions themselves.
- Ids are the store's stable ids (``Account.id``), already checked to be non-empty text.
- Backends raise only :class:`~idconnect.core.errors.IdconnectError` subclasses, re-raising driver
  errors ``from exc``; a raw exception is turned into ``PluginError`` by the facade.
- Secrets arrive as :class:`~idconnect.core.model.Secret` and must never reach an error message.
"""

from __future__ import annotations

from types import ModuleType

from idconnect.core.hookspecs import (
    accounts,
    activity,
    consents,
    credentials,
    groups,
    registration,
    roles,
    sessions,
    store,
    verification,
)
from idconnect.core.hookspecs.accounts import *  # noqa: F403
from idconnect.core.hookspecs.activity import *  # noqa: F403
from idconnect.core.hookspecs.consents import *  # noqa: F403
from idconnect.core.hookspecs.credentials import *  # noqa: F403
from idconnect.core.hookspecs.groups import *  # noqa: F403
from idconnect.core.hookspecs.markers import PROJECT, StoreFactory, hookspec
from idconnect.core.hookspecs.registration import *  # noqa: F403
from idconnect.core.hookspecs.roles import *  # noqa: F403
from idconnect.core.hookspecs.sessions import *  # noqa: F403
from idconnect.core.hookspecs.store import *  # noqa: F403
from idconnect.core.hookspecs.verification import *  # noqa: F403

SPEC_MODULES: tuple[ModuleType, ...] = (
    registration,
    store,
    accounts,
    groups,
    roles,
    credentials,
    sessions,
    verification,
    consents,
    activity,
)
"""One module per operation family (and the registration and store-wide hooks), in the order the
reference documents them; each module's docstring names its section."""

__all__ = ["PROJECT", "SPEC_MODULES", "StoreFactory", "hookspec"]
