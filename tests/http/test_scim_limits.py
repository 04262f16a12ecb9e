"""Hard limits of the SCIM service: each one exceeded is a SCIM Error 4xx, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idconnect.http.limits import Limits
from tests.http.scim_env import ERROR, Scim, scim_service


@pytest.fixture
def scim(tmp_path: Path) -> Iterator[Scim]:
    limits = Limits(max_filter_length=2000, max_filter_depth=6, max_filter_terms=20, max_count=50)
    with scim_service(tmp_path, limits=limits) as service:
        service.create("one")
        yield service


def _refused(answer, status: int, scim_type: str) -> str:
    assert answer.status_code == status, answer.text
    doc = answer.json()
    assert doc["schemas"] == [ERROR] and doc["status"] == str(status)
    assert doc["scimType"] == scim_type
    return str(doc["detail"])


def test_a_ten_thousand_term_filter_is_refused_by_length(scim: Scim):
    text = " or ".join(f'userName eq "u{n}"' for n in range(10_000))
    detail = _refused(scim("POST", "/Users/.search", json={"filter": text}), 400, "invalidFilter")
    assert "at most 2000" in detail
    in_url = " or ".join(f'userName eq "u{n}"' for n in range(300))
    _refused(scim("GET", "/Users", params={"filter": in_url}), 400, "invalidFilter")


def test_filters_over_the_depth_or_term_limits_are_refused(scim: Scim):
    deep = "not (" * 7 + 'userName eq "one"' + ")" * 7
    assert "levels deep" in _refused(
        scim("GET", "/Users", params={"filter": deep}), 400, "invalidFilter"
    )
    wide = " or ".join(f'userName eq "u{n}"' for n in range(21))
    assert "comparisons" in _refused(
        scim("GET", "/Users", params={"filter": wide}), 400, "invalidFilter"
    )
    ok = " or ".join(f'userName eq "u{n}"' for n in range(19))
    assert scim("GET", "/Users", params={"filter": ok}).status_code == 200


def test_malformed_filters_and_unknown_attributes_are_invalid_filter(scim: Scim):
    detail = _refused(scim("GET", "/Users", params={"filter": "userName eq"}), 400, "invalidFilter")
    assert "column" in detail
    _refused(scim("GET", "/Users", params={"filter": 'shoeSize eq "9"'}), 400, "invalidFilter")


def test_count_over_the_maximum_is_too_many(scim: Scim):
    _refused(scim("GET", "/Users", params={"count": 10**9}), 400, "tooMany")
    _refused(scim("GET", "/Users", params={"count": 51}), 400, "tooMany")
    assert scim("GET", "/Users", params={"count": 50}).status_code == 200
    _refused(scim("GET", "/Users", params={"count": "-1"}), 400, "invalidValue")
    _refused(scim("GET", "/Users", params={"startIndex": "10000000"}), 400, "tooMany")
    _refused(scim("GET", "/Users", params={"sortOrder": "sideways"}), 400, "invalidValue")


def test_an_oversized_body_is_413(tmp_path: Path):
    with scim_service(tmp_path, limits=Limits(max_body_bytes=1000)) as scim:
        answer = scim("POST", "/Users", json={"userName": "x", "displayName": "y" * 2000})
        _refused(answer, 413, "tooLarge")
        assert scim("GET", "/Users").json()["totalResults"] == 0
