"""Custom attributes in a directory: each one an LDAP attribute named by its ``source``.

A store's config declares them like any store's (:func:`idconnect.backend.custom_attributes`),
with ``source`` naming the LDAP attribute that holds the values::

    [stores.directory.attributes.loyaltyTier]
    type = "string"
    source = "employeeType"

:func:`read_custom` checks the declarations when the store is built (a custom attribute without
``source`` is refused). :func:`learn_custom` checks them against the directory's schema when
the store learns it (the catalogue is asked first): the attribute must be defined, with a syntax
holding the declared type (Directory String, IA5 String or Printable String for ``string``,
``reference`` and ``decimal``; INTEGER; Boolean; Generalized Time), multi-valued when the
custom attribute is, and not maintained by the directory itself unless ``editable = false``.
Values are converted both ways by type (:func:`ldap_values`, :func:`typed_value`); filters on
them are compiled by :mod:`idconnect_ldap.custom_filters`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from attrs import frozen

from idconnect.backend import (
    AttributeDef,
    AttrType,
    ConfigError,
    InvalidInput,
    StoreConfig,
    custom_attributes,
    declared_sources,
)
from idconnect_ldap.discovery import AttributeType, Directory
from idconnect_ldap.entries import check_value
from idconnect_ldap.values import parse_generalized_time

__all__ = [
    "CustomAttribute",
    "Declared",
    "custom_values",
    "ldap_values",
    "learn_custom",
    "read_custom",
    "typed_value",
]

_DIRECTORY_STRING = "1.3.6.1.4.1.1466.115.121.1.15"
_IA5_STRING = "1.3.6.1.4.1.1466.115.121.1.26"
_PRINTABLE_STRING = "1.3.6.1.4.1.1466.115.121.1.44"
_INTEGER = "1.3.6.1.4.1.1466.115.121.1.27"
_BOOLEAN = "1.3.6.1.4.1.1466.115.121.1.7"
_GENERALIZED_TIME = "1.3.6.1.4.1.1466.115.121.1.24"
_TEXT = (_DIRECTORY_STRING, _IA5_STRING, _PRINTABLE_STRING)
_SYNTAXES: Mapping[AttrType, tuple[str, ...]] = {
    AttrType.STRING: _TEXT,
    AttrType.REFERENCE: _TEXT,
    AttrType.DECIMAL: _TEXT,
    AttrType.INTEGER: (_INTEGER,),
    AttrType.BOOLEAN: (_BOOLEAN,),
    AttrType.DATETIME: (_GENERALIZED_TIME,),
}
"""The syntaxes that hold each type's values exactly."""
_SYNTAX_NAMES = {
    _DIRECTORY_STRING: "Directory String",
    _IA5_STRING: "IA5 String",
    _PRINTABLE_STRING: "Printable String",
    _INTEGER: "INTEGER",
    _BOOLEAN: "Boolean",
    _GENERALIZED_TIME: "Generalized Time",
}
_LDAP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_INTEGER_LIMIT = 2**63


@frozen
class Declared:
    """A custom attribute as the config declares it."""

    definition: AttributeDef
    """Its definition (name, type, flags)."""
    source: str
    """The LDAP attribute holding its values."""


@frozen
class CustomAttribute:
    """A custom attribute as it works on this directory."""

    definition: AttributeDef
    """Its definition (name, type, flags)."""
    name: str
    """The LDAP attribute holding its values."""
    type: AttributeType
    """The LDAP attribute's definition (syntax, matching rules)."""

    @property
    def ia5(self) -> bool:
        """Whether the LDAP attribute holds ASCII only (IA5 String)."""
        return self.type.syntax == _IA5_STRING

    @property
    def folds(self) -> bool:
        """Whether the LDAP attribute's equality ignores case (``caseIgnore…``)."""
        return self.type.equality.lower().startswith("caseignore")


def read_custom(config: StoreConfig) -> tuple[Declared, ...]:
    """Read the custom attributes a store declares, each with the LDAP attribute holding it.

    :param config: the store's config.
    :returns: the declarations, in config order.
    :raises ConfigError: naming the attribute, for one without ``source``, a source that is no
        LDAP attribute name, or a source two custom attributes share.
    """
    sources = declared_sources(config)
    found: list[Declared] = []
    used: dict[str, str] = {}
    for definition in custom_attributes(config):
        key = f"attributes.{definition.path}"
        source = sources.get(definition.path)
        if source is None:
            raise config.error(
                key,
                f"custom attribute {definition.path!r}: the ldap store needs source = the"
                " LDAP attribute that holds it",
            )
        if not _LDAP_NAME.fullmatch(source):
            raise config.error(key, f"source {source!r} is not an LDAP attribute name")
        if source.lower() in used:
            raise config.error(key, f"source {source!r} already holds {used[source.lower()]!r}")
        used[source.lower()] = definition.path
        found.append(Declared(definition, source))
    return tuple(found)


def _assumed(definition: AttributeDef) -> AttributeType:
    """The natural LDAP definition for a type, when the directory's schema cannot be read."""
    kind = definition.type
    case = "caseExact" if definition.case_exact else "caseIgnore"
    syntax, equality, ordering, substr = {
        AttrType.STRING: (_DIRECTORY_STRING, case, case, case),
        AttrType.REFERENCE: (_DIRECTORY_STRING, case, case, case),
        AttrType.DECIMAL: (_DIRECTORY_STRING, "caseIgnore", "", ""),
        AttrType.INTEGER: (_INTEGER, "integer", "integer", ""),
        AttrType.BOOLEAN: (_BOOLEAN, "boolean", "", ""),
        AttrType.DATETIME: (_GENERALIZED_TIME, "generalizedTime", "generalizedTime", ""),
    }[kind]
    return AttributeType(
        syntax=syntax,
        equality=f"{equality}Match" if equality else "",
        ordering=f"{ordering}OrderingMatch" if ordering else "",
        substr=f"{substr}SubstringsMatch" if substr else "",
        single_value=not definition.multi_valued,
        user_modifiable=True,
    )


def learn_custom(
    declared: Sequence[Declared], directory: Directory, reserved: Mapping[str, str], store: str
) -> dict[str, CustomAttribute]:
    """Check the declared custom attributes against what the directory defines.

    :param declared: from :func:`read_custom`.
    :param directory: what the directory defines.
    :param reserved: lower-case LDAP names the store itself uses, to what uses them.
    :param store: the store's name, for errors.
    :returns: the custom attributes by lower-case name.
    :raises ConfigError: naming the attribute, for a source that is undefined, taken by the
        store itself, of a syntax that cannot hold the type, single-valued for a multi-valued
        attribute, or maintained by the directory while the attribute is editable.
    """
    found: dict[str, CustomAttribute] = {}
    for item in declared:
        d, source = item.definition, item.source

        def refuse(why: str, d: AttributeDef = d, source: str = source) -> ConfigError:
            return ConfigError(
                f"custom attribute {d.path!r} (source {source!r}): {why}",
                store=store,
                key=f"attributes.{d.path}",
            )

        if source.lower() in reserved:
            raise refuse(f"the store already uses {source!r} for {reserved[source.lower()]}")
        kind = directory.type_of(source) if directory.attributes is not None else _assumed(d)
        if kind is None:
            raise refuse("the directory's schema defines no such attribute")
        if kind.syntax not in _SYNTAXES[d.type]:
            needed = " or ".join(_SYNTAX_NAMES[s] for s in _SYNTAXES[d.type])
            has = _SYNTAX_NAMES.get(kind.syntax, kind.syntax or "no syntax")
            raise refuse(f"a {d.type.value} needs the {needed} syntax, the directory's has {has}")
        if d.multi_valued and kind.single_value:
            raise refuse("the attribute is multi-valued, the directory's is SINGLE-VALUE")
        if d.mutable and not kind.user_modifiable:
            raise refuse("the directory maintains it (NO-USER-MODIFICATION): editable = false")
        found[d.path.lower()] = CustomAttribute(d, source, kind)
    return found


def _invalid(attr: CustomAttribute, why: str, store: str) -> InvalidInput:
    path = attr.definition.path
    return InvalidInput(f"attribute {path!r} {why}", store=store, attribute=path)


def _decimal_text(number: Decimal) -> str:
    """Canonical text: no exponent, no trailing zeros, no sign on zero (``19.99``, ``-3.5``)."""
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def _text(attr: CustomAttribute, value: Any, store: str) -> str:
    kind = attr.definition.type
    if kind is AttrType.BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind is AttrType.INTEGER:
        return str(value)
    if kind is AttrType.DECIMAL:
        return _decimal_text(value)
    if kind is AttrType.DATETIME:
        instant: datetime = value.astimezone(UTC)
        if instant.microsecond % 1000:
            raise _invalid(attr, "keeps milliseconds in this directory, not microseconds", store)
        fraction = f".{instant.microsecond // 1000:03d}" if instant.microsecond else ""
        return instant.strftime("%Y%m%d%H%M%S") + fraction + "Z"
    try:
        check_value(value, attr.definition.path)
    except InvalidInput:
        raise _invalid(
            attr, "must not hold line breaks, or leading, trailing or repeated spaces", store
        ) from None
    if attr.ia5 and not value.isascii():
        raise _invalid(attr, f"must be ASCII: the directory's {attr.name!r} is IA5", store)
    return f"{value}"


def _same(attr: CustomAttribute, text: str) -> str:
    """What the directory's equality rule compares of a value (near enough to keep one)."""
    folded = unicodedata.normalize("NFKC", text)
    return folded.casefold() if attr.folds else folded


def ldap_values(attr: CustomAttribute, value: Any, store: str) -> list[str]:
    """Convert a typed custom value (as the facade checked it) to the LDAP attribute's values.

    Values the directory's equality rule counts as one (``ski`` and ``Ski`` under
    ``caseIgnoreMatch``) are kept once, the first: an LDAP attribute holds a set.

    :param attr: the custom attribute.
    :param value: ``None`` (clear), one typed value, or a tuple of them (multi-valued).
    :param store: the store's name, for errors.
    :returns: the texts to write (empty: none).
    :raises InvalidInput: naming the attribute, for a value the directory cannot keep as given
        (line breaks or irregular spaces, non-ASCII text for IA5, sub-millisecond instants), or
        for any value of an attribute the directory maintains itself.
    """
    if value is None:
        return []
    if not attr.type.user_modifiable:
        raise _invalid(attr, f"is maintained by the directory ({attr.name!r})", store)
    texts: dict[str, str] = {}
    for one in value if isinstance(value, tuple | list) else (value,):
        text = _text(attr, one, store)
        texts.setdefault(_same(attr, text), text)
    return list(texts.values())


def _parsed(kind: AttrType, text: str) -> Any:
    """One stored value, typed; ``None`` for a value the type cannot hold."""
    try:
        if kind is AttrType.BOOLEAN:
            return {"TRUE": True, "FALSE": False}.get(text.upper())
        if kind is AttrType.INTEGER:
            number = int(text)
            return number if -_INTEGER_LIMIT <= number < _INTEGER_LIMIT else None
        if kind is AttrType.DECIMAL:
            found = Decimal(text.strip())
            return found if found.is_finite() else None
        if kind is AttrType.DATETIME:
            return parse_generalized_time(text)
    except (ValueError, InvalidOperation):
        return None
    return text


def typed_value(attr: CustomAttribute, raw: Sequence[bytes]) -> Any:
    """Convert the LDAP attribute's values to the custom attribute's typed value.

    A stored value the type cannot hold (text in a ``decimal``, an integer beyond 64 bits, ppolicy's
    year-0000 time) is left out.

    :param attr: the custom attribute.
    :param raw: the entry's raw values of ``attr.name``.
    :returns: ``None`` when there is none; a tuple (multi-valued) or the first value.
    """
    typed = [_parsed(attr.definition.type, v.decode("utf-8")) for v in raw]
    kept = [v for v in typed if v is not None]
    if attr.definition.multi_valued:
        return tuple(kept) or None
    return kept[0] if kept else None


def custom_values(
    custom: Mapping[str, CustomAttribute], get: Callable[[str], Sequence[bytes]]
) -> dict[str, Any]:
    """Read every custom attribute of an entry.

    :param custom: the store's custom attributes (see :func:`learn_custom`).
    :param get: the entry's raw-value lookup (``Raw.get``).
    :returns: name to typed value, for those the entry holds.
    """
    found = {a.definition.path: typed_value(a, get(a.name)) for a in custom.values()}
    return {name: value for name, value in found.items() if value is not None}
