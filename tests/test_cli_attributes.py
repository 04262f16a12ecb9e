"""``idconnect attributes`` and custom attributes through the CLI, on the embedded SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from idconnect.cli import cli

CONFIG = """
[hub]
state = "sqlite:///{folder}/state.db"

[stores.main]
plugin = "sql"
url = "sqlite:///{folder}/main.db"

[stores.main.attributes.loyaltyTier]
type = "string"
description = "Loyalty programme tier"

[stores.main.attributes.points]
type = "integer"

[stores.main.attributes.internalNote]
type = "string"
visible = false
searchable = false

[stores.main.attributes.phoneNumbers]
visible = false

[stores.main.attributes.userName]
editable = false
"""


@pytest.fixture
def run(tmp_path: Path):
    path = tmp_path / "idconnect.toml"
    path.write_text(CONFIG.format(folder=tmp_path))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--config", str(path), *args], catch_exceptions=False)

    return invoke


def _create(run, tmp_path: Path) -> str:
    doc = {
        "userName": "ann",
        "phoneNumbers": [{"value": "+351210000001"}],
        "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes": {
            "loyaltyTier": "Gold",
            "points": 40,
            "internalNote": "VIP caller",
        },
    }
    source = tmp_path / "ann.json"
    source.write_text(json.dumps(doc))
    created = run(
        "accounts", "create", "main", "--from-json", str(source), "--reason", "t", "--json"
    )
    assert created.exit_code == 0, created.output
    return json.loads(created.stdout)["id"]


def test_attributes_lists_types_and_flags(run) -> None:
    result = run("attributes", "main", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["path"]: r for r in json.loads(result.stdout)}
    assert rows["loyaltyTier"] == {
        "path": "loyaltyTier",
        "schema": "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes",
        "type": "string",
        "multiValued": False,
        "caseExact": False,
        "custom": True,
        "visible": True,
        "editable": True,
        "searchable": True,
        "description": "Loyalty programme tier",
    }
    assert rows["internalNote"]["visible"] is False and rows["internalNote"]["searchable"] is False
    assert rows["userName"]["editable"] is False and rows["userName"]["custom"] is False
    assert rows["phoneNumbers.value"]["visible"] is False
    table = run("attributes", "main")
    assert "loyaltyTier (custom)" in table.stdout and "Loyalty programme tier" in table.stdout


def test_show_search_and_update_custom_attributes(run, tmp_path: Path) -> None:
    ident = _create(run, tmp_path)
    shown = run("accounts", "show", "main", ident)
    assert "loyaltyTier" in shown.stdout and "Gold" in shown.stdout and "40" in shown.stdout
    assert "VIP caller" not in shown.stdout and "+351210000001" not in shown.stdout
    as_json = json.loads(run("accounts", "show", "main", ident, "--json").stdout)
    custom = as_json["urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes"]
    assert custom == {"loyaltyTier": "Gold", "points": 40} and "phoneNumbers" not in as_json
    found = run("accounts", "list", "main", "--filter", 'loyaltyTier eq "gold"', "--json")
    assert [a["id"] for a in json.loads(found.stdout)["Resources"]] == [ident]
    updated = run("accounts", "update", "main", ident, "--set", "points=41", "--reason", "t")
    assert updated.exit_code == 0, updated.output
    assert (
        json.loads(run("accounts", "show", "main", ident, "--json").stdout)[
            "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes"
        ]["points"]
        == 41
    )


def test_refusals_name_the_attribute(run, tmp_path: Path) -> None:
    ident = _create(run, tmp_path)
    locked = run("accounts", "update", "main", ident, "--set", "userName=bob", "--reason", "t")
    assert locked.exit_code != 0 and "'userName' is not editable" in locked.output
    typed = run("accounts", "update", "main", ident, "--set", "points=many", "--reason", "t")
    assert typed.exit_code != 0 and "points" in typed.output
    hidden = run("accounts", "list", "main", "--filter", 'internalNote eq "x"')
    assert hidden.exit_code != 0 and "not searchable" in hidden.output
