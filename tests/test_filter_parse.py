"""Parsing and rendering SCIM filters: RFC 7644 examples, error columns, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    ValuePath,
    attr,
    bind,
    parse,
    to_text,
)
from idconnect.core.filter.parse import MAX_CONDITIONS
from idconnect.core.schema import CORE_USER_SCHEMA, EXTENSION_SCHEMA, USER_CATALOGUE
from idconnect.testing.strategies import filter_texts, filters

RFC_EXAMPLES = [
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'userName sw "J"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    "title pr",
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.lastModified ge "2011-05-13T04:42:34Z"',
    'meta.lastModified lt "2011-05-13T04:42:34Z"',
    'meta.lastModified le "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails.type eq "work")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or '
    'ims[type eq "xmpp" and value co "@foo.com"]',
]


def p(text: str, sub: str | None = None, schema: str | None = None) -> AttrPath:
    return AttrPath(text, sub, schema)


@pytest.mark.parametrize("text", RFC_EXAMPLES)
def test_rfc_examples_parse_and_round_trip(text: str) -> None:
    tree = parse(text)
    rendered = to_text(tree)
    assert parse(rendered) == tree
    assert to_text(parse(rendered)) == rendered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen"', Comparison(p("userName"), CompareOp.EQ, "bjensen")),
        (
            'name.familyName co "O\'Malley"',
            Comparison(p("name", "familyName"), CompareOp.CO, "O'Malley"),
        ),
        (
            'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
            Comparison(p("userName", schema=CORE_USER_SCHEMA), CompareOp.SW, "J"),
        ),
        ("title pr", Present(p("title"))),
        (
            'title pr or userType eq "Intern"',
            Or(Present(p("title")), Comparison(p("userType"), CompareOp.EQ, "Intern")),
        ),
        (
            'userType ne "Employee" and not (emails co "example.com" or '
            'emails.value co "example.org")',
            And(
                Comparison(p("userType"), CompareOp.NE, "Employee"),
                Not(
                    Or(
                        Comparison(p("emails"), CompareOp.CO, "example.com"),
                        Comparison(p("emails", "value"), CompareOp.CO, "example.org"),
                    )
                ),
            ),
        ),
        (
            'userType eq "Employee" and (emails.type eq "work")',
            And(
                Comparison(p("userType"), CompareOp.EQ, "Employee"),
                Comparison(p("emails", "type"), CompareOp.EQ, "work"),
            ),
        ),
        (
            'emails[type eq "work" and value co "@example.com"] or '
            'ims[type eq "xmpp" and value co "@foo.com"]',
            Or(
                ValuePath(
                    p("emails"),
                    And(
                        Comparison(p("type"), CompareOp.EQ, "work"),
                        Comparison(p("value"), CompareOp.CO, "@example.com"),
                    ),
                ),
                ValuePath(
                    p("ims"),
                    And(
                        Comparison(p("type"), CompareOp.EQ, "xmpp"),
                        Comparison(p("value"), CompareOp.CO, "@foo.com"),
                    ),
                ),
            ),
        ),
    ],
)
def test_rfc_examples_trees(text: str, expected: Filter) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a pr or b pr and c pr", Or(Present(p("a")), And(Present(p("b")), Present(p("c"))))),
        ("a pr and b pr or c pr", Or(And(Present(p("a")), Present(p("b"))), Present(p("c")))),
        ("a pr and b pr and c pr", And(And(Present(p("a")), Present(p("b"))), Present(p("c")))),
        ("a pr or b pr or c pr", Or(Or(Present(p("a")), Present(p("b"))), Present(p("c")))),
        ("a pr and (b pr or c pr)", And(Present(p("a")), Or(Present(p("b")), Present(p("c"))))),
        ("((a pr))", Present(p("a"))),
        (
            "A PR AND NOT (B Pr) oR c pR",
            Or(And(Present(p("A")), Not(Present(p("B")))), Present(p("c"))),
        ),
        ('x EQ "v"', Comparison(p("x"), CompareOp.EQ, "v")),
        ("x eq TRUE", Comparison(p("x"), CompareOp.EQ, True)),
        ("x eq false", Comparison(p("x"), CompareOp.EQ, False)),
        ("x eq Null", Comparison(p("x"), CompareOp.EQ, None)),
        ("x gt -12", Comparison(p("x"), CompareOp.GT, -12)),
        ("x lt 2.5e3", Comparison(p("x"), CompareOp.LT, 2500.0)),
        ("x le 0", Comparison(p("x"), CompareOp.LE, 0)),
        (
            'x eq "a\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00"',
            Comparison(p("x"), CompareOp.EQ, 'a"b\\c/d\né😀'),
        ),
        ('x eq "é ß 東京"', Comparison(p("x"), CompareOp.EQ, "é ß 東京")),
        ("  \tx   pr\n", Present(p("x"))),
        ('x eq"v"', Comparison(p("x"), CompareOp.EQ, "v")),
        ("eq eq 1", Comparison(p("eq"), CompareOp.EQ, 1)),
        ("pr pr", Present(p("pr"))),
        ("a-b_c9 pr", Present(p("a-b_c9"))),
        (
            f"{EXTENSION_SCHEMA}:failedAttempts.otp ge 3",
            Comparison(p("failedAttempts", "otp", EXTENSION_SCHEMA), CompareOp.GE, 3),
        ),
        ("emails[not (type pr)]", ValuePath(p("emails"), Not(Present(p("type"))))),
        (
            'emails[(type eq "a" or type eq "b") and value pr]',
            ValuePath(
                p("emails"),
                And(
                    Or(
                        Comparison(p("type"), CompareOp.EQ, "a"),
                        Comparison(p("type"), CompareOp.EQ, "b"),
                    ),
                    Present(p("value")),
                ),
            ),
        ),
    ],
)
def test_grammar(text: str, expected: Filter) -> None:
    tree = parse(text)
    assert tree == expected
    assert repr(tree) == repr(expected)  # True is not 1, 2500.0 is not 2500


def test_number_types_are_kept() -> None:
    assert type(parse("x eq 1").value) is int  # type: ignore[union-attr]
    assert type(parse("x eq 1.0").value) is float  # type: ignore[union-attr]
    assert type(parse("x eq 1e2").value) is float  # type: ignore[union-attr]
    assert parse("x eq true").value is True  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("built", "text"),
    [
        (attr("userName").eq("bjensen"), 'userName eq "bjensen"'),
        (
            attr("title").present() & attr("userType").eq("Employee"),
            'title pr and userType eq "Employee"',
        ),
        (
            attr("title").present() | ~attr("userType").ne("Intern"),
            'title pr or not (userType ne "Intern")',
        ),
        (
            attr("emails").where(attr("type").eq("work") & attr("value").co("@example.com")),
            'emails[type eq "work" and value co "@example.com"]',
        ),
        (
            attr(f"{CORE_USER_SCHEMA}:name.givenName").sw("B"),
            f'{CORE_USER_SCHEMA}:name.givenName sw "B"',
        ),
        (attr("meta.created").lt("2024-01-01"), 'meta.created lt "2024-01-01"'),
    ],
)
def test_builder_makes_the_parser_tree(built: Filter, text: str) -> None:
    assert built == parse(text)
    assert to_text(built) == text


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
        ("(a pr and b pr) and c pr", "a pr and b pr and c pr"),
        ("a pr or (b pr and c pr)", "a pr or b pr and c pr"),
        ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        ("not(a pr)", "not (a pr)"),
        ('X   EQ   "\\u0041"', 'X eq "A"'),
        ('x eq "tab\\tquote\\"back\\\\"', 'x eq "tab\\tquote\\"back\\\\"'),
        ("x eq 1E2", "x eq 100.0"),
        ("x ne NULL", "x ne null"),
        (
            'emails[type eq "w"] and not (emails[value pr])',
            'emails[type eq "w"] and not (emails[value pr])',
        ),
    ],
)
def test_canonical_text(text: str, rendered: str) -> None:
    assert to_text(parse(text)) == rendered


def test_bound_value_paths_render_relative_paths() -> None:
    bound = bind(
        parse('EMAILS[TYPE eq "work"] and meta.created gt "2024-05-01T14:00:00+02:00"'),
        USER_CATALOGUE,
    )
    assert bound.left.filter.path == AttrPath("emails", "type")  # type: ignore[union-attr]
    assert to_text(bound) == 'emails[type eq "work"] and meta.created gt "2024-05-01T12:00:00Z"'


def test_rendering_rejects_values_with_no_text() -> None:
    with pytest.raises(FilterError, match="finite"):
        to_text(attr("x").eq(float("nan")))


MALFORMED = [
    (
        'userName equals "bjensen"',
        10,
        "expected a comparison operator after 'userName', found 'equals'",
    ),
    (
        'userName eq "bjensen',
        13,
        "unterminated string: expected a closing '\"', found end of input",
    ),
    (
        '(userName eq "x"',
        17,
        "expected 'and', 'or' or ')' to close the '(' at column 1, found end of input",
    ),
    ('(userName eq "x" title pr)', 18, "to close the '(' at column 1, found 'title'"),
    ('emails[type eq "work"', 22, "']' to close the '[' at column 7, found end of input"),
    ('userName eq "x" extra', 17, "expected 'and', 'or' or end of input, found 'extra'"),
    ('userName eq "x")', 16, "expected 'and', 'or' or end of input, found ')'"),
    ("", 1, "the filter is empty"),
    ("   ", 4, "the filter is empty"),
    ("userName eq", 12, "expected a value after 'eq'"),
    (
        "userName eq bjensen",
        13,
        "expected a value after 'eq' (a quoted string, number, true, false or null), "
        "found 'bjensen'",
    ),
    ("userName eq 01", 13, "expected a value after 'eq'"),
    ("userName eq )", 13, "expected a value after 'eq'"),
    ('title pr "x"', 10, "'pr' takes no value"),
    ("title pr 5", 10, "'pr' takes no value"),
    ('emails[type[value eq "x"]]', 12, "value paths cannot be nested"),
    ('emails[value.x eq "a"]', 8, "expected a sub-attribute name of 'emails'"),
    ('emails[urn:a:b:value eq "a"]', 8, "expected a sub-attribute name of 'emails'"),
    ("emails[]", 8, "expected an attribute path, '(' or 'not (', found ']'"),
    ('not userName eq "x"', 5, "expected '(' after 'not', found 'userName'"),
    ("not", 4, "expected '(' after 'not', found end of input"),
    ('userName eq "x" and', 20, "expected an attribute path, '(' or 'not (', found end of input"),
    ('userName eq "x" and or title pr', 21, "found 'or'"),
    ('userName eq "x" and ()', 22, "found ')'"),
    ('"x" eq userName', 1, "expected an attribute path"),
    ('user name eq "x"', 6, "after 'user', found 'name'"),
    ('usér eq "x"', 1, "expected an attribute path, '(' or 'not (', found 'usér'"),
    ("name..givenName pr", 1, "expected an attribute path"),
    ("name.given.name pr", 1, "expected an attribute path"),
    ('urn:foo eq "x"', 1, "expected an attribute path"),
    ('userName eq "\\q"', 14, "bad escape in string: expected a JSON escape"),
    ('userName eq "a\\u12"', 15, "bad escape in string"),
    ('userName eq "a\\', 15, "bad escape in string"),
    ('userName eq "tab\there"', 17, "found control character U+0009"),
    ("userName eq 1e999", 13, "number too large"),
    ("userName eq " + "9" * 5000, 13, "number too large"),
]


@pytest.mark.parametrize(("text", "column", "fragment"), MALFORMED)
def test_malformed_filters(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse(text)
    error = caught.value
    assert error.message.startswith(f"column {column}: ")
    assert fragment in error.message
    assert error.details["column"] == column
    assert error.details["expected"] in error.message
    assert error.details["found"] in error.message


@pytest.mark.parametrize("value", [None, 42, b'userName eq "x"', ["title pr"]])
def test_non_string_input(value: object) -> None:
    with pytest.raises(FilterError, match="must be a string"):
        parse(value)  # type: ignore[arg-type]


def test_length_limit() -> None:
    parse("title pr".ljust(10_000))
    with pytest.raises(FilterError) as caught:
        parse("title pr".ljust(10_001))
    assert caught.value.message.startswith("column 10001: filter too long")


@pytest.mark.parametrize(
    ("opening", "closing", "levels"),
    [("(", ")", 1), ("not (", ")", 1), ("emails[not (", ")]", 2)],
)
def test_depth_limit(opening: str, closing: str, levels: int) -> None:
    def nested(depth: int) -> str:
        outer = depth - levels
        return "(" * outer + opening + "type pr" + closing + ")" * outer

    parse(nested(50))
    with pytest.raises(FilterError, match="nested too deeply"):
        parse(nested(51))


def test_no_recursion_error_escapes() -> None:
    with pytest.raises(FilterError) as caught:
        parse("(" * 4000 + "a pr" + ")" * 4000)
    assert caught.value.details["column"] == 51
    with pytest.raises(FilterError):
        parse("not (" * 2000)


def test_the_longest_allowed_chain_parses_compares_and_renders() -> None:
    text = " and ".join(["a pr"] * MAX_CONDITIONS)
    tree = parse(text)
    assert tree == parse(text) and hash(tree) == hash(parse(text))
    assert to_text(tree) == text


def test_one_condition_too_many_is_refused_with_its_column() -> None:
    text = " or ".join(["a pr"] * (MAX_CONDITIONS + 1))
    with pytest.raises(FilterError) as caught:
        parse(text)
    column = len(" or ".join(["a pr"] * MAX_CONDITIONS)) + len(" or ") + 1
    assert caught.value.details["column"] == column
    assert f"at most {MAX_CONDITIONS} conditions" in str(caught.value)


# Unbound trees with arbitrary names, schemas and values.
_RESERVED = {"and", "or", "not"}
_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,6}", fullmatch=True).filter(
    lambda n: n.lower() not in _RESERVED
)
_schemas = st.sampled_from([None, CORE_USER_SCHEMA, EXTENSION_SCHEMA, "urn:example:x:1.0"])
_paths = st.builds(AttrPath, _names, st.none() | _names, _schemas)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)


def _unbound(paths: st.SearchStrategy[AttrPath], value_paths: bool) -> st.SearchStrategy[Filter]:
    leaves = st.one_of(
        st.builds(Comparison, paths, st.sampled_from(CompareOp), _values),
        st.builds(Present, paths),
    )

    def extend(children: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
        options = [
            st.builds(And, children, children),
            st.builds(Or, children, children),
            st.builds(Not, children),
        ]
        if value_paths:
            inner = _unbound(st.builds(AttrPath, _names), value_paths=False)
            options.append(st.builds(ValuePath, paths, inner))
        return st.one_of(options)

    return st.recursive(leaves, extend, max_leaves=12)


unbound_filters = _unbound(_paths, value_paths=True)


@given(unbound_filters)
def test_round_trip_unbound(tree: Filter) -> None:
    text = to_text(tree)
    again = parse(text)
    assert again == tree
    assert repr(again) == repr(tree)
    assert to_text(again) == text


@given(filters())
def test_round_trip_bound(tree: Filter) -> None:
    assert bind(parse(to_text(tree)), USER_CATALOGUE) == tree


@given(filter_texts(max_depth=2, allow_nul=True))
def test_generated_texts_are_canonical(text: str) -> None:
    assert to_text(bind(parse(text), USER_CATALOGUE)) == text


@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_filter_error(text: str) -> None:
    try:
        tree = parse(text)
    except FilterError as error:
        assert error.message.startswith(f"column {error.details['column']}: ")
    else:
        assert parse(to_text(tree)) == tree


def test_long_tokens_are_quoted_short() -> None:
    with pytest.raises(FilterError) as caught:
        parse("userName eq " + "a" * 500)
    assert caught.value.message.endswith("found '" + "a" * 40 + "…'")
