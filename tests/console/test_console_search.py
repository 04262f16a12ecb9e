"""The filter panel's logic without a browser: fields, the filter they build, refusals; safe_url."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.datastructures import QueryParams

import idconnect
from idconnect.console.pages import safe_url
from idconnect.console.search import check_advanced, read_search, search_fields
from idconnect.core.schema import USER_CATALOGUE


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory):
    tmp: Path = tmp_path_factory.mktemp("search")
    config = {
        "hub": {"state": f"sqlite:///{tmp / 'state.db'}"},
        "stores": {
            "s": {
                "plugin": "sql",
                "url": f"sqlite:///{tmp / 's.db'}",
                "attributes": {
                    "loyaltyTier": {"type": "string"},
                    "points": {"type": "integer"},
                    "vip": {"type": "boolean"},
                    "memberSince": {"type": "dateTime"},
                    "secretNote": {"type": "string", "visible": False},
                    "unsearched": {"type": "string", "searchable": False},
                },
            }
        },
    }
    with idconnect.connect(config) as hub:
        yield hub.store("s").catalogue


def test_fields_fall_into_the_four_sections_with_custom_ones(catalogue) -> None:
    fields = {f.path: f for f in search_fields(catalogue)}
    assert [f.section for f in search_fields(catalogue)] == sorted(
        (f.section for f in fields.values()),
        key=["Identifiers", "Attributes", "Dates", "Membership"].index,
    )
    assert fields["userName"].section == fields["emails.value"].section == "Identifiers"
    assert (fields["loyaltyTier"].section, fields["loyaltyTier"].custom) == ("Attributes", True)
    assert (fields["points"].kind, fields["vip"].kind) == ("number", "boolean")
    assert fields["memberSince"].section == fields["meta.created"].section == "Dates"
    assert fields["lastLogin"].label == "Last login"
    assert (fields["groups.value"].section, fields["groups.value"].kind) == ("Membership", "group")
    assert "secretNote" not in fields  # not visible
    assert "unsearched" not in fields  # not searchable
    assert "groups.display" not in fields


def _search(catalogue, query: str):
    return read_search(QueryParams(query), search_fields(catalogue))


def test_each_kind_builds_its_condition_and_pins_keep_their_order(catalogue) -> None:
    query = (
        "pin=points&pin=userName&pin=nope&pin=userName"
        "&v.userName=a%22b&op.userName=co&v.points=10&op.points=gt"
        "&pin=vip&v.vip=true&pin=meta.created&from.meta.created=2025-01-01"
        "&to.meta.created=2025-01-31&pin=groups.value&v.groups.value=g-1"
        "&pin=loyaltyTier&v.loyaltyTier=gold&op.loyaltyTier=eq"
    )
    search = _search(catalogue, query)
    assert [f.path for f in search.pins] == [
        "points",
        "userName",
        "vip",
        "meta.created",
        "groups.value",
        "loyaltyTier",
    ]
    assert search.errors == {}
    assert search.text == (
        'points gt 10 and userName co "a\\"b" and vip eq true'
        ' and meta.created ge "2025-01-01T00:00:00Z" and meta.created lt "2025-02-01T00:00:00Z"'
        ' and groups.value eq "g-1" and loyaltyTier eq "gold"'
    )


def test_an_empty_pinned_field_adds_nothing(catalogue) -> None:
    search = _search(catalogue, "pin=userName&v.userName=&pin=meta.created")
    assert [f.path for f in search.pins] == ["userName", "meta.created"]
    assert search.tree is None
    assert search.text == ""


@pytest.mark.parametrize(
    ("query", "path", "why"),
    [
        ("pin=points&v.points=many", "points", "'many' is not a number"),
        ("pin=points&v.points=NaN", "points", "'NaN' is not a number"),
        ("pin=points&v.points=1&op.points=co", "points", "unknown comparison 'co'"),
        ("pin=userName&v.userName=x&op.userName=pr", "userName", "unknown comparison 'pr'"),
        ("pin=vip&v.vip=maybe", "vip", "choose yes or no"),
        ("pin=meta.created&from.meta.created=May", "meta.created", "'May' is not a date"),
        (
            "pin=meta.created&from.meta.created=2025-02-01&to.meta.created=2025-01-01",
            "meta.created",
            "the end of the range is before its start",
        ),
    ],
)
def test_a_refused_value_is_named_at_its_field(catalogue, query: str, path: str, why: str):
    search = _search(catalogue, query)
    assert why in search.errors[path]


def test_the_advanced_filter_is_combined_and_its_errors_carry_the_column(catalogue) -> None:
    search = _search(catalogue, "pin=userName&v.userName=a&filter=active+eq+false")
    assert search.text == 'userName sw "a" and active eq false'
    broken = _search(catalogue, "filter=" + "userName eq")
    assert broken.advanced_error is not None
    assert broken.advanced_error.column == 12
    assert broken.advanced_error.message.startswith("column 12:")
    unknown = check_advanced(_search(catalogue, "filter=active eq true or nick eq 1"), catalogue)
    assert unknown.advanced_error is not None
    assert unknown.advanced_error.column == 19  # after "active eq true or "
    assert unknown.tree is None
    refused = check_advanced(_search(catalogue, 'filter=unsearched eq "x"'), catalogue)
    assert refused.advanced_error is not None  # an attribute support may not search
    assert refused.advanced_error.column == 1
    fine = check_advanced(_search(catalogue, "filter=points gt 3"), catalogue)
    assert fine.advanced_error is None
    assert check_advanced(_search(catalogue, "filter=points gt 3"), USER_CATALOGUE).advanced_error


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://example.org/a?b=1", True),
        ("http://example.org", True),
        ("mailto:a@example.org", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("vbscript:x", False),
        ("//evil.example/x", False),
        ("/relative", False),
        ("https://exa mple.org", False),
        (42, False),
        (None, False),
    ],
)
def test_safe_url_keeps_only_allowed_schemes(value: object, kept: bool) -> None:
    assert safe_url(value) == (value if kept else None)
