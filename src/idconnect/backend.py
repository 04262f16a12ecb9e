"""The public API for backend authors: everything a store plugin may import from idconnect.

A backend imports from here (and from :mod:`idconnect` and :mod:`idconnect.testing` for its
tests), never from ``idconnect.core.*``: the core's modules may move, this module's names stay.
A test (``tests/test_backend_api.py``) fails when a plugin in this repository imports anything else.

What is here, by job:

- registration: :data:`hookimpl`, :data:`StoreFactory`, :class:`StoreConfig` (settings with
  file/store/key-naming errors and ``*_env``/``*_file`` secrets);
- every call: :class:`CallContext`, and :func:`current_call` (the context of the hook running);
- searching: :class:`Query`, :class:`Page`, :func:`encode_cursor`, :func:`decode_cursor`, the
  catalogue (:class:`Catalogue`, :class:`AttributeDef`, :class:`AttrType`, :data:`USER_CATALOGUE`,
  :data:`GROUP_CATALOGUE`), the filter AST nodes and :class:`FilterVisitor`, the reference
  :func:`evaluate` (to re-check what a lax server returns), :func:`sort_key`;
- results: the model classes, :class:`Outcome`, :class:`Secret`;
- errors: the :class:`IdconnectError` tree;
- helpers every backend needs alike: instants, authenticator masking, change application,
  canonical JSON, :class:`RecordSql` (identity verifications and consents in SQL tables).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idconnect.core.activity import (
    STORE_KINDS,
    ActivityKind,
    ActivityRecord,
    activity_fingerprint,
    decode_detail,
    encode_detail,
)
from idconnect.core.attributes import check_custom_value, custom_attributes, declared_sources
from idconnect.core.changes import CUSTOM_CHANGES
from idconnect.core.config import StoreConfig
from idconnect.core.context import CallContext, current_call
from idconnect.core.convert import (
    GROUP_SCHEMA,
    WRITABLE_ATTRIBUTES,
    account_from_json,
    apply_changes,
    custom_value_json,
    group_from_json,
    to_json,
    writable_values,
)
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
    SecretUnavailable,
    StoreUnavailable,
    UnsupportedFilter,
)
from idconnect.core.explain import Explanation
from idconnect.core.filter import (
    And,
    AttrPath,
    AttrRef,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    Value,
    ValuePath,
    attr,
    bind,
    evaluate,
    parse,
    resolve_path,
    sort_key,
    to_text,
    values_at,
)
from idconnect.core.filter.text import left_operands, render_value
from idconnect.core.filter.visit import FilterVisitor
from idconnect.core.hookspecs import StoreFactory
from idconnect.core.instants import format_instant, parse_instant, utc_now
from idconnect.core.lazy import lazy_exports, lazy_factory
from idconnect.core.masking import SUPPORT_ADDABLE, mask, new_authenticator
from idconnect.core.model import (
    Account,
    Authenticator,
    AuthenticatorKind,
    Consent,
    Email,
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
from idconnect.core.names import transliterate
from idconnect.core.operations import FAMILIES, OPERATIONS, Operation, operations_of
from idconnect.core.plugins import hookimpl
from idconnect.core.query import (
    MAX_PAGE_SIZE,
    Page,
    Query,
    decode_cursor,
    encode_cursor,
    unwrap_position,
    wrap_position,
)
from idconnect.core.records import ConsentEnd
from idconnect.core.schema import (
    ACCOUNT_ATTRIBUTES,
    CORE_USER_SCHEMA,
    EXTENSION_SCHEMA,
    GROUP_CATALOGUE,
    USER_CATALOGUE,
    AttributeDef,
    AttrType,
    Catalogue,
    TopLevelAttribute,
)

__all__ = [
    "ACCOUNT_ATTRIBUTES",
    "CORE_USER_SCHEMA",
    "CUSTOM_CHANGES",
    "EXTENSION_SCHEMA",
    "FAMILIES",
    "GROUP_CATALOGUE",
    "GROUP_SCHEMA",
    "MAX_PAGE_SIZE",
    "OPERATIONS",
    "STORE_KINDS",
    "SUPPORT_ADDABLE",
    "USER_CATALOGUE",
    "WRITABLE_ATTRIBUTES",
    "Account",
    "ActivityKind",
    "ActivityRecord",
    "And",
    "AttrPath",
    "AttrRef",
    "AttrType",
    "AttributeDef",
    "Authenticator",
    "AuthenticatorKind",
    "CallContext",
    "Catalogue",
    "CompareOp",
    "Comparison",
    "ConfigError",
    "Conflict",
    "Consent",
    "ConsentEnd",
    "Email",
    "Explanation",
    "ExternalIdentity",
    "FailedAttempts",
    "Filter",
    "FilterError",
    "FilterVisitor",
    "Group",
    "GroupRef",
    "IdconnectError",
    "IdentityVerification",
    "InvalidInput",
    "Name",
    "Not",
    "NotFound",
    "NotSupported",
    "Operation",
    "Or",
    "Organization",
    "Outcome",
    "OutcomeUnknown",
    "Page",
    "PermissionDenied",
    "PhoneNumber",
    "PluginError",
    "Present",
    "Query",
    "RecordSql",
    "Role",
    "RoleAssignment",
    "Secret",
    "SecretUnavailable",
    "Session",
    "StoreConfig",
    "StoreFactory",
    "StoreUnavailable",
    "TopLevelAttribute",
    "UnsupportedFilter",
    "Value",
    "ValuePath",
    "account_from_json",
    "activity_fingerprint",
    "apply_changes",
    "attr",
    "bind",
    "check_custom_value",
    "current_call",
    "custom_attributes",
    "custom_value_json",
    "declared_sources",
    "decode_cursor",
    "decode_detail",
    "encode_cursor",
    "encode_detail",
    "evaluate",
    "format_instant",
    "group_from_json",
    "hookimpl",
    "lazy_exports",
    "lazy_factory",
    "left_operands",
    "mask",
    "new_authenticator",
    "operations_of",
    "parse",
    "parse_instant",
    "render_value",
    "resolve_path",
    "sort_key",
    "to_json",
    "to_text",
    "transliterate",
    "unwrap_position",
    "utc_now",
    "values_at",
    "wrap_position",
    "writable_values",
]

if TYPE_CHECKING:
    from idconnect.core.recordsql import RecordSql

__getattr__ = lazy_exports({"RecordSql": "idconnect.core.recordsql:RecordSql"})
"""``RecordSql`` imports SQLAlchemy: loaded on first use, so importing this module loads no
database library (a plugin's entry point stays light)."""
