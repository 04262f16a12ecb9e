"""Custom attributes of a ``rest`` store: attributes of a User extension the server advertises.

Each custom attribute the store's config declares is found at discovery in an extension schema
the server's User resource type lists and ``/Schemas`` describes: ``source`` is the attribute's
full path (``urn:...:2.0:User:loyaltyTier``) or its name in one advertised extension (the
custom attribute's own name without ``source``). The server's attribute must have the declared
type and plurality, be writable unless the attribute is declared not editable, and not be
case-exact when the attribute is declared case-insensitive (the server would leave out matches
no re-check can recover); anything else is a ``ConfigError`` naming the attribute. Values travel
under the extension's URN; filters and sorting name the full path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from idconnect.backend import (
    AttributeDef,
    ConfigError,
    InvalidInput,
    check_custom_value,
    custom_value_json,
)

__all__ = [
    "CustomAttribute",
    "custom_from_resource",
    "custom_location",
    "custom_to_resource",
    "locate_custom",
]

Schemas = Mapping[str, Mapping[str, Mapping[str, Any]]]
"""Advertised User extension URN (lower case) to its top-level attributes by lower-case name."""


@frozen
class CustomAttribute:
    """Where the server holds one custom attribute."""

    definition: AttributeDef
    """The attribute as the store's config declares it."""
    schema: str
    """The URN of the extension schema holding it."""
    name: str
    """The server's attribute name."""

    @property
    def path(self) -> str:
        """The full attribute path, for PATCH, filters and ``sortBy``."""
        return f"{self.schema}:{self.name}"


def _where(source: str, schemas: Schemas) -> list[tuple[str, Mapping[str, Any]]]:
    """The advertised (URN, attribute) pairs a source names."""
    if source.lower().startswith("urn:"):
        urn, _, name = source.rpartition(":")
        found = schemas.get(urn.lower(), {}).get(name.lower())
        return [(urn, found)] if found is not None else []
    low = source.lower()
    return [(urn, attrs[low]) for urn, attrs in schemas.items() if low in attrs]


def locate_custom(
    declared: Sequence[tuple[AttributeDef, str | None]],
    schemas: Schemas,
    extensions: Sequence[str],
    store: str,
) -> dict[str, CustomAttribute]:
    """Find each declared custom attribute in the extensions the server advertises.

    :param declared: each custom attribute with its ``source`` (or ``None``).
    :param schemas: the advertised User extensions' attributes.
    :param extensions: the advertised User extension URNs, as the server spells them.
    :param store: the store's name, for errors.
    :returns: lower-cased name to where the server holds it.
    :raises ConfigError: naming the attribute, when the server advertises no such attribute,
        several, or one of another type, plurality, mutability or case rule.
    """
    spelled = {urn.lower(): urn for urn in extensions}
    located: dict[str, CustomAttribute] = {}
    for definition, source in declared:
        name = definition.path
        found = _where(source or name, schemas)

        def refuse(why: str, name: str = name) -> ConfigError:
            return ConfigError(
                f"custom attribute {name!r}: {why}", store=store, key=f"attributes.{name}"
            )

        if len(found) != 1:
            listed = ", ".join(extensions) or "none"
            raise refuse(
                f"the SCIM server advertises {'no' if not found else 'several'} User extension"
                f" attribute {source or name!r} (its User extensions: {listed}); set source to"
                ' "urn:...:attributeName"'
            )
        urn, attribute = found[0]
        if str(attribute.get("type", "")).lower() != definition.type.value.lower():
            raise refuse(
                f"the server's {urn}:{attribute['name']} is of type {attribute.get('type')!r},"
                f" not {definition.type.value!r}"
            )
        if bool(attribute.get("multiValued")) is not definition.multi_valued:
            raise refuse(f"the server's {urn}:{attribute['name']} differs in multiValued")
        if definition.mutable and attribute.get("mutability") in ("readOnly", "immutable"):
            raise refuse(
                f"the server's {urn}:{attribute['name']} is {attribute['mutability']}:"
                " declare it editable = false"
            )
        if attribute.get("caseExact") is True and not definition.case_exact:
            raise refuse(
                f"the server's {urn}:{attribute['name']} is case-exact: declare case_exact = true"
            )
        located[name.lower()] = CustomAttribute(
            definition, spelled.get(urn.lower(), urn), attribute["name"]
        )
    return located


def custom_from_resource(
    doc: Mapping[str, Any], custom: Mapping[str, CustomAttribute], store: str
) -> dict[str, Any]:
    """Read the custom attributes of a User resource, typed.

    :param doc: the resource as the server sent it.
    :param custom: where the server holds each custom attribute.
    :param store: the store's name, for errors.
    :returns: name to typed value (a tuple for a multi-valued one); missing ones left out.
    :raises InvalidInput: naming the attribute, for a value of another type.
    """
    found: dict[str, Any] = {}
    for where in custom.values():
        holder = doc.get(where.schema)
        if not isinstance(holder, Mapping):
            continue
        low = where.name.lower()
        value = next((v for k, v in holder.items() if k.lower() == low), None)
        if value in (None, "", []):
            continue
        typed = check_custom_value(where.definition, value, store=store)
        if typed is not None:
            found[where.definition.path] = typed
    return found


def custom_to_resource(
    doc: dict[str, Any], values: Mapping[str, Any], custom: Mapping[str, CustomAttribute]
) -> None:
    """Put typed custom values into a User resource, under their extensions' URNs.

    :param doc: the resource being built (its ``schemas`` list gains each extension used).
    :param values: name to typed value; ``None`` left out.
    :param custom: where the server holds each custom attribute.
    :raises InvalidInput: for a custom attribute the server does not hold.
    """
    for name, value in values.items():
        if value is None:
            continue
        where = custom_location(name, custom)
        if where.schema not in doc["schemas"]:
            doc["schemas"].append(where.schema)
        doc.setdefault(where.schema, {})[where.name] = custom_value_json(value)


def custom_location(name: str, custom: Mapping[str, CustomAttribute]) -> CustomAttribute:
    """Return where the server holds a custom attribute.

    :param name: the custom attribute's name.
    :param custom: where the server holds each custom attribute.
    :returns: its location.
    :raises InvalidInput: when the server does not hold it.
    """
    where = custom.get(name.lower())
    if where is None:
        raise InvalidInput(f"this store's SCIM server cannot hold {name!r}", attribute=name)
    return where
