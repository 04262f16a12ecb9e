"""idconnect: one API over every identity store a company runs.

>>> import idconnect
>>> hub = idconnect.connect()                      # the embedded SQLite default
>>> store = hub.store("default")
>>> page = store.search_accounts('emails.value ew "@example.org"', count=20)
>>> result = store.disable_accounts([a.id for a in page.items], reason="ticket 4711")

Plugins write ``from idconnect import hookimpl``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idconnect.core.convert import account_from_json, group_from_json, to_json
    from idconnect.core.errors import (
        ConfigError,
        Conflict,
        FilterError,
        IdconnectError,
        InvalidInput,
        NotFound,
        NotSupported,
        OutcomeUnknown,
        PermissionDenied,
        PluginError,
        StoreUnavailable,
        TokenRefused,
        UnsupportedFilter,
    )
    from idconnect.core.explain import Explanation
    from idconnect.core.facade import Hub, Store, connect
    from idconnect.core.facade.federated import FederatedPage, SkippedStore, StoreAccount
    from idconnect.core.filter import attr, parse
    from idconnect.core.model import (
        Account,
        Authenticator,
        AuthenticatorKind,
        BulkResult,
        Consent,
        Email,
        Event,
        ExternalIdentity,
        FailedAttempts,
        Group,
        GroupRef,
        IdentityVerification,
        Name,
        Organization,
        Outcome,
        PhoneNumber,
        Role,
        RoleAssignment,
        Secret,
        Session,
    )
    from idconnect.core.plugins import hookimpl
    from idconnect.core.query import Page, Query

_WHERE = {
    "Account": "idconnect.core.model",
    "Authenticator": "idconnect.core.model",
    "AuthenticatorKind": "idconnect.core.model",
    "BulkResult": "idconnect.core.model",
    "ConfigError": "idconnect.core.errors",
    "Conflict": "idconnect.core.errors",
    "Consent": "idconnect.core.model",
    "Email": "idconnect.core.model",
    "Event": "idconnect.core.model",
    "Explanation": "idconnect.core.explain",
    "ExternalIdentity": "idconnect.core.model",
    "FailedAttempts": "idconnect.core.model",
    "FederatedPage": "idconnect.core.facade.federated",
    "FilterError": "idconnect.core.errors",
    "Group": "idconnect.core.model",
    "GroupRef": "idconnect.core.model",
    "Hub": "idconnect.core.facade",
    "IdconnectError": "idconnect.core.errors",
    "IdentityVerification": "idconnect.core.model",
    "InvalidInput": "idconnect.core.errors",
    "Name": "idconnect.core.model",
    "NotFound": "idconnect.core.errors",
    "NotSupported": "idconnect.core.errors",
    "Organization": "idconnect.core.model",
    "Outcome": "idconnect.core.model",
    "OutcomeUnknown": "idconnect.core.errors",
    "Page": "idconnect.core.query",
    "PermissionDenied": "idconnect.core.errors",
    "PhoneNumber": "idconnect.core.model",
    "PluginError": "idconnect.core.errors",
    "Query": "idconnect.core.query",
    "Role": "idconnect.core.model",
    "RoleAssignment": "idconnect.core.model",
    "Secret": "idconnect.core.model",
    "Session": "idconnect.core.model",
    "SkippedStore": "idconnect.core.facade.federated",
    "Store": "idconnect.core.facade",
    "StoreAccount": "idconnect.core.facade.federated",
    "StoreUnavailable": "idconnect.core.errors",
    "TokenRefused": "idconnect.core.errors",
    "UnsupportedFilter": "idconnect.core.errors",
    "account_from_json": "idconnect.core.convert",
    "attr": "idconnect.core.filter",
    "connect": "idconnect.core.facade",
    "group_from_json": "idconnect.core.convert",
    "hookimpl": "idconnect.core.plugins",
    "parse": "idconnect.core.filter",
    "to_json": "idconnect.core.convert",
}
"""Where each public name lives; imported on first use, so ``import idconnect`` (and the CLI's
``--help``) does not load SQLAlchemy or cattrs before they are needed."""

__version__ = "0.1.0"

__all__ = [
    "Account",
    "Authenticator",
    "AuthenticatorKind",
    "BulkResult",
    "ConfigError",
    "Conflict",
    "Consent",
    "Email",
    "Event",
    "Explanation",
    "ExternalIdentity",
    "FailedAttempts",
    "FederatedPage",
    "FilterError",
    "Group",
    "GroupRef",
    "Hub",
    "IdconnectError",
    "IdentityVerification",
    "InvalidInput",
    "Name",
    "NotFound",
    "NotSupported",
    "Organization",
    "Outcome",
    "OutcomeUnknown",
    "Page",
    "PermissionDenied",
    "PhoneNumber",
    "PluginError",
    "Query",
    "Role",
    "RoleAssignment",
    "Secret",
    "Session",
    "SkippedStore",
    "Store",
    "StoreAccount",
    "StoreUnavailable",
    "TokenRefused",
    "UnsupportedFilter",
    "__version__",
    "account_from_json",
    "attr",
    "connect",
    "group_from_json",
    "hookimpl",
    "parse",
    "to_json",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'idconnect' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
