"""A regular expression that can backtrack catastrophically: on an input that almost matches,
a backtracking engine tries exponentially many ways to split it, and one request pins a
CPU for seconds or minutes (ReDoS).

Catches, in a regex added by the change, a repetition whose body can match the same text
in more than one way:

- a nested quantifier: an unbounded repetition of a group that itself repeats without a
  separator that tells the iterations apart (`(a+)+`, `(\\w+\\s?)*`, `(.*)*`,
  `([a-z0-9]+[-.]?)+@`, `(.*,)*`);
- overlapping alternatives under a repetition (`(\\w|\\d)+`, `(.|\\s)*`, `(a|aa)+`).

Regexes are read from Python (`re.compile(r"...")` and the other `re`/`regex` calls),
Java/Kotlin/Scala (`Pattern.compile`, `matches`, `replaceAll`, `Regex(...)`, `.toRegex()`),
JavaScript/TypeScript and Ruby (`/.../` literals, `new RegExp(...)`, `%r{...}`,
`Regexp.new`), C# (`new Regex(@"...")`, `Regex.IsMatch`), PHP (`preg_*`), Go's backtracking
`regexp2`, SQL (`~`, `REGEXP`, `RLIKE`, `REGEXP_LIKE`) and `pattern:`/`regex:` keys of
configuration files. A repetition with nothing after it that can fail (`(a+)+` at the end of
an unanchored pattern) counts less; so does Ruby (3.2+ memoizes most such patterns).

Ignores Go's `regexp` and Rust's `regex` (RE2-style engines: linear time), possessive
quantifiers and atomic groups (`a++`, `(?>...)`), repetitions whose iterations are told
apart by a mandatory separator (`(\\d+\\.)+`, `(\\w+\\s)*`) or constrained by an anchor, a
lookaround or a back-reference inside them, alternations of single classes in Python (its
engine merges `(\\w|\\d)` into one class), polynomial cases of adjacent quantifiers
(`\\s*\\s*`), regexes that the change only moves (the same text removed), minified lines,
comments, docs and tests.
"""

from __future__ import annotations

import re
import string
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "regex_backtracking"
SYMPTOMS = ("cpu", "latency", "timeouts", "availability")

# --- finding the regexes on a line ------------------------------------------------------------

_STRING = re.compile(
    r"(?P<pre>[rRbBuUf@]{0,2})(?P<q>\"\"\"|'''|\"|'|`)(?P<body>(?:\\.|(?!(?P=q)).)*?)(?P=q)"
)
_CALLS: dict[str, re.Pattern[str]] = {
    "py": re.compile(r"\b(?:re|regex)\.(?:compile|match|fullmatch|search|findall|finditer|sub|"
                     r"subn|split)\(\s*"),
    "jvm": re.compile(r"(?:Pattern\.compile|Pattern\.matches|\.matches|\.replaceAll|"
                      r"\.replaceFirst|\bRegex|\.toPattern|\.split)\(\s*"),
    "js": re.compile(r"\b(?:new\s+)?RegExp\(\s*"),
    "rb": re.compile(r"\bRegexp\.new\(\s*"),
    "cs": re.compile(r"(?:new\s+Regex|Regex\.(?:IsMatch|Match|Matches|Replace|Split))\(\s*"
                     r"(?:[\w.\[\]]+\s*,\s*)?"),
    "go": re.compile(r"\bregexp2\.(?:MustCompile|Compile)\(\s*"),
    "rs": re.compile(r"\bfancy_regex::Regex::new\(\s*"),
}  # fmt: skip
_LANGUAGES = {
    "py": ("py",), "java": ("jvm",), "kt": ("jvm",), "kts": ("jvm",), "scala": ("jvm",),
    "groovy": ("jvm",), "js": ("js", "literal"), "jsx": ("js", "literal"),
    "mjs": ("js", "literal"), "cjs": ("js", "literal"), "ts": ("js", "literal"),
    "tsx": ("js", "literal"), "rb": ("rb", "literal"), "cs": ("cs",), "php": ("php",),
    "go": ("go",), "rs": ("rs",),
}  # fmt: skip
_TO_REGEX = re.compile(r"(?P<lit>\"\"\"(?:.*?)\"\"\"|\"(?:\\.|[^\"\\])*\")\.toRegex\(")
_LITERAL = re.compile(
    r"(?:^|[=(,:!&|?{};\[]|\breturn|=~|\bwhen|\bmatch|\bscan|\bgsub|\bsub)\s*"
    r"/(?P<body>(?:\\.|\[(?:\\.|[^\]\\])*\]|[^/\\\[\n])+)/[a-z]*"
)
_PERCENT_R = re.compile(r"%r\{(?P<body>(?:\\.|[^}\\])+)\}")
_PHP = re.compile(r"\bpreg_\w+\(\s*(?P<q>['\"])(?P<d>[^\w\s\\])(?P<body>.*?)(?P=d)[a-zA-Z]*(?P=q)")
_SQL = re.compile(
    r"(?:!?~\*?|\bREGEXP(?:_LIKE\s*\(\s*[\w.]+\s*,)?|\bRLIKE|\bSIMILAR\s+TO)\s*"
    r"'(?P<body>(?:''|[^'])*)'",
    re.I,
)
_CONFIG_KEY = re.compile(
    r"[\"']?\b(?:pattern|regex|regexp|\w+_regex|\w+_pattern|match_regex)[\"']?\s*[:=]\s*"
    r"(?P<value>.+?)\s*,?\s*$",
    re.I,
)
_CONFIG = re.compile(r"\.(ya?ml|json|toml|ini|cfg|conf|properties|env|tf|tfvars|hcl|xml)$", re.I)
_LONGEST = 2000  # a longer line is minified or generated code, not written in the change
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")


@dataclass(frozen=True)
class _Regex:
    text: str  # the pattern, unescaped as the engine sees it
    full: bool  # matched against the whole input (`fullmatch`, `matches`)


def detect(change: ChangeFacts) -> list[Finding]:
    found = []
    for file, patch in change.patches.items():
        if kinds.file_kind(file, patch) == "docs_tests":
            continue
        lines = diff.parse(patch)
        gone = {r.text for d in lines if d.sign == "-" for r in _regexes(file, d.text)}
        for d in lines:
            if d.sign != "+" or len(d.text) > _LONGEST or _COMMENT.match(d.text):
                continue
            for regex in _regexes(file, d.text):
                if regex.text in gone:
                    continue
                risk = risky(regex.text, merges_classes=file.endswith(".py"))
                if risk is None:
                    continue
                why, strength = risk
                if not regex.full and not _can_fail_after(regex.text):
                    strength *= 0.6
                if file.endswith(".rb"):
                    strength *= 0.8
                shown = regex.text if len(regex.text) <= 60 else regex.text[:57] + "..."
                message = f"regex `{shown}` can backtrack catastrophically: {why}"
                found.append(Finding(NAME, message, file, d.new, SYMPTOMS, round(strength, 2)))
                break
    return found


def _regexes(file: str, text: str) -> list[_Regex]:
    """The regex patterns a line writes, as the regex engine reads them."""
    if _COMMENT.match(text):
        return []
    extension = file.rsplit(".", 1)[-1].lower() if "." in file else ""
    out: list[_Regex] = []
    for language in _LANGUAGES.get(extension, ()):
        if language == "literal":
            out += [_Regex(m.group("body"), False) for m in _LITERAL.finditer(text)]
            if extension == "rb":
                out += [_Regex(m.group("body"), False) for m in _PERCENT_R.finditer(text)]
        elif language == "php":
            out += [_Regex(m.group("body"), False) for m in _PHP.finditer(text)]
        else:
            for call in _CALLS[language].finditer(text):
                literal = _STRING.match(text, call.end())
                if literal:
                    full = bool(re.search(r"fullmatch|matches", call.group(0)))
                    out.append(_Regex(_unescape(literal, language), full))
            if language == "jvm":
                for m in _TO_REGEX.finditer(text):
                    raw = m.group("lit").startswith('"""')
                    body = m.group("lit").strip('"')
                    out.append(_Regex(body if raw else body.replace("\\\\", "\\"), False))
    if extension == "sql" or re.search(r"\b(SELECT|WHERE)\b", text):
        out += [_Regex(m.group("body").replace("''", "'"), False) for m in _SQL.finditer(text)]
    if _CONFIG.search(file) and not out:
        found = _CONFIG_KEY.search(text)
        if found:
            out.append(_Regex(_config_value(found.group("value"), extension), False))
    return [r for r in out if r.text]


def _unescape(literal: re.Match[str], language: str) -> str:
    body, prefix, quote = literal.group("body"), literal.group("pre"), literal.group("q")
    raw = "r" in prefix.lower() or "@" in prefix or (quote == "`" and language == "go")
    raw = raw or (quote == '"""' and language == "jvm")
    if raw:
        return body.replace('""', '"') if "@" in prefix else body
    return body.replace("\\\\", "\0").replace('\\"', '"').replace("\\'", "'").replace("\0", "\\")


def _config_value(value: str, extension: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        escaped = value[0] == '"' and extension in ("json", "yaml", "yml", "toml", "tf", "hcl")
        return inner.replace("\\\\", "\\") if escaped else inner
    return value


def _can_fail_after(pattern: str) -> bool:
    """Whether something after the last group can fail (an anchor, a literal), so that a
    failing input makes the engine try every split."""
    rest = pattern.rstrip()
    return bool(re.search(r"(\$|\\z|\\Z|\\b)$", rest)) or not re.search(r"[)*+}]\??$", rest)


# --- reading a regex --------------------------------------------------------------------------

_UNIVERSE = string.printable + "é\u00a0"
_Kind = Literal["char", "empty", "anchor", "ref", "seq", "alt", "repeat"]
# "anchor": zero-width tests (`^`, `$`, `\b`, lookarounds); "ref": back-references, recursion


@dataclass
class _Node:
    kind: _Kind
    chars: frozenset[int] = frozenset()
    items: list[_Node] = field(default_factory=list)  # seq items, alt branches, repeat body
    low: int = 0
    high: int | None = None
    atomic: bool = False


_EMPTY = _Node("empty")
_ANCHOR = _Node("anchor")
_REF = _Node("ref")
_BIG = 10  # a repetition bounded at 10 or more backtracks like an unbounded one


def risky(pattern: str, merges_classes: bool = False) -> tuple[str, float] | None:
    """Why `pattern` can backtrack catastrophically, and how sure that is; None if it cannot
    (or cannot be read). `merges_classes`: the engine turns an alternation of single
    character classes into one class (Python's does: `(\\w|\\d)` is `[\\w\\d]` there)."""
    try:
        tree = _Parser(pattern).parse()
    except (IndexError, ValueError):
        return None
    found = [r for r in _walk(tree, merges_classes) if r is not None]
    return max(found, key=lambda r: r[1]) if found else None


def _walk(node: _Node, merges: bool) -> list[tuple[str, float] | None]:
    out = [_judge(node, merges)] if node.kind == "repeat" else []
    for child in node.items:
        out += _walk(child, merges)
    return out


def _judge(repeat: _Node, merges: bool) -> tuple[str, float] | None:
    body = repeat.items[0]
    if repeat.atomic or body.atomic or body.kind in ("char", "empty", "anchor", "ref"):
        return None
    if repeat.high is not None and repeat.high < _BIG:
        return None
    if _has(body, ("anchor", "ref")):
        return None  # a lookaround, an anchor or a back-reference constrains the iterations
    branches = body.items if body.kind == "alt" else [body]
    simple = [_simple(b) for b in branches]
    if merges and all(b.kind == "char" and b.chars != _charset(".") for b in branches):
        simple = []  # merged into one class by the engine: no ambiguity left
    for i, a in enumerate(simple):
        for b in simple[i + 1 :]:
            if a and b and a & b:
                return "overlapping alternatives under a repetition", 0.7
    best: tuple[str, float] | None = None
    for branch in branches:
        items = branch.items if branch.kind == "seq" else [branch]
        for i, item in enumerate(items):
            if not _unbounded(item):
                continue
            rest = items[:i] + items[i + 1 :]
            if all(_nullable(x) for x in rest):
                return "a repetition nested in a repetition, with nothing to tell them apart", 0.8
            swallow = _swallow(item)
            if all(_first(x) & swallow for x in rest if not _nullable(x)):
                best = ("a repetition nested in a repetition that can also match the rest", 0.6)
    return best


def _has(node: _Node, kinds: tuple[str, ...]) -> bool:
    return node.kind in kinds or any(_has(child, kinds) for child in node.items)


def _unbounded(node: _Node) -> bool:
    if node.kind == "repeat" and not node.atomic and (node.high is None or node.high >= _BIG):
        return True
    return any(_unbounded(child) for child in node.items) and not node.atomic


def _nullable(node: _Node) -> bool:
    if node.kind == "char":
        return False
    if node.kind in ("empty", "anchor", "ref"):
        return True
    if node.kind == "seq":
        return all(_nullable(x) for x in node.items)
    if node.kind == "alt":
        return any(_nullable(x) for x in node.items)
    return node.low == 0 or _nullable(node.items[0])


def _first(node: _Node) -> frozenset[int]:
    """The characters a match of `node` can start with."""
    if node.kind == "char":
        return node.chars
    if node.kind == "seq":
        out: frozenset[int] = frozenset()
        for item in node.items:
            out |= _first(item)
            if not _nullable(item):
                break
        return out
    return frozenset().union(*(_first(x) for x in node.items)) if node.items else frozenset()


def _swallow(node: _Node) -> frozenset[int]:
    """The characters the unbounded repetitions inside `node` can go on consuming."""
    if node.kind == "repeat" and (node.high is None or node.high >= _BIG):
        return _first(node.items[0]) | _swallow(node.items[0])
    return frozenset().union(*(_swallow(x) for x in node.items)) if node.items else frozenset()


def _simple(branch: _Node) -> frozenset[int] | None:
    """The characters of a branch made of one character class, repeated or not (`\\d`, `aa`,
    `\\w+`); None for anything else."""
    items = branch.items if branch.kind == "seq" else [branch]
    sets = set()
    for item in items:
        if item.kind == "repeat" and item.items[0].kind == "char":
            item = item.items[0]
        if item.kind != "char":
            return None
        sets.add(item.chars)
    return sets.pop() if len(sets) == 1 else None


class _Parser:
    """A recursive-descent reader of the common regex syntax (PCRE, Java, JS, Python, Ruby)
    into the shape the checks need: classes, sequences, alternatives, repetitions."""

    def __init__(self, pattern: str) -> None:
        self.s = pattern
        self.i = 0

    def parse(self) -> _Node:
        node = self._alt()
        if self.i != len(self.s):
            raise ValueError("unbalanced")
        return node

    def _alt(self) -> _Node:
        branches = [self._seq()]
        while self.i < len(self.s) and self.s[self.i] == "|":
            self.i += 1
            branches.append(self._seq())
        return branches[0] if len(branches) == 1 else _Node("alt", items=branches)

    def _seq(self) -> _Node:
        items = []
        while self.i < len(self.s) and self.s[self.i] not in "|)":
            items.append(self._quantified(self._atom()))
        return items[0] if len(items) == 1 else _Node("seq", items=items)

    def _quantified(self, node: _Node) -> _Node:
        s = self.s
        while self.i < len(s):
            bounds = re.match(r"\{(\d*)(,?)(\d*)\}", s[self.i :])
            if s[self.i] in "*+?":
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[s[self.i]]
                self.i += 1
            elif bounds and (bounds.group(1) or bounds.group(3)):
                low = int(bounds.group(1) or 0)
                high = (
                    int(bounds.group(3)) if bounds.group(3) else (None if bounds.group(2) else low)
                )
                self.i += bounds.end()
            else:
                return node
            possessive = self.i < len(s) and s[self.i] == "+"
            if self.i < len(s) and s[self.i] in "+?":
                self.i += 1
            node = _Node("repeat", items=[node], low=low, high=high, atomic=possessive)
        return node

    def _atom(self) -> _Node:
        s, c = self.s, self.s[self.i]
        if c == "(":
            return self._group()
        if c == "[":
            end = self._class_end(self.i)
            text = s[self.i : end + 1]
            self.i = end + 1
            return _Node("char", chars=_charset(text))
        if c == "\\":
            return self._escape()
        self.i += 1
        if c in "^$":
            return _ANCHOR
        if c == ".":
            return _Node("char", chars=_charset("."))
        return _Node("char", chars=_charset(re.escape(c)))

    def _group(self) -> _Node:
        s = self.s
        self.i += 1
        call = re.match(r"\?(R|[+-]?\d+|&\w+|P>\w+|P=\w+)\)", s[self.i :])
        if call:  # recursion, a subroutine call or a named back-reference
            self.i += call.end()
            return _REF
        look = re.match(r"\?(<?[=!]|>|[\w-]*:|P?<\w+>|'\w+'|[a-zA-Z-]+\))?", s[self.i :])
        prefix = look.group(0) if look else ""
        self.i += len(prefix)
        if prefix.endswith(")") and prefix[1:-1].replace("-", "").isalpha():
            return _EMPTY  # inline flags: (?i)
        inner = self._alt()
        if self.i >= len(s) or s[self.i] != ")":
            raise ValueError("unclosed group")
        self.i += 1
        if prefix in ("?=", "?!", "?<=", "?<!"):
            return _ANCHOR  # a lookaround matches no text, but constrains what does
        if prefix == "?>":
            inner = _Node(inner.kind, inner.chars, inner.items, inner.low, inner.high, True)
        return inner

    def _escape(self) -> _Node:
        s = self.s
        c = s[self.i + 1]
        self.i += 2
        if c in "bBAzZGK":
            return _ANCHOR
        if c.isdigit() and c != "0":
            return _REF
        if c in "pP" and self.i < len(s) and s[self.i] == "{":
            start, end = self.i - 2, s.index("}", self.i)
            self.i = end + 1
            return _Node("char", chars=_charset(f"[{s[start : end + 1]}]"))
        if c == "k":
            end = s.find(">", self.i)
            self.i = end + 1 if end >= 0 else self.i
            return _REF
        if c == "x" and s[self.i : self.i + 2].isalnum():
            self.i += 2
            return _Node("char", chars=_charset(f"\\x{s[self.i - 2 : self.i]}"))
        if c == "u" and len(s) >= self.i + 4:
            self.i += 4
            return _Node("char", chars=_charset(f"\\u{s[self.i - 4 : self.i]}"))
        if c == "h":
            return _Node("char", chars=_charset("[ \\t]"))
        if c in "dDwWsS":
            return _Node("char", chars=_charset(f"\\{c}"))
        return _Node("char", chars=_charset(re.escape(_ESCAPES.get(c, c))))

    def _class_end(self, start: int) -> int:
        s, i = self.s, start + 1
        if i < len(s) and s[i] == "^":
            i += 1
        if i < len(s) and s[i] == "]":
            i += 1
        while s[i] != "]":
            i += 2 if s[i] == "\\" else 1
        return i


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "e": "\x1b", "0": "\0"}


_PROPERTIES = {  # Unicode properties, as far as the small universe can tell them apart
    "l": "a-zA-Zé", "letter": "a-zA-Zé", "alpha": "a-zA-Zé", "alphabetic": "a-zA-Zé",
    "lu": "A-Z", "upper": "A-Z", "uppercase": "A-Z", "uppercaseletter": "A-Z",
    "ll": "a-zé", "lower": "a-zé", "lowercase": "a-zé", "lowercaseletter": "a-zé",
    "n": "0-9", "nd": "0-9", "digit": "0-9", "number": "0-9", "alnum": "a-zA-Z0-9é",
    "space": "\\s", "whitespace": "\\s", "z": "\\s", "zs": " \u00a0", "word": "\\w",
    "p": re.escape(string.punctuation), "punct": re.escape(string.punctuation),
    "punctuation": re.escape(string.punctuation), "ascii": "\\x00-\\x7f",
}  # fmt: skip
_VIRTUAL: dict[str, int] = {}  # other properties: characters of their own, outside the universe


@cache
def _charset(text: str) -> frozenset[int]:
    """The characters of a small universe that a class (`[a-z]`, `\\w`, `.`) matches; a
    property the universe cannot show (`\\p{Emoji}`) stands for characters of its own."""
    extra: set[int] = set()

    def swap(found: re.Match[str]) -> str:
        name = re.sub(r"^(is|in)|[\s_=-]", "", found.group(2).lower())
        if found.group(1) == "P":
            everything = (0, len(_UNIVERSE) + len(_VIRTUAL))
            extra.update(range(*everything))
            return ""
        if name in _PROPERTIES:
            return _PROPERTIES[name]
        extra.add(_VIRTUAL.setdefault(name, len(_UNIVERSE) + len(_VIRTUAL)))
        return ""

    text = re.sub(r"\\([pP])\{([^}]*)\}", swap, text).replace("\\h", " \\t")
    text = re.sub(r"\\[ux]\{([0-9a-fA-F]{1,6})\}", lambda m: re.escape(chr(int(m[1], 16))), text)
    if text == ".":
        text = "[^\\n\\r]"  # in most engines `.` stops at both
    if text in ("[]", "[^]"):
        return frozenset(extra)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # POSIX classes ([[:alpha:]]) warn in Python
            found = re.compile(text)
    except re.error:  # a syntax Python lacks: a class of its own, overlapping nothing
        return frozenset({_VIRTUAL.setdefault(text, len(_UNIVERSE) + len(_VIRTUAL))})
    return frozenset(i for i, ch in enumerate(_UNIVERSE) if found.fullmatch(ch)) | extra
