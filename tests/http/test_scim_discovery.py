"""ServiceProviderConfig, ResourceTypes, Schemas: from the store's capabilities and catalogue."""

from __future__ import annotations

from pathlib import Path

import requests

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.core.schema import CORE_USER_SCHEMA, CUSTOM_SCHEMA, EXTENSION_SCHEMA
from idconnect.http.app import create_app
from idconnect.http.limits import Limits
from idconnect.http.server import serving
from tests.http.scim_env import hub_config, scim_service

ATTRIBUTES = {
    "loyaltyPoints": {"type": "integer", "description": "points"},
    "internalNote": {"type": "string", "visible": False, "searchable": False},
    "accountCode": {"type": "string", "editable": False, "case_exact": True},
}


def _by_name(attributes: list[dict]) -> dict[str, dict]:
    return {a["name"]: a for a in attributes}


def test_a_sql_store_advertises_what_it_can(tmp_path: Path):
    with scim_service(tmp_path, limits=Limits(max_count=200), attributes=ATTRIBUTES) as scim:
        spc = scim("GET", "/ServiceProviderConfig").json()
        assert spc["patch"]["supported"] and spc["sort"]["supported"] and spc["etag"]["supported"]
        assert spc["changePassword"]["supported"]
        assert spc["bulk"] == {"supported": True, "maxOperations": 100, "maxPayloadSize": 1048576}
        assert spc["filter"] == {"supported": True, "maxResults": 200}
        assert spc["pagination"]["cursor"] and spc["pagination"]["maxPageSize"] == 200
        types = {t["id"]: t for t in scim("GET", "/ResourceTypes").json()["Resources"]}
        assert set(types) == {"User", "Group"}
        assert [e["schema"] for e in types["User"]["schemaExtensions"]] == [
            EXTENSION_SCHEMA,
            CUSTOM_SCHEMA,
        ]
        assert scim("GET", "/ResourceTypes/Group").json()["endpoint"] == "/Groups"
        schemas = {s["id"]: s for s in scim("GET", "/Schemas").json()["Resources"]}
        core = _by_name(schemas[CORE_USER_SCHEMA]["attributes"])
        assert core["userName"]["uniqueness"] == "server" and core["userName"]["required"]
        assert core["password"]["mutability"] == "writeOnly"
        assert core["groups"]["mutability"] == "readOnly"
        assert {s["name"] for s in core["emails"]["subAttributes"]} >= {"value", "type"}
        ext = _by_name(schemas[EXTENSION_SCHEMA]["attributes"])
        assert ext["organization"]["mutability"] == "readWrite"
        assert ext["lastLogin"]["mutability"] == "readOnly"
        custom = _by_name(schemas[CUSTOM_SCHEMA]["attributes"])
        assert custom["loyaltyPoints"]["type"] == "integer"
        assert custom["loyaltyPoints"]["description"] == "points"
        assert custom["internalNote"]["returned"] == "never"
        assert custom["accountCode"]["mutability"] == "readOnly"
        assert custom["accountCode"]["caseExact"] is True
        one = scim("GET", f"/Schemas/{CUSTOM_SCHEMA}").json()
        assert one["id"] == CUSTOM_SCHEMA
        assert scim("GET", "/Schemas/urn:nope").status_code == 404


def test_a_store_without_groups_or_passwords_advertises_neither(tmp_path: Path):
    settings = hub_config(tmp_path)
    settings["stores"] = {"flat": {"plugin": "json", "path": str(tmp_path / "accounts.json")}}
    with idconnect.connect(settings) as hub:
        token, _ = issue_token(hub, admin="alice", reason="tests")
        headers = {"Authorization": f"Bearer {token}"}
        with serving(create_app(hub)) as url:
            base = f"{url}/scim/v2/flat"
            spc = requests.get(f"{base}/ServiceProviderConfig", headers=headers, timeout=10).json()
            types = requests.get(f"{base}/ResourceTypes", headers=headers, timeout=10).json()
            schemas = requests.get(f"{base}/Schemas", headers=headers, timeout=10).json()
            groups = requests.get(f"{base}/Groups", headers=headers, timeout=10)
    assert not spc["changePassword"]["supported"] and spc["patch"]["supported"]
    assert [t["id"] for t in types["Resources"]] == ["User"]
    assert types["Resources"][0]["schemaExtensions"] == [
        {"schema": EXTENSION_SCHEMA, "required": False}
    ]
    core = _by_name(schemas["Resources"][0]["attributes"])
    assert "password" not in core and "groups" not in core and "emails" in core
    assert groups.status_code == 501 and groups.json()["status"] == "501"
