"""The origins a browser may call an API from (CORS) narrowed: a wildcard origin pattern
(`https://*.example.com`, `*`) replaced by an explicit list, or origins removed from the
list. A page served from an origin no longer allowed gets its preflight refused (`403
Invalid CORS request`, no `Access-Control-Allow-Origin`), and the browser fails the call
before it is sent ("Failed to fetch", "NetworkError"): the API's own error rate stays flat
while a front-end on that origin stops working.

Catches, over the whole change (the patterns often move from code into configuration),
origins in lines about CORS (`cors`, `allowedOrigins`, `allowedOriginPatterns`,
`allowed-origins`, `AllowOrigins`, `Access-Control-Allow-Origin`, `CORS_ORIGINS`, or a
list under such a key) in production code and configuration: a wildcard origin removed
that no added origin pattern covers, or an explicit origin removed that nothing added
allows.

Ignores origins added (widening), a list rewritten with the same origins, origins in other
environments' files (`-staging`, `-dev`, test profiles), comments, docs and tests.
"""

from __future__ import annotations

import fnmatch
import re

from agents.root_cause.detectors._lines import COMMENT
from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import production_file
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "cors_origins_narrowed"
SYMPTOMS = ("auth", "errors", "availability")

_CORS = re.compile(r"\bcors\b|allowed[-_]?origin|allow[-_]?origins?\b|access-control-allow-origin|"
                   r"origin[-_]?patterns?|cors[-_]?origins?", re.I)  # fmt: skip
_ORIGIN = re.compile(r"(?<![\w/])https?://[\w*][\w*.-]*(?::\d+)?")
# allow-all: `"*"` set to a key, as a list's item or as the origins given to a call (not a
# string compared with `"*"` in code)
_ANY = re.compile(r"(?:[:=]\s*\[?\s*|^\s*-\s*|origins?\w*\s*\(\s*\[?\s*)[\"']\*[\"']", re.I)
_ORIGIN_KEY = re.compile(r"[\"']?\borigins?\b[\"']?\s*[:=]", re.I)
_CONTEXT = 6  # lines above a list item that may name its key


def detect(change: ChangeFacts) -> list[Finding]:
    removed: dict[str, tuple[str, int | None]] = {}
    added: dict[str, tuple[str, int | None]] = {}
    for file, patch in change.patches.items():
        if file_kind(file, patch) == "docs_tests" or production_file(file) is False:
            continue
        lines = diff.parse(patch)
        for i, d in enumerate(lines):
            if d.sign not in ("+", "-") or COMMENT.match(d.text) or not _about_cors(lines, i):
                continue
            found = [m.group(0) for m in _ORIGIN.finditer(d.text)]
            for origin in found + (["*"] if _ANY.search(d.text) else []):
                if d.sign == "+":
                    added.setdefault(origin, (file, d.new))
                else:
                    removed.setdefault(origin, (file, _line(lines, i)))
    lost = [o for o in removed if o not in added and not any(_covers(a, o) for a in added)]
    if not lost:
        return []
    # where the list that now decides lives (moved from code into configuration), else
    # where the lost origins were
    file, line = next(iter(added.values())) if added else removed[lost[0]]
    wildcard = [o for o in lost if "*" in o]
    named = ", ".join(f"`{o}`" for o in lost[:3]) + (" …" if len(lost) > 3 else "")
    now = (f"; it now lists {len(added)} exact origin{'s' if len(added) != 1 else ''}"
           if added else "")  # fmt: skip
    what = "origin patterns" if wildcard else "origins"
    return [Finding(
        NAME,
        f"CORS allowed {what} narrowed: {named} no longer allowed{now}. A browser page on any "
        "other origin gets its preflight refused (403, no Access-Control-Allow-Origin) and "
        "its calls fail before they are sent",
        file, line, SYMPTOMS, 0.55 if wildcard else 0.5,
    )]  # fmt: skip


def _about_cors(lines: list[diff.DiffLine], i: int) -> bool:
    """The line names CORS; or it only lists origins (a YAML list's item, a call's or an
    array's continuation line) under a line that names CORS; or it is an `origin` key in a
    block a line above names CORS (`cors({ origin: [...] })`)."""
    text = lines[i].text
    if _CORS.search(text):
        return True
    above = lines[max(0, i - _CONTEXT) : i]
    if _ORIGIN_KEY.search(text):
        return any(_CORS.search(d.text) for d in above)
    if not _only_origins(text):
        return False
    for d in reversed(above):
        if not _only_origins(d.text) and not COMMENT.match(d.text):
            return bool(_CORS.search(d.text))
    return False


def _only_origins(text: str) -> bool:
    """A line holding origins and nothing else but list punctuation."""
    rest = _ANY.sub("", _ORIGIN.sub("", text))
    return rest != text and not re.sub(r"[\s\"',\[\]()\-]", "", rest)


def _covers(pattern: str, origin: str) -> bool:
    """An added origin pattern that still allows a removed origin (or pattern)."""
    return pattern == "*" or ("*" in pattern and fnmatch.fnmatchcase(origin, pattern))


def _line(lines: list[diff.DiffLine], index: int) -> int | None:
    """Where a removed line was, as a line of the new file."""
    for d in lines[index:]:
        if d.new is not None:
            return d.new
    return None
