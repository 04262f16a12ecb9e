"""Bound values past an attribute's range: integers folded exactly, instants refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import idconnect
from idconnect.core.errors import FilterError
from idconnect.core.filter import (
    And,
    AttrPath,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    bind,
    evaluate,
    parse,
)
from idconnect.core.filter.bind import INTEGER_MAX, INTEGER_MIN
from idconnect.core.model import Account, FailedAttempts
from idconnect.core.schema import USER_CATALOGUE

PASSWORD = AttrPath("failedAttempts", "password")
PRESENT = Present(PASSWORD)
NEVER = And(PRESENT, Not(PRESENT))
ALWAYS = Not(NEVER)

ABOVE = [INTEGER_MAX + 1, 2**63 - 1, 2**63, 2**64, 10**40]
BELOW = [INTEGER_MIN - 1, -(2**63), -(2**63) - 1, -(10**40)]

FOLDS = {
    ("above", "eq"): NEVER,
    ("above", "ne"): ALWAYS,
    ("above", "gt"): NEVER,
    ("above", "ge"): NEVER,
    ("above", "lt"): PRESENT,
    ("above", "le"): PRESENT,
    ("below", "eq"): NEVER,
    ("below", "ne"): ALWAYS,
    ("below", "gt"): PRESENT,
    ("below", "ge"): PRESENT,
    ("below", "lt"): NEVER,
    ("below", "le"): NEVER,
}


@pytest.mark.parametrize(("side", "op"), sorted(FOLDS))
def test_out_of_range_integers_fold_to_a_test_without_the_value(side: str, op: str) -> None:
    for value in ABOVE if side == "above" else BELOW:
        bound = bind(parse(f"failedAttempts.password {op} {value}"), USER_CATALOGUE)
        assert bound == FOLDS[side, op], value
        assert bind(bound, USER_CATALOGUE) == bound


@pytest.mark.parametrize("value", [INTEGER_MAX, INTEGER_MIN, 0, -1, 2**31 - 2])
def test_integers_in_range_stay_comparisons(value: int) -> None:
    for op in CompareOp:
        if op in (CompareOp.CO, CompareOp.SW, CompareOp.EW):
            continue
        bound = bind(Comparison(PASSWORD, op, value), USER_CATALOGUE)
        assert bound == Comparison(PASSWORD, op, value)


def test_folding_works_inside_and_or_not_and_with_schema_prefixes() -> None:
    text = (
        "urn:ietf:params:scim:schemas:extension:idconnect:2.0:User:failedAttempts.otp"
        f' gt {2**70} or not (failedAttempts.password lt {2**40}) and userName eq "x"'
    )
    otp = Present(AttrPath("failedAttempts", "otp"))
    assert bind(parse(text), USER_CATALOGUE) == Or(
        And(otp, Not(otp)),
        And(Not(PRESENT), Comparison(AttrPath("userName"), CompareOp.EQ, "x")),
    )


def account(password: int, otp: int) -> Account:
    return Account(
        id="u-1", user_name="u", failed_attempts=FailedAttempts(password=password, otp=otp)
    )


counts = st.integers(0, INTEGER_MAX)
any_integer = st.one_of(
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([*ABOVE, *BELOW, INTEGER_MAX, INTEGER_MIN]),
)
orderings = st.sampled_from(
    [CompareOp.EQ, CompareOp.NE, CompareOp.GT, CompareOp.GE, CompareOp.LT, CompareOp.LE]
)


@given(password=counts, otp=counts, value=any_integer, op=orderings, negate=st.booleans())
def test_the_evaluator_agrees_with_the_folded_tree(
    password: int, otp: int, value: int, op: CompareOp, negate: bool
) -> None:
    comparison: Filter = Comparison(PASSWORD, op, value)
    if negate:
        comparison = Not(comparison)
    target = account(password, otp)
    # The unbound comparison is already canonical, so the evaluator compares the raw number.
    assert evaluate(bind(comparison, USER_CATALOGUE), target) == evaluate(comparison, target)


@pytest.mark.parametrize(
    "text",
    [
        "10000-01-01T00:00:00Z",
        "+10000-01-01",
        "99999-12-31",
        "0000-06-01T00:00:00Z",
        "-0001-01-01",
        "9999-12-31T23:00:00-02:00",
        "0001-01-01T00:30:00+01:00",
    ],
)
def test_instants_past_year_9999_or_before_year_1_are_refused_naming_the_value(
    text: str,
) -> None:
    for op in ("eq", "lt", "gt"):
        with pytest.raises(FilterError) as caught:
            bind(parse(f'meta.created {op} "{text}"'), USER_CATALOGUE)
        assert repr(text) in str(caught.value) and "year 1 to year 9999" in str(caught.value)
        assert caught.value.details["attribute"] == "meta.created"


def test_aware_datetimes_past_the_range_are_refused() -> None:
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-2)))
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3)))
    for value in (late, early):
        with pytest.raises(FilterError, match="year 1 to year 9999"):
            bind(Comparison(AttrPath("lastLogin"), CompareOp.LT, value), USER_CATALOGUE)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("9999-12-31T23:59:59.999999Z", datetime.max.replace(tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime.min.replace(tzinfo=UTC)),
        ("9999-12-31T23:00:00+02:00", datetime(9999, 12, 31, 21, tzinfo=UTC)),
    ],
)
def test_instants_at_the_ends_of_the_range_bind(text: str, instant: datetime) -> None:
    bound = bind(parse(f'meta.created ge "{text}"'), USER_CATALOGUE)
    assert bound == Comparison(AttrPath("meta", "created"), CompareOp.GE, instant)


def test_a_real_store_answers_out_of_range_integers_like_the_evaluator(tmp_path: Path) -> None:
    # Through the facade the store only ever sees the folded tree.
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"s": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 's.db'}"}},
    }
    with idconnect.connect(config) as hub:
        store = hub.store("s")
        for name in ("ann", "bob"):
            store.create_account({"userName": name}, reason="range test")
        every = {"ann", "bob"}
        for text, expected in (
            (f"failedAttempts.password lt {2**63}", every),
            (f"failedAttempts.password le {2**64}", every),
            (f"failedAttempts.password ge {2**31}", set()),
            (f"failedAttempts.password eq {2**63}", set()),
            (f"failedAttempts.password ne {2**63}", every),
            (f"failedAttempts.otp gt {-(2**63) - 1}", every),
            (f"not (failedAttempts.otp lt {-(2**40)})", every),
        ):
            page = store.search_accounts(text)
            assert {a.user_name for a in page.items} == expected, text
