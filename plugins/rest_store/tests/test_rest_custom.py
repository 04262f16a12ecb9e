"""Custom attributes of a rest store: attributes of User extensions scim2-server advertises.

The enterprise extension (RFC 7643 §4.3: employeeNumber, costCenter, department...) is named
by full path and by name; what the server does not advertise as declared is a ConfigError.
"""

from __future__ import annotations

from typing import Any

import pytest
from idconnect_rest.filters import render_filter
from idconnect_rest.testing.scim2 import ENTERPRISE

from idconnect import ConfigError
from idconnect.backend import bind, parse
from idconnect.core.schema import CUSTOM_SCHEMA

REASON = "ticket 12"
ENTERPRISE_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "employeeNumber": {"type": "string", "source": f"{ENTERPRISE}:employeeNumber"},
    "costCentre": {"type": "string", "source": "costCenter"},
    "department": {"type": "string"},
}


@pytest.fixture
def enterprise(full_server, connect_store):
    return connect_store(
        full_server.new_url(), memberships="groups", attributes=ENTERPRISE_ATTRIBUTES
    )


def test_enterprise_attributes_live_under_the_extension_urn(enterprise) -> None:
    made = enterprise.create_account(
        {
            "userName": "bjensen",
            CUSTOM_SCHEMA: {"employeeNumber": "701984", "costCentre": "4130", "department": "Ops"},
        },
        reason=REASON,
    )
    assert made.id
    raw = enterprise.backend.client.request("GET", f"/Users/{made.id}", what="the account").json()
    assert raw[ENTERPRISE] == {
        "employeeNumber": "701984",
        "costCenter": "4130",
        "department": "Ops",
    }
    assert ENTERPRISE in raw["schemas"]
    enterprise.create_account(
        {"userName": "other", CUSTOM_SCHEMA: {"costCentre": "9000"}}, reason=REASON
    )
    assert [a.id for a in enterprise.search_accounts('costCentre eq "4130"').items] == [made.id]
    updated = enterprise.update_account(
        made.id, {"department": None, "costCentre": "5000"}, reason=REASON
    )
    assert updated.attributes == {"employeeNumber": "701984", "costCentre": "5000"}
    raw = enterprise.backend.client.request("GET", f"/Users/{made.id}", what="the account").json()
    assert "department" not in raw[ENTERPRISE]


def test_filters_name_the_full_extension_path(enterprise) -> None:
    profile = enterprise.backend.profile
    tree = bind(parse('costCentre sw "41" and not (department pr)'), enterprise.catalogue)
    assert render_filter(tree, profile) == (
        f'{ENTERPRISE}:costCenter sw "41" and not ({ENTERPRISE}:department pr)'
    )


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"type": "string", "source": "favouriteColour"}, "advertises no User extension"),
        ({"type": "string", "source": f"{ENTERPRISE}:nickName"}, "advertises no"),
        ({"type": "integer", "source": "employeeNumber"}, "not 'integer'"),
        ({"type": "string", "multi_valued": True, "source": "division"}, "multiValued"),
        ({"type": "string", "source": "urn:example:unknown:User:x"}, "advertises no"),
    ],
)
def test_an_attribute_the_server_does_not_advertise_as_declared_is_refused(
    full_server, connect_store, entry, says
) -> None:
    store = connect_store(full_server.new_url(), attributes={"badge": entry})
    with pytest.raises(ConfigError, match=says) as caught:
        store.catalogue  # noqa: B018 - discovery runs for the catalogue
    assert "badge" in str(caught.value)


def test_a_server_without_the_extension_holds_no_custom_attribute(
    minimal_server, bearer_env, connect_store
) -> None:
    store = connect_store(
        minimal_server.new_url(),
        token_env=bearer_env,
        attributes={"department": {"type": "string"}},
    )
    with pytest.raises(ConfigError, match="its User extensions: none"):
        store.catalogue  # noqa: B018 - discovery runs for the catalogue
