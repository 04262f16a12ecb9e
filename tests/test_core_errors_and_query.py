"""Errors carry codes and statuses; cursors are opaque, resumable and tied to their query."""

from __future__ import annotations

import pickle

import pytest

import idconnect
from idconnect.core.errors import error_for_code
from idconnect.core.filter import attr, bind
from idconnect.core.query import Query, decode_cursor, encode_cursor, iterate_pages
from idconnect.core.schema import USER_CATALOGUE

ERRORS = [
    (idconnect.ConfigError, "config", 500),
    (idconnect.PluginError, "plugin", 500),
    (idconnect.InvalidInput, "invalid_input", 400),
    (idconnect.FilterError, "invalid_filter", 400),
    (idconnect.UnsupportedFilter, "unsupported_filter", 400),
    (idconnect.NotSupported, "not_supported", 501),
    (idconnect.NotFound, "not_found", 404),
    (idconnect.Conflict, "conflict", 409),
    (idconnect.PermissionDenied, "permission_denied", 403),
    (idconnect.StoreUnavailable, "store_unavailable", 503),
]


@pytest.mark.parametrize(("cls", "code", "status"), ERRORS)
def test_error_classes(cls: type[idconnect.IdconnectError], code: str, status: int) -> None:
    assert issubclass(cls, idconnect.IdconnectError)
    assert (cls.code, cls.http_status) == (code, status)
    assert error_for_code(code) is cls
    err = cls("it broke", store="crm", account="u-1", attribute="userName")
    assert str(err) == "store 'crm': account 'u-1': it broke"
    assert err.details == {"attribute": "userName"}
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and str(again) == str(err)
    scim = err.to_scim()
    assert scim["status"] == str(status) and scim["detail"] == str(err)


def test_in_context_fills_only_what_is_missing() -> None:
    err = idconnect.NotFound("gone", account="u-1").in_context(store="crm", account="other")
    assert (err.store, err.account) == ("crm", "u-1")


def _query(text: str | None = None, **kw: object) -> Query:
    filt = bind(idconnect.parse(text), USER_CATALOGUE) if text else None
    return Query(filter=filt, **kw)  # type: ignore[arg-type]


def test_cursor_round_trips_and_is_tied_to_its_query() -> None:
    query = _query('userName sw "a"')
    cursor = encode_cursor(query, ["bob", "u-7"])
    assert decode_cursor(_query('userName sw "a"', cursor=cursor, count=10)) == ["bob", "u-7"]
    with pytest.raises(idconnect.InvalidInput, match="different filter"):
        decode_cursor(_query('userName sw "b"', cursor=cursor))
    with pytest.raises(idconnect.InvalidInput):
        decode_cursor(_query(cursor="%%%"))
    with pytest.raises(idconnect.InvalidInput):
        decode_cursor(_query(cursor="eyJ2IjoyfQ"))


@pytest.mark.parametrize("count", [0, 1001, -1, True, 2.5])
def test_page_size_is_checked(count: object) -> None:
    with pytest.raises(idconnect.InvalidInput):
        Query(count=count)  # type: ignore[arg-type]


def test_iterate_pages_refuses_a_looping_store() -> None:
    def fetch(cursor: str | None) -> idconnect.Page[int]:
        return idconnect.Page(items=[1], next_cursor="same")

    with pytest.raises(idconnect.InvalidInput, match="same cursor"):
        list(iterate_pages(fetch))


def test_builder_and_parser_agree() -> None:
    built = ~(attr("emails").where(attr("type").eq("work")) & attr("active").eq(True))
    assert built == idconnect.parse('not (emails[type eq "work"] and active eq true)')
