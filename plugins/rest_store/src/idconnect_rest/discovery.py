"""Discovery (RFC 7644 §4): what a SCIM server can do and which attributes it holds.

:func:`discover` reads ``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas`` and
returns a :class:`ServerProfile`: the features the server advertises, its endpoints, and for
every attribute of the canonical catalogue the server's attribute that holds it (or nothing:
then the attribute is dropped from the store's catalogue), and where each custom attribute the
config declares lives in an advertised User extension (:mod:`idconnect_rest.custom`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import evolve, frozen

from idconnect.backend import (
    CORE_USER_SCHEMA,
    EXTENSION_SCHEMA,
    USER_CATALOGUE,
    AttributeDef,
    Catalogue,
    ConfigError,
    StoreUnavailable,
)
from idconnect_rest.custom import CustomAttribute, locate_custom
from idconnect_rest.errors import malformed, safe_segment
from idconnect_rest.http import ScimClient

__all__ = ["ENTERPRISE_SCHEMA", "ServerAttribute", "ServerProfile", "discover"]

ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
"""The enterprise User extension (RFC 7643 §4.3)."""
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

_DERIVED = {"emailverified": "emails", "phoneverified": "phoneNumbers"}


@frozen
class ServerAttribute:
    """Where the server holds one canonical top-level attribute."""

    schema: str
    """The schema URN of the server's attribute."""
    name: str
    """The server's attribute name."""
    mutable: bool
    """Whether the server lets clients write it."""

    @property
    def extension(self) -> bool:
        """Whether it lives in an extension schema (and so is written under its URN)."""
        return self.schema.lower() != CORE_USER_SCHEMA.lower()


@frozen(kw_only=True)
class ServerProfile:
    """What one SCIM server advertises, as the store uses it."""

    patch: bool
    bulk: bool
    bulk_max_operations: int
    bulk_max_payload: int
    filter: bool
    max_results: int | None
    sort: bool
    etag: bool
    change_password: bool
    cursor: bool
    index: bool
    users_endpoint: str
    groups_endpoint: str | None
    user_schemas: tuple[str, ...]
    """The core User schema and the extensions the User resource type lists."""
    attributes: Mapping[str, ServerAttribute]
    """Canonical top-level name (lower case) to the server attribute holding it."""
    derived_verified: frozenset[str]
    """``emailVerified``/``phoneVerified`` (lower case) answered from ``emails.verified`` etc."""
    custom: Mapping[str, CustomAttribute]
    """Custom attribute name (lower case) to where the server holds it."""
    catalogue: Catalogue
    """The canonical attributes the store holds and can filter on, then the custom ones."""


class _Bad(Exception):
    """A discovery document idconnect cannot use; the message says what is wrong."""


def _resources(doc: Any, what: str) -> list[dict[str, Any]]:
    """The resources of a discovery list: a ListResponse or a bare JSON list, of objects."""
    if isinstance(doc, dict) and "Resources" in doc:
        doc = doc["Resources"]
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise _Bad(f"{what} that are not a list of objects")
    return doc


def _section(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Bad(f"a service provider config whose {key!r} is not an object")
    return value


def _count(section: Mapping[str, Any], name: str) -> int:
    value = section.get(name)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Bad(f"a service provider config whose {name!r} is not a count")
    return value


def _supported(config: Mapping[str, Any], key: str) -> bool:
    return _section(config, key).get("supported") is True


def _endpoint(resource_type: Mapping[str, Any], default: str) -> str:
    value = resource_type.get("endpoint") or default
    if not isinstance(value, str) or not safe_segment(value.removeprefix("/")):
        raise _Bad(f"a resource type whose endpoint {str(value)[:80]!r} is not one path segment")
    return "/" + value.removeprefix("/")


def _attrs(schema: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Top-level attributes of a schema by lower-case name."""
    if not schema:
        return {}
    listed = schema.get("attributes") or []
    if not isinstance(listed, list):
        raise _Bad("a schema whose attributes are not a list")
    return {
        a["name"].lower(): a
        for a in listed
        if isinstance(a, dict) and isinstance(a.get("name"), str)
    }


def _subs(attribute: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return _attrs({"attributes": attribute.get("subAttributes") or []})


def discover(
    client: ScimClient,
    attribute_map: Mapping[str, str],
    memberships: str,
    custom: Sequence[tuple[AttributeDef, str | None]] = (),
) -> ServerProfile:
    """Ask the server what it can do and derive the store's profile.

    :param client: the store's HTTP client.
    :param attribute_map: canonical top-level name to a server attribute (``urn:...:name``).
    :param memberships: ``user`` (``User.groups`` is filled by the server) or ``groups``.
    :param custom: the custom attributes the config declares, each with its ``source``.
    :returns: the profile.
    :raises StoreUnavailable: when the server cannot be reached, gives no User resource type
        or a discovery document idconnect cannot read (naming the server and what is wrong).
    :raises ConfigError: when ``attribute_map`` names an attribute the server does not have,
        or a custom attribute is not advertised as declared (naming it).
    """
    spc = client.request("GET", "/ServiceProviderConfig", what="the service provider config").json()
    types = client.request("GET", "/ResourceTypes", what="the resource types").json_value()
    schemas = client.request("GET", "/Schemas", what="the schemas").json_value()
    try:
        return _profile(client, spc, types, schemas, attribute_map, memberships, custom)
    except _Bad as exc:
        why = str(exc)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        why = f"a discovery document idconnect cannot read ({type(exc).__name__})"
    raise malformed(client.store, client.base_url, why)


def _profile(
    client: ScimClient,
    spc: Mapping[str, Any],
    types_doc: Any,
    schemas_doc: Any,
    attribute_map: Mapping[str, str],
    memberships: str,
    custom: Sequence[tuple[AttributeDef, str | None]],
) -> ServerProfile:
    types = _resources(types_doc, "resource types")
    schemas = {
        s["id"].lower(): s
        for s in _resources(schemas_doc, "schemas")
        if isinstance(s.get("id"), str)
    }
    user_type = next(
        (t for t in types if str(t.get("schema", "")).lower() == CORE_USER_SCHEMA.lower()), None
    )
    if user_type is None:
        raise StoreUnavailable(
            f"the SCIM server at {client.base_url} has no User resource type",
            store=client.store,
            url=client.base_url,
        )
    group_type = next(
        (t for t in types if str(t.get("schema", "")).lower() == GROUP_SCHEMA.lower()), None
    )
    listed = user_type.get("schemaExtensions") or []
    if not isinstance(listed, list):
        raise _Bad("a User resource type whose schemaExtensions are not a list")
    extensions = tuple(
        e["schema"] for e in listed if isinstance(e, dict) and isinstance(e.get("schema"), str)
    )
    user_schemas = (CORE_USER_SCHEMA, *extensions)
    located, derived = _locate(client, schemas, user_schemas, attribute_map, memberships)
    held = {urn.lower(): _attrs(schemas.get(urn.lower())) for urn in extensions}
    placed = locate_custom(custom, held, extensions, client.store)
    catalogue = Catalogue(
        (*_catalogue(schemas, located, derived), *(c.definition for c in placed.values()))
    )

    bulk = _section(spc, "bulk")
    filt = _section(spc, "filter")
    pagination = _section(spc, "pagination")
    max_results = _count(filt, "maxResults")
    return ServerProfile(
        patch=_supported(spc, "patch"),
        bulk=_supported(spc, "bulk"),
        bulk_max_operations=_count(bulk, "maxOperations"),
        bulk_max_payload=_count(bulk, "maxPayloadSize"),
        filter=_supported(spc, "filter"),
        max_results=max_results or None,
        sort=_supported(spc, "sort"),
        etag=_supported(spc, "etag"),
        change_password=_supported(spc, "changePassword"),
        cursor=pagination.get("cursor") is True,
        index=pagination.get("index", True) is not False,
        users_endpoint=_endpoint(user_type, "/Users"),
        groups_endpoint=_endpoint(group_type, "/Groups") if group_type else None,
        user_schemas=user_schemas,
        attributes=located,
        derived_verified=frozenset(derived),
        custom=placed,
        catalogue=catalogue,
    )


def _locate(
    client: ScimClient,
    schemas: Mapping[str, Mapping[str, Any]],
    user_schemas: tuple[str, ...],
    attribute_map: Mapping[str, str],
    memberships: str,
) -> tuple[dict[str, ServerAttribute], set[str]]:
    """Find the server attribute of each canonical top-level attribute."""
    available = {urn.lower() for urn in user_schemas}
    located: dict[str, ServerAttribute] = {}
    for definition in USER_CATALOGUE:
        parent = definition.parent
        key = parent.lower()
        if key in located or key in _DERIVED:
            continue
        if key in ("id", "meta"):
            located[key] = ServerAttribute(CORE_USER_SCHEMA, parent, False)
            continue
        if key == "groups" and memberships != "user":
            continue
        if definition.schema.lower() not in available:
            continue
        found = _attrs(schemas.get(definition.schema.lower())).get(key)
        if found is not None:
            located[key] = ServerAttribute(
                definition.schema, found["name"], found.get("mutability") != "readOnly"
            )
    for canonical, target in attribute_map.items():
        urn, _, name = (
            target.rpartition(":") if target.lower().startswith("urn:") else ("", "", target)
        )
        urn = urn or CORE_USER_SCHEMA
        found = (
            _attrs(schemas.get(urn.lower())).get(name.lower()) if urn.lower() in available else None
        )
        if USER_CATALOGUE.canonical_name(canonical) is None or found is None:
            raise ConfigError(
                f"attribute_map: {canonical!r} -> {target!r}: the server has no such attribute"
                if found is None
                else f"attribute_map: unknown attribute {canonical!r}",
                store=client.store,
                key="attribute_map",
            )
        located[canonical.lower()] = ServerAttribute(
            urn, found["name"], found.get("mutability") != "readOnly"
        )
    derived: set[str] = set()
    for key, multi in _DERIVED.items():
        ext = _attrs(schemas.get(EXTENSION_SCHEMA.lower())).get(key)
        if ext is not None and EXTENSION_SCHEMA.lower() in available:
            located[key] = ServerAttribute(EXTENSION_SCHEMA, ext["name"], False)
        elif multi.lower() in located and "verified" in _subs(
            _attrs(schemas.get(CORE_USER_SCHEMA.lower())).get(multi.lower(), {})
        ):
            derived.add(key)
    return located, derived


def _catalogue(
    schemas: Mapping[str, Mapping[str, Any]],
    located: Mapping[str, ServerAttribute],
    derived: set[str],
) -> Catalogue:
    """The canonical attributes the server holds, with the server's case sensitivity."""
    kept = []
    for definition in USER_CATALOGUE:
        key = definition.parent.lower()
        if key in derived:
            kept.append(definition)
            continue
        where = located.get(key)
        if where is None:
            continue
        if key in ("id", "meta"):
            kept.append(definition)
            continue
        attribute = _attrs(schemas.get(where.schema.lower())).get(where.name.lower(), {})
        if "." in definition.path:
            sub = _subs(attribute).get(definition.path.partition(".")[2].lower())
            if sub is None:
                continue
            attribute = sub
        case_exact = attribute.get("caseExact")
        if isinstance(case_exact, bool) and definition.type.value == "string":
            definition = evolve(definition, case_exact=case_exact)
        kept.append(definition)
    return Catalogue(tuple(kept))
