"""The LogQL subset the world's log API understands: a stream selector and line filters.

`parse('{app="api", level!~"debug|trace"} |= "error" != "timeout" |~ "code=5.."')` gives a
`LogQuery`; `query.selects(labels)` and `query.keeps(line)` apply it. Label matchers are
`=`, `!=`, `=~`, `!~` (regexes fully anchored, as in Loki); line filters `|=`, `!=`, `|~`,
`!~`, chained. Strings are double-quoted (Go escapes) or back-quoted (raw). Anything else
(parsers, label filters, metric queries) is a `LogQLError` that says so; errors read like
Loki's (`parse error at line 1, col N: ...`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

MatchOp = Literal["=", "!=", "=~", "!~"]
FilterOp = Literal["|=", "!=", "|~", "!~"]

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      |(?P<ident>[a-zA-Z_][a-zA-Z0-9_]*)
      |(?P<string>"(?:[^"\\\n]|\\.)*"|`[^`]*`)
      |(?P<number>[0-9][0-9a-zA-Z.]*)
      |(?P<op>=~|!~|!=|\|=|\|~|=|\{|\}|,|\||\(|\)|\[|\])""",
    re.VERBOSE,
)
_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\\\"'])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3})|(.))"
)
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_UNSUPPORTED = (
    "is not supported by this log API, which serves stream selectors and the line "
    "filters |=, !=, |~ and !~"
)


class LogQLError(ValueError):
    """A query this API rejects; `str()` is the message Loki-style clients show."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    regex: re.Pattern[str] | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.regex is not None:
            return (self.regex.fullmatch(actual) is not None) == (self.op == "=~")
        return (actual == self.value) == (self.op == "=")


@dataclass(frozen=True)
class LineFilter:
    op: FilterOp
    value: str
    regex: re.Pattern[str] | None = None

    def keeps(self, line: str) -> bool:
        if self.regex is not None:
            return (self.regex.search(line) is not None) == (self.op == "|~")
        return (self.value in line) == (self.op == "|=")


@dataclass(frozen=True)
class LogQuery:
    matchers: tuple[Matcher, ...]
    filters: tuple[LineFilter, ...] = ()

    def selects(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def keeps(self, line: str) -> bool:
        return all(f.keeps(line) for f in self.filters)


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, string, op, end
    text: str
    col: int


def parse(query: str) -> LogQuery:
    """The query, or a `LogQLError` with Loki's wording."""
    tokens = _tokens(query)
    matchers, pos = _selector(tokens, 0)
    filters: list[LineFilter] = []
    while tokens[pos].kind != "end":
        tok = tokens[pos]
        if tok.text not in ("|=", "!=", "|~", "!~"):
            what = "'| ...' (a parser or label filter)" if tok.text == "|" else repr(tok.text)
            raise LogQLError(f"parse error at line 1, col {tok.col}: {what} {_UNSUPPORTED}")
        value = _expect_string(tokens[pos + 1])
        op: FilterOp = tok.text  # type: ignore[assignment]
        regex = _compile(value, anchored=False) if op in ("|~", "!~") else None
        filters.append(LineFilter(op, value, regex))
        pos += 2
    if not any(m.op in ("=", "=~") and not m.matches({}) for m in matchers):
        raise LogQLError(
            "parse error : queries require at least one regexp or equality matcher that "
            'does not have an empty-compatible value. For instance, app=~".*" does not meet '
            'this requirement, but app=~".+" will'
        )
    return LogQuery(tuple(matchers), tuple(filters))


def parse_selector(query: str) -> LogQuery:
    """A bare stream selector (for the label and series endpoints)."""
    parsed = parse(query)
    if parsed.filters:
        raise LogQLError("only label matchers are supported")
    return parsed


def _selector(tokens: list[_Token], pos: int) -> tuple[list[Matcher], int]:
    first = tokens[pos]
    if first.text != "{":
        if first.kind == "ident":
            what = f"metric query {first.text}(...)"
            raise LogQLError(f"parse error at line 1, col {first.col}: {what} {_UNSUPPORTED}")
        raise _unexpected(first, "{")
    pos += 1
    matchers: list[Matcher] = []
    while True:
        name, op, value = tokens[pos], tokens[pos + 1], tokens[pos + 2]
        if name.kind != "ident":
            raise _unexpected(name, "IDENTIFIER")
        if op.text not in ("=", "!=", "=~", "!~"):
            raise _unexpected(op, "=, !=, =~ or !~")
        text = _expect_string(value)
        regex = _compile(text, anchored=True) if op.text in ("=~", "!~") else None
        matchers.append(Matcher(name.text, op.text, text, regex))  # type: ignore[arg-type]
        sep = tokens[pos + 3]
        pos += 4
        if sep.text == "}":
            return matchers, pos
        if sep.text != ",":
            raise _unexpected(sep, ", or }")


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None:
            where = f"parse error at line 1, col {pos + 1}"
            if query[pos] in '"`':
                raise LogQLError(f"{where}: literal not terminated")
            raise LogQLError(f"{where}: syntax error: unexpected {query[pos]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            out.append(_Token(kind, match.group(), pos + 1))
        pos = match.end()
    end = _Token("end", "$end", len(query) + 1)
    return [*out, end, end, end, end]  # lookahead never runs off the end


def _expect_string(tok: _Token) -> str:
    if tok.kind != "string":
        raise _unexpected(tok, "STRING")
    body = tok.text[1:-1]
    if tok.text[0] == "`":
        return body
    return _ESCAPE.sub(lambda m: _unescape(m, tok), body)


def _unescape(match: re.Match[str], tok: _Token) -> str:
    simple, hex2, hex4, hex8, octal, bad = match.groups()
    if bad is not None:
        raise LogQLError(f"parse error at line 1, col {tok.col}: invalid char escape")
    if simple is not None:
        return _SIMPLE.get(simple, simple)
    code = hex2 or hex4 or hex8
    return chr(int(code, 16)) if code else chr(int(octal, 8))


def _compile(pattern: str, anchored: bool) -> re.Pattern[str]:
    try:
        return re.compile(pattern if not anchored else f"(?:{pattern})")
    except re.error as exc:
        raise LogQLError(f"parse error : error parsing regexp: {exc}: `{pattern}`") from None


def _unexpected(tok: _Token, expecting: str) -> LogQLError:
    what = {"ident": "IDENTIFIER", "string": "STRING", "end": "$end"}.get(tok.kind, tok.text)
    where = f"parse error at line 1, col {tok.col}"
    return LogQLError(f"{where}: syntax error: unexpected {what}, expecting {expecting}")
