"""Attributes configured per store: custom attributes, and who may see, change and search each.

A store's config declares them under ``attributes``::

    [stores.customers.attributes.loyaltyTier]      # a custom attribute
    type = "string"          # string, boolean, integer, decimal, dateTime, reference
    multi_valued = false
    case_exact = false
    visible = true           # shown by the CLI, exports and JSON
    editable = true          # support may change it
    searchable = true        # filters and sorting may name it
    description = "Loyalty programme tier"

    [stores.customers.attributes.phoneNumbers]     # a built-in one: visibility and rights only
    visible = false

A custom attribute lives where the store keeps such values (the sql managed schema's attributes
table; a backend that needs to be told where says how in its README, e.g. ``source`` naming a mapped
column or an LDAP attribute; ``source = ""`` on a built-in one: not held). Canonical JSON carries
custom values under :data:`~idconnect.core.schema.CUSTOM_SCHEMA`; filters name them by their short
name. Entries that are not tables (an LDAP store's ``attributes = { lastLogin = "" }`` mapping)
belong to the backend, which must read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from idconnect.core.config import StoreConfig
from idconnect.core.errors import ConfigError, InvalidInput
from idconnect.core.instants import parse_instant
from idconnect.core.model import Account
from idconnect.core.schema import (
    ACCOUNT_ATTRIBUTES,
    CUSTOM_SCHEMA,
    USER_CATALOGUE,
    AttributeDef,
    AttrType,
    Catalogue,
)

__all__ = [
    "CUSTOM_CHANGES",
    "MAX_TEXT",
    "MAX_VALUES",
    "adjusted_catalogue",
    "check_custom_value",
    "custom_attributes",
    "custom_names",
    "declared_sources",
    "editable",
    "refuse_not_editable",
    "typed_custom_values",
]

MAX_TEXT = 255
"""The most characters a custom string or reference value holds (what every store indexes)."""
MAX_VALUES = 100
"""The most values a multi-valued custom attribute holds."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_FLAGS = ("visible", "editable", "searchable")
_CUSTOM_KEYS = frozenset({"type", "multi_valued", "case_exact", "description", "source", *_FLAGS})
_BUILT_IN_KEYS = frozenset({"description", "source", *_FLAGS})
CUSTOM_CHANGES = "attributes"
"""The key of an update's changes holding custom attributes: name to typed value, ``None``
clearing it (only names of the store's catalogue reach a backend)."""
_TOP_LEVEL = {a.name.lower(): a.name for a in ACCOUNT_ATTRIBUTES} | {"meta": "meta"}


@attrs.frozen
class _Declaration:
    definition: AttributeDef | None
    """The custom attribute's definition; ``None`` for a built-in one's overrides."""
    name: str
    """The attribute as written in the config (a custom name, or a built-in top-level name)."""
    overrides: Mapping[str, Any]
    """``visible`` / ``editable`` / ``searchable`` / ``description`` given for it."""
    source: str | None
    """Where the backend keeps it natively, if the config says."""


def _declarations(config: StoreConfig) -> list[_Declaration]:
    raw = config.settings.get("attributes")
    if raw is None:
        config.declare("attributes")
        return []
    if not isinstance(raw, Mapping):
        raise config.error("attributes", "expected a table of attributes")
    found: list[_Declaration] = []
    backend_entries = False
    for name, entry in raw.items():
        if not isinstance(entry, Mapping):
            backend_entries = True  # the backend's own mapping form: it reads (or refuses) it
            continue
        found.append(_declaration(config, str(name), entry))
    if not backend_entries:
        config.declare("attributes")
    return found


def _declaration(config: StoreConfig, name: str, entry: Mapping[str, Any]) -> _Declaration:
    key = f"attributes.{name}"
    built_in = _TOP_LEVEL.get(name.lower()) or (
        name if USER_CATALOGUE.get(name) is not None else None
    )
    allowed = _BUILT_IN_KEYS if built_in else _CUSTOM_KEYS
    unknown = sorted(set(entry) - allowed)
    if unknown:
        what = f"built-in attribute {built_in!r}" if built_in else "a custom attribute"
        raise config.error(key, f"unknown setting {unknown[0]!r} for {what}")
    for flag in (*_FLAGS, "multi_valued", "case_exact"):
        if flag in entry and not isinstance(entry[flag], bool):
            raise config.error(key, f"{flag} must be true or false")
    description = entry.get("description", "")
    if not isinstance(description, str) or len(description) > 500:
        raise config.error(key, "description must be text of at most 500 characters")
    source = entry.get("source")
    unheld = built_in is not None and source == ""  # a built-in one the store is not to hold
    if source is not None and (not isinstance(source, str) or not (source.strip() or unheld)):
        raise config.error(key, "source must name the store's own attribute or column")
    overrides = {flag: entry[flag] for flag in _FLAGS if flag in entry}
    if "description" in entry:
        overrides["description"] = description
    if built_in:
        return _Declaration(None, built_in, overrides, source)
    if not _NAME.fullmatch(name):
        raise config.error(
            key, "a custom attribute's name is a letter, then letters, digits or _ (at most 64)"
        )
    kind = entry.get("type")
    try:
        attr_type = AttrType(kind if isinstance(kind, str) else "")
    except ValueError:
        kinds = ", ".join(t.value for t in AttrType)
        raise config.error(key, f"type must be one of {kinds} (got {kind!r})") from None
    definition = AttributeDef(
        path=name,
        type=attr_type,
        schema=CUSTOM_SCHEMA,
        multi_valued=bool(entry.get("multi_valued", False)),
        case_exact=bool(entry.get("case_exact", attr_type is AttrType.REFERENCE)),
        mutable=bool(entry.get("editable", True)),
        visible=bool(entry.get("visible", True)),
        searchable=bool(entry.get("searchable", True)),
        custom=True,
        description=description,
    )
    return _Declaration(definition, name, overrides, source)


def custom_attributes(config: StoreConfig) -> tuple[AttributeDef, ...]:
    """Return the custom attributes a store's config declares (backends add those they hold).

    :param config: the store's config.
    :returns: their definitions (:data:`~idconnect.core.schema.CUSTOM_SCHEMA`, ``custom``).
    :raises ConfigError: for a malformed declaration (naming the store and the key).
    """
    return tuple(d.definition for d in _declarations(config) if d.definition is not None)


def declared_sources(config: StoreConfig) -> dict[str, str]:
    """Return where the config says each attribute lives natively (``source``), by name.

    :param config: the store's config.
    :returns: attribute name (custom, or built-in top-level) to the store's own name for it.
    :raises ConfigError: for a malformed declaration.
    """
    return {d.name: d.source for d in _declarations(config) if d.source is not None}


def adjusted_catalogue(config: StoreConfig, held: Catalogue) -> Catalogue:
    """Apply a store's attribute settings to the catalogue its backend holds.

    :param config: the store's config.
    :param held: the backend's catalogue (custom attributes it holds included).
    :returns: the catalogue with ``visible`` / ``editable`` / ``searchable`` / ``description``
        applied (to every sub-attribute of a built-in complex attribute alike).
    :raises ConfigError: when a declared custom attribute is not held by the backend (naming
        it), or a built-in attribute is configured that the store does not hold.
    """
    adjusted = list(held)
    for declaration in _declarations(config):
        key = f"attributes.{declaration.name}"
        if declaration.definition is not None and held.get(declaration.name) is None:
            raise ConfigError(
                f"a {config.plugin!r} store cannot hold custom attribute"
                f" {declaration.name!r} with this config (see its README for where it"
                " keeps custom attributes)",
                store=config.name,
                key=key,
            )
        low = declaration.name.lower()
        under = [
            n for n, a in enumerate(adjusted) if a.path.lower() == low or a.parent.lower() == low
        ]
        if not under and declaration.source == "":
            continue  # a built-in attribute the config told the backend not to hold
        if not under:
            raise ConfigError(
                f"this {config.plugin!r} store does not hold attribute {declaration.name!r}",
                store=config.name,
                key=key,
            )
        overrides = dict(declaration.overrides)
        if "editable" in overrides:
            overrides["mutable"] = overrides.pop("editable")
        for n in under:
            adjusted[n] = attrs.evolve(adjusted[n], **overrides)
    return Catalogue(tuple(adjusted))


def check_custom_value(definition: AttributeDef, value: Any, *, store: str) -> Any:
    """Check and type one custom attribute's value as a caller gave it (JSON or typed).

    :param definition: the custom attribute.
    :param value: its new value (a list for a multi-valued one); ``None`` clears it.
    :param store: the store's name, for errors.
    :returns: ``None``, the typed value, or a tuple of typed values.
    :raises InvalidInput: naming the attribute, for a value of another type or out of range.
    """
    if value is None:
        return None
    if definition.multi_valued:
        if not isinstance(value, list | tuple):
            raise _invalid(definition, "must be a list of values", store)
        if len(value) > MAX_VALUES:
            raise _invalid(definition, f"holds at most {MAX_VALUES} values", store)
        typed = tuple(_one(definition, v, store) for v in value if v is not None)
        return typed or None
    return _one(definition, value, store)


def _invalid(definition: AttributeDef, message: str, store: str) -> InvalidInput:
    return InvalidInput(
        f"attribute {definition.path!r} {message}", store=store, attribute=definition.path
    )


def _one(definition: AttributeDef, value: Any, store: str) -> Any:
    kind = definition.type
    if kind in (AttrType.STRING, AttrType.REFERENCE):
        if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
            raise _invalid(definition, f"must be text of 1 to {MAX_TEXT} characters", store)
        if any(ord(c) < 32 and c not in "\t\n" for c in value):
            raise _invalid(definition, "must not hold control characters", store)
        return value
    if kind is AttrType.BOOLEAN:
        if not isinstance(value, bool):
            raise _invalid(definition, "must be true or false", store)
        return value
    if kind is AttrType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
            raise _invalid(definition, "must be a whole number of at most 64 bits", store)
        return value
    if kind is AttrType.DECIMAL:
        return _decimal(definition, value, store)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _invalid(definition, "must be an aware date-time", store)
        return value
    if not isinstance(value, str):
        raise _invalid(definition, "must be an ISO 8601 date-time", store)
    try:
        return parse_instant(value)
    except ValueError:
        raise _invalid(definition, "must be an ISO 8601 date-time", store) from None


def _decimal(definition: AttributeDef, value: Any, store: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _invalid(definition, "must be a number", store)
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise _invalid(definition, "must be a number", store) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        raise _invalid(definition, "must be a finite number below 10^15", store)
    if -number.as_tuple().exponent > 6:  # type: ignore[operator]
        raise _invalid(definition, "has at most 6 decimal places", store)
    return number


def custom_names(catalogue: Iterable[AttributeDef]) -> dict[str, AttributeDef]:
    """Return a catalogue's custom attributes by lower-cased name.

    :param catalogue: a store's catalogue.
    :returns: lower-cased name to definition.
    """
    return {a.path.lower(): a for a in catalogue if a.custom}


def editable(catalogue: Catalogue, name: str) -> bool:
    """Whether support may change an attribute (any of its sub-attributes) in a store.

    :param catalogue: the store's catalogue.
    :param name: a top-level or custom attribute name, any case.
    :returns: ``True`` also for a name the catalogue does not hold (refused elsewhere).
    """
    low = name.lower()
    held = [d for d in catalogue if d.path.lower() == low or d.parent.lower() == low]
    return not held or any(d.mutable for d in held)


def refuse_not_editable(
    catalogue: Catalogue, changes: Mapping[str, Any], *, store: str, account_id: str
) -> None:
    """Refuse an update's changes to attributes the store's config makes read-only for support.

    :param catalogue: the store's catalogue.
    :param changes: typed changes (custom ones under ``CUSTOM_CHANGES``).
    :param store: the store's name, for the error.
    :param account_id: the account, for the error.
    :raises InvalidInput: naming the first attribute that is not editable.
    """
    names = [k for k in changes if k != CUSTOM_CHANGES]
    names += list(changes.get(CUSTOM_CHANGES, {}))
    for name in names:
        if not editable(catalogue, name):
            raise InvalidInput(
                f"attribute {name!r} is not editable in this store",
                store=store,
                account=account_id,
                attribute=name,
            )


def typed_custom_values(
    account: Account, custom: Mapping[str, AttributeDef], *, store: str
) -> Account:
    """Check and type an account's custom attributes against a store's custom attributes.

    :param account: an account as a caller gave it (values as JSON or typed).
    :param custom: the store's custom attributes by lower-cased name.
    :param store: the store's name, for errors.
    :returns: the account with typed values (``None`` values dropped).
    :raises InvalidInput: naming an unknown custom attribute or a badly typed value.
    """
    if not account.attributes:
        return account
    typed: dict[str, Any] = {}
    for name, value in account.attributes.items():
        definition = custom.get(name.lower())
        if definition is None:
            names = ", ".join(sorted(d.path for d in custom.values())) or "none"
            raise InvalidInput(
                f"unknown custom attribute {name!r} (this store's: {names})",
                store=store,
                attribute=name,
            )
        checked = check_custom_value(definition, value, store=store)
        if checked is not None:
            typed[definition.path] = checked
    return attrs.evolve(account, attributes=typed)
