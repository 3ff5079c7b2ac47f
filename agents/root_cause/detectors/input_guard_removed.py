"""Input guard removed: a change that stops cleaning what users send before it is stored or
passed on: a sanitizer, an escape, a truncation or a filter of characters (`strip_tags`,
`strip_emoji=True`, `sanitize(...)`, `escape(...)`, `truncate(...)`, `clamp(...)`) taken away
with nothing like it added back. What it held back now reaches the store or the next service:
characters a column's character set cannot hold (`Incorrect string value`, 4-byte emoji in a
3-byte `utf8` column), values longer than a column (`Data too long`, `value too long for
type`), markup a renderer chokes on. Only the users who send such input fail, so it shows as a
share of errors on one write path.

Catches, in code outside docs and tests, a removed line that calls a guard or passes a guard
flag set to true (`strip_emoji=True`, `escape: true`), where no added line of the same file
calls or passes it again.

Ignores a plain `.strip()` or `trim()` (whitespace), encoders and serializers, a guard moved
within the file or renamed with the same stem, guards added, comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.detectors._lines import COMMENT
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "input_guard_removed"
SYMPTOMS = ("data", "size", "errors")

_GUARD = re.compile(
    r"\b(?P<name>(?:strip|remove|drop)_(?:emoji|astral|surrogates?|tags|html|control|non_?\w+|unicode|"
    r"invalid\w*)|sanitiz\w*|escape\w*|html_?escape|truncat\w*|clamp\w*|bleach\w*|"
    r"(?:to_)?ascii(?:fy)?|purify\w*|filter_?(?:chars|characters|unicode|emoji)\w*)"
    r"\s*(?:\(|[:=]\s*(?:True|true)\b)",
    re.I,
)


def detect(change: ChangeFacts) -> list[Finding]:
    added = _code(change.added)
    for line in _code(change.removed):
        for match in _GUARD.finditer(line.text):
            stem = match["name"].lower()
            if any(stem in a.text.lower() for a in added if a.file == line.file):
                continue
            return [Finding(
                NAME, f"stops cleaning the input it stored or passed on (`{match['name']}` "
                "taken away): characters or lengths it held back now reach the store (a "
                "column's character set or size rejects them) for the users who send them",
                line.file, line.line, SYMPTOMS, strength=0.45,
            )]  # fmt: skip
    return []


def _code(lines: tuple[Line, ...]) -> list[Line]:
    return [ln for ln in lines
            if kinds.file_kind(ln.file) == "code" and not COMMENT.match(ln.text)]  # fmt: skip
