"""Directory refusals become the project's errors and carry the server's diagnostic text."""

from __future__ import annotations

import ldap3
import pytest
from idconnect_ldap.errors import check
from idconnect_ldap.pipeline import modify_many

from idconnect.backend import (
    Conflict,
    IdconnectError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (32, NotFound),
        (68, Conflict),
        (19, InvalidInput),
        (21, InvalidInput),
        (50, PermissionDenied),
        (51, StoreUnavailable),
        (17, IdconnectError),  # undefinedAttributeType: the settings do not fit the directory
        (65, IdconnectError),  # objectClassViolation
        (53, IdconnectError),  # unwillingToPerform
    ],
)
def test_result_codes_map_to_the_project_errors(code: int, kind: type[IdconnectError]) -> None:
    result = {"result": code, "description": "someName", "message": "what the server said"}
    with pytest.raises(IdconnectError) as info:
        check(result, store="dir", what="do it", account="a1")
    assert type(info.value) is kind
    assert str(info.value) == (
        "store 'dir': account 'a1': do it failed: the directory answered someName"
        f" ({code}): what the server said"
    )


def test_a_refusal_of_the_directory_is_no_usage_error() -> None:
    for code in (16, 17, 18, 53, 64, 65, 66, 69):
        with pytest.raises(IdconnectError) as info:
            check({"result": code, "description": "x"}, store="dir", what="w")
        assert not isinstance(info.value, InvalidInput), code


def test_pipelined_answers_carry_the_diagnostic(slapd_plain) -> None:
    srv = ldap3.Server(slapd_plain.host, port=slapd_plain.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(srv, slapd_plain.root_dn, slapd_plain.password, auto_bind=True)
    dn = "uid=alice,ou=staff,ou=seeded,dc=example,dc=org"
    results = modify_many(conn, [(dn, {"sn": [(ldap3.MODIFY_DELETE, [])]})])
    conn.unbind()
    assert results[0]["result"] == 65
    assert "requires attribute 'sn'" in results[0]["message"]
    with pytest.raises(IdconnectError, match="requires attribute 'sn'"):
        check(results[0], store="dir", what="modify")
