"""idconnect: one API over every identity store a company runs.

>>> import idconnect
>>> hub = idconnect.connect()                      # the embedded SQLite default
>>> store = hub.store("default")
>>> page = store.search_accounts('emails.value ew "@example.org"', count=20)
>>> result = store.disable_accounts([a.id for a in page.items], reason="ticket 4711")

Plugins write ``from idconnect import hookimpl``.
"""

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
    UnsupportedFilter,
)
from idconnect.core.facade import Hub, Store, connect
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
    "ExternalIdentity",
    "FailedAttempts",
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
    "Store",
    "StoreUnavailable",
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
