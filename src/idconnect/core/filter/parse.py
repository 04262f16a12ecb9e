"""The SCIM 2.0 filter parser (RFC 7644 §3.4.2.2): filter text in, :mod:`.ast` tree out.

A hand-written scanner and recursive-descent parser for::

    filter     = orExp
    orExp      = andExp *("or" andExp)              ; left-associative
    andExp     = term *("and" term)                 ; "and" binds tighter than "or"
    term       = "not" "(" filter ")" / "(" filter ")" / attrPath "[" valFilter "]"
               / attrPath "pr" / attrPath compareOp compValue
    attrPath   = [URN ":"] ATTRNAME ["." ATTRNAME]
    compareOp  = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "ge" / "lt" / "le"
    compValue  = "true" / "false" / "null" / JSON number / JSON string

Keywords, operators and ``true``/``false``/``null`` are matched ignoring case. Inside a value
path (``emails[type eq "work"]``) attribute paths are plain names relative to the value path and
value paths do not nest. ``and``, ``or`` and ``not`` are reserved: they are never read as
attribute names.

Every syntax error is a :class:`~idconnect.core.errors.FilterError` whose message starts with
``column N:`` (1-based) and says what was expected and what was found; the same facts are in its
details as ``column``, ``expected`` and ``found``.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterator

from attrs import frozen

from idconnect.core.errors import FilterError
from idconnect.core.filter.ast import (
    And,
    AttrPath,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    Value,
    ValuePath,
)

__all__ = ["MAX_CONDITIONS", "MAX_DEPTH", "MAX_LENGTH", "parse"]

MAX_LENGTH = 10_000
"""The longest filter text accepted, in characters."""
MAX_DEPTH = 50
MAX_CONDITIONS = 200
"""The most attribute conditions one filter may hold (deeper trees exhaust Python's stack)."""
"""The deepest nesting of parentheses, ``not (...)`` and value paths accepted."""

_ATTRNAME = r"[A-Za-z][A-Za-z0-9_-]*"
_PATH_RE = re.compile(
    rf"(?:(?P<schema>[Uu][Rr][Nn]:[^:]+:.+):)?(?P<name>{_ATTRNAME})"
    rf"(?:\.(?P<sub>{_ATTRNAME}))?"
)
_NAME_RE = re.compile(_ATTRNAME)
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?P<frac>\.[0-9]+)?(?P<exp>[eE][+-]?[0-9]+)?")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX4_RE = re.compile(r"[0-9A-Fa-f]{4}")
_PUNCTUATION = "()[]"
_RESERVED = frozenset({"and", "or", "not"})
_OPERATORS = {op.value: op for op in CompareOp}
_TERM_START = "an attribute path, '(' or 'not ('"
_QUOTED = 40
"""The longest piece of filter text an error message quotes."""


class _Kind(enum.Enum):
    WORD = "word"
    STRING = "string"
    PUNCT = "punctuation"
    END = "end"


@frozen
class _Token:
    kind: _Kind
    text: str
    """The token as written (a string token with its quotes and escapes)."""
    column: int
    """1-based column of its first character."""
    value: str = ""
    """The decoded value of a string token."""

    @property
    def shown(self) -> str:
        """How an error message quotes the token."""
        return "end of input" if self.kind is _Kind.END else _quote(self.text)

    def is_word(self, *words: str) -> bool:
        return self.kind is _Kind.WORD and self.text.lower() in words

    def is_punct(self, char: str) -> bool:
        return self.kind is _Kind.PUNCT and self.text == char


def _quote(text: str) -> str:
    """Quote source text for a message, cut short when long."""
    return repr(text if len(text) <= _QUOTED else text[:_QUOTED] + "…")


def _error(column: int, expected: str, found: str, prefix: str = "") -> FilterError:
    return FilterError(
        f"column {column}: {prefix}expected {expected}, found {found}",
        column=column,
        expected=expected,
        found=found,
    )


class _Scanner:
    """Splits filter text into tokens on demand (whitespace separates, punctuation splits)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._peeked: _Token | None = None

    def peek(self) -> _Token:
        if self._peeked is None:
            self._peeked = self._scan()
        return self._peeked

    def take(self) -> _Token:
        token = self.peek()
        self._peeked = None
        return token

    def _scan(self) -> _Token:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        column = pos + 1
        if pos == len(text):
            self.pos = pos
            return _Token(_Kind.END, "", column)
        char = text[pos]
        if char in _PUNCTUATION:
            self.pos = pos + 1
            return _Token(_Kind.PUNCT, char, column)
        if char == '"':
            return self._string(pos)
        end = pos
        while end < len(text) and not text[end].isspace() and text[end] not in '()[]"':
            end += 1
        self.pos = end
        return _Token(_Kind.WORD, text[pos:end], column)

    def _string(self, start: int) -> _Token:
        """Scan a JSON string starting at the quote at ``start``."""
        text, pos = self.text, start + 1
        out: list[str] = []
        while True:
            if pos >= len(text):
                raise _error(start + 1, "a closing '\"'", "end of input", "unterminated string: ")
            char = text[pos]
            if char == '"':
                break
            if char == "\\":
                pos = self._escape(pos, out)
                continue
            if char < " ":
                raise _error(
                    pos + 1,
                    "a character allowed in a JSON string (escape control characters)",
                    f"control character U+{ord(char):04X}",
                )
            out.append(char)
            pos += 1
        self.pos = pos + 1
        return _Token(_Kind.STRING, text[start : pos + 1], start + 1, "".join(out))

    def _escape(self, pos: int, out: list[str]) -> int:
        """Decode the escape at ``pos`` (a backslash) into ``out``; return the next position."""
        code = self.text[pos + 1 : pos + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            return pos + 2
        if code == "u" and _HEX4_RE.fullmatch(self.text, pos + 2, pos + 6):
            unit = int(self.text[pos + 2 : pos + 6], 16)
            pair = self.text[pos + 6 : pos + 12]
            if 0xD800 <= unit < 0xDC00 and pair[:2] == "\\u" and _HEX4_RE.fullmatch(pair[2:]):
                low = int(pair[2:], 16)
                if 0xDC00 <= low < 0xE000:
                    out.append(chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)))
                    return pos + 12
            out.append(chr(unit))
            return pos + 6
        found = repr("\\" + code) if code else "end of input"
        raise _error(
            pos + 1,
            'a JSON escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)',
            found,
            "bad escape in string: ",
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.scanner = _Scanner(text)
        self.depth = 0
        self.conditions = 0

    def parse(self) -> Filter:
        first = self.scanner.peek()
        if first.kind is _Kind.END:
            raise _error(first.column, _TERM_START, "end of input", "the filter is empty: ")
        result = self.or_expression(in_value_path=None)
        end = self.scanner.peek()
        if end.kind is not _Kind.END:
            raise _error(end.column, "'and', 'or' or end of input", end.shown)
        return result

    def or_expression(self, in_value_path: AttrPath | None) -> Filter:
        result = self.and_expression(in_value_path)
        while self.scanner.peek().is_word("or"):
            self.scanner.take()
            result = Or(result, self.and_expression(in_value_path))
        return result

    def and_expression(self, in_value_path: AttrPath | None) -> Filter:
        result = self.term(in_value_path)
        while self.scanner.peek().is_word("and"):
            self.scanner.take()
            result = And(result, self.term(in_value_path))
        return result

    def term(self, in_value_path: AttrPath | None) -> Filter:
        token = self.scanner.take()
        if token.is_word("not"):
            opening = self.scanner.take()
            if not opening.is_punct("("):
                raise _error(opening.column, "'(' after 'not'", opening.shown)
            return Not(self.group(opening, in_value_path))
        if token.is_punct("("):
            return self.group(token, in_value_path)
        path = self.attr_path(token, in_value_path)
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise _error(
                token.column,
                f"at most {MAX_CONDITIONS} conditions",
                _quote(token.text),
                "the filter is too long: ",
            )
        following = self.scanner.take()
        if following.is_punct("["):
            if in_value_path is not None:
                raise _error(
                    following.column,
                    f"a comparison operator or 'pr' after {_quote(token.text)}",
                    "'['",
                    "value paths cannot be nested: ",
                )
            return ValuePath(path, self.group(following, path))
        if following.is_word("pr"):
            after = self.scanner.peek()
            if after.kind is _Kind.STRING or _literal(after) is not None:
                raise _error(
                    after.column,
                    f"'and' or 'or' after {_quote(token.text + ' pr')}",
                    after.shown,
                    "'pr' takes no value: ",
                )
            return Present(path)
        if following.kind is _Kind.WORD and following.text.lower() in _OPERATORS:
            return Comparison(path, _OPERATORS[following.text.lower()], self.value(following))
        raise _error(
            following.column, f"a comparison operator after {_quote(token.text)}", following.shown
        )

    def group(self, opening: _Token, in_value_path: AttrPath | None) -> Filter:
        """Parse the filter after ``(`` or ``[`` up to its closing bracket."""
        closing = ")" if opening.text == "(" else "]"
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(
                opening.column,
                f"at most {MAX_DEPTH} levels of nesting",
                f"{opening.text!r} opening level {self.depth}",
                "filter nested too deeply: ",
            )
        inner = self.or_expression(in_value_path)
        end = self.scanner.take()
        if not end.is_punct(closing):
            raise _error(
                end.column,
                f"'and', 'or' or {closing!r} to close the {opening.text!r} at column "
                f"{opening.column}",
                end.shown,
            )
        self.depth -= 1
        return inner

    def attr_path(self, token: _Token, in_value_path: AttrPath | None) -> AttrPath:
        if token.kind is _Kind.WORD and token.text.lower() not in _RESERVED:
            if in_value_path is not None:
                if _NAME_RE.fullmatch(token.text):
                    return AttrPath(token.text)
                raise _error(
                    token.column,
                    f"a sub-attribute name of {str(in_value_path)!r} inside its '[...]'",
                    token.shown,
                )
            match = _PATH_RE.fullmatch(token.text)
            if match:
                return AttrPath(match["name"], match["sub"], match["schema"])
        raise _error(token.column, _TERM_START, token.shown)

    def value(self, operator: _Token) -> Value:
        token = self.scanner.take()
        if token.kind is _Kind.STRING:
            return token.value
        literal = _literal(token)
        if literal is None:
            raise _error(
                token.column,
                f"a value after {operator.text!r} (a quoted string, number, true, false or null)",
                token.shown,
            )
        return literal[0]


_LITERALS: dict[str, Value] = {"true": True, "false": False, "null": None}


def _literal(token: _Token) -> tuple[Value] | None:
    """The value of a ``true``/``false``/``null``/number token (in a 1-tuple), else ``None``."""
    if token.kind is not _Kind.WORD:
        return None
    word = token.text.lower()
    if word in _LITERALS:
        return (_LITERALS[word],)
    match = _NUMBER_RE.fullmatch(token.text)
    if not match:
        return None
    try:
        number: int | float = (
            float(token.text) if match["frac"] or match["exp"] else int(token.text)
        )
    except ValueError:  # more digits than int() accepts
        number = math.inf
    if math.isinf(number):
        raise _error(token.column, "a number of usual size", token.shown, "number too large: ")
    return (number,)


def parse(text: str) -> Filter:
    """Parse SCIM filter text into an AST.

    Filters that differ only in their string values (``emails.value eq "..."`` for each
    lookup) share one parse: the text with every string literal emptied is parsed once (the
    cache holds up to :data:`SHAPES_CACHED` shapes), and a filter of a known shape only
    gets its literals decoded and put in place. Anything that does not parse that way (errors
    included) is parsed in full, so a malformed filter gets the same error either way.

    :param text: the filter, e.g. ``userName eq "bjensen" and emails[type eq "work"]``; at most
        :data:`MAX_LENGTH` characters, nested at most :data:`MAX_DEPTH` levels deep.
    :returns: the tree, with paths as written (not yet bound to a catalogue).
    :raises FilterError: when ``text`` is not a string, is too long or too deeply nested, or is
        not a filter; the message starts with ``column N:`` and says what was expected and what
        was found (details ``column``, ``expected``, ``found``).
    """
    if isinstance(text, str) and len(text) <= MAX_LENGTH:
        shaped = _shaped(text)
        if shaped is not None:
            return shaped
    return _parse(text)


SHAPES_CACHED = 512
"""How many filter shapes (text with its string literals emptied) :func:`parse` keeps parsed."""

_LITERAL_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_CONTROL_RE = re.compile(r"[\x00-\x1f]")
_shapes: dict[str, tuple[Filter, int]] = {}


def _shaped(text: str) -> Filter | None:
    """Parse ``text`` through the cache of shapes; ``None`` when it must be parsed in full."""
    split = split_literals(text)
    if split is None:
        return None
    shape, values = split
    known = shape_template(shape)
    if known is None or known[1] != len(values):
        return None
    return fill(known[0], values) if values else known[0]


def split_literals(text: str) -> tuple[str, list[str]] | None:
    """Split filter text into its shape and the values of its string literals, in text order.

    :param text: filter text (of at most :data:`MAX_LENGTH` characters).
    :returns: the text with every string literal emptied (``""``) and the literals' decoded
        values; ``None`` when a literal does not decode (the text must be parsed in full).
    """
    if "\\" not in text and text.isprintable():  # no escapes, no control characters
        parts = text.split('"')
        if len(parts) % 2:  # without escapes, every other quote closes a literal
            return '""'.join(parts[::2]), parts[1::2]
    literals = _LITERAL_RE.findall(text)
    if not literals:
        return text, []
    values = []
    for literal in literals:
        if "\\" not in literal and not _CONTROL_RE.search(literal):
            values.append(literal[1:-1])
            continue
        try:
            values.append(_Scanner(literal).take().value)
        except FilterError:
            return None
    return _LITERAL_RE.sub('""', text), values


def shape_template(shape: str) -> tuple[Filter, int] | None:
    """Parse a shape (from :func:`split_literals`) once: its tree and its string comparisons.

    :param shape: filter text whose string literals are all empty.
    :returns: the tree and how many comparisons with a string value it holds, or ``None``
        when the shape does not parse (the filter must be parsed in full for its error).
    """
    known = _shapes.get(shape)
    if known is None:
        try:
            template = _parse(shape)
        except FilterError:
            return None
        known = (template, strings(template))
        if len(_shapes) >= SHAPES_CACHED:
            _shapes.clear()
        _shapes[shape] = known
    return known


def strings(node: Filter) -> int:
    """Count the comparisons with a string value a tree holds.

    :param node: a tree.
    :returns: how many there are.
    """
    if isinstance(node, And | Or):
        return strings(node.left) + strings(node.right)
    if isinstance(node, Not):
        return strings(node.operand)
    if isinstance(node, ValuePath):
        return strings(node.filter)
    return 1 if isinstance(node, Comparison) and isinstance(node.value, str) else 0


def fill(template: Filter, values: list[str]) -> Filter:
    """Put string values into a template's comparisons with a string value, in text order.

    :param template: a tree, e.g. from :func:`shape_template`.
    :param values: one value per such comparison (as :func:`strings` counts them).
    :returns: the tree with those values.
    """
    return _filled(template, iter(values))


_AND_OR = (And, Or)


def _filled(node: Filter, values: Iterator[str]) -> Filter:
    # the commonest node first, and no ``And | Or`` union built per node: every search fills
    if isinstance(node, Comparison):
        return Comparison(node.path, node.op, next(values)) if isinstance(node.value, str) else node
    if isinstance(node, _AND_OR):
        left = _filled(node.left, values)
        return type(node)(left, _filled(node.right, values))
    if isinstance(node, Not):
        return Not(_filled(node.operand, values))
    if isinstance(node, ValuePath):
        return ValuePath(node.path, _filled(node.filter, values))
    return node


def _parse(text: str) -> Filter:
    if not isinstance(text, str):
        raise FilterError(
            f"a filter must be a string, got {type(text).__name__}",
            expected="a string",
            found=type(text).__name__,
        )
    if len(text) > MAX_LENGTH:
        raise _error(
            MAX_LENGTH + 1,
            f"at most {MAX_LENGTH} characters",
            f"{len(text)} characters",
            "filter too long: ",
        )
    return _Parser(text).parse()
