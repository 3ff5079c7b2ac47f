"""Responses made uncacheable for shared caches (a CDN, a reverse proxy): every request then
reaches the origin, whose load multiplies at the next peak although clients send no more.

Catches, in added lines of code and server or CDN configuration:
- session or cookie middleware mounted for every route where it was mounted for some
  (`app.use(session(...))`, `server.use(sessionMiddleware)` with no path; Django's
  `SessionMiddleware` added to `MIDDLEWARE`), so responses carry `Set-Cookie`;
- `Cache-Control` set to `no-store`, `no-cache`, `private` or `max-age=0` where the file
  made responses cacheable before (`public`, `s-maxage`, a `max-age` above 0 removed), or
  `Vary` on `Cookie`, `User-Agent`, `Authorization` or `*` (headers set in code,
  `add_header`, `Header set`, `beresp.http`...).

Ignores routes that keep a path (`app.use('/account', session(...))`), a new private or
no-store header where nothing was cacheable before (an account API should be private),
cache headers that allow caching (`public, max-age=300`, `Vary: Accept-Encoding`),
comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "response_uncacheable"
SYMPTOMS = ("cache", "latency", "cpu", "availability", "timeouts")

_GLOBAL_SESSION = re.compile(
    r"\.use\(\s*(?![\"'`/])(\w*session\w*|cookieSession|\w*[sS]ession[A-Z]\w*)\s*[(),]"
)
_DJANGO_SESSION = re.compile(r"[\"']django\.contrib\.sessions\.middleware\.SessionMiddleware[\"']")
_NO_STORE = re.compile(
    r"cache[-_ ]?control[\"'`\]]*\s*[:,=]?\s*[\"'`]?[^\"'`\n]{0,40}?\b(no-store|no-cache|private|"
    r"max-age\s*=\s*0)\b",
    re.I,
)
_VARY = re.compile(
    r"\bvary[\"'`\]]*\s*[:,=]?\s*[\"'`]?[^\"'`\n]{0,40}?(\bcookie\b|\buser-agent\b|"
    r"\bauthorization\b|\*)",
    re.I,
)
_CACHEABLE = re.compile(
    r"cache[-_ ]?control[^\n]{0,60}?\b(public|s-maxage|max-age\s*=\s*[1-9])", re.I
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--|;)")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    cacheable = {line.file for line in change.removed if _CACHEABLE.search(line.text)}
    for line in change.added:
        if _COMMENT.match(line.text) or kinds.file_kind(line.file) == "docs_tests":
            continue
        message = _why(line, line.file in cacheable)
        if message:
            found.append(Finding(NAME, message, line.file, line.line, SYMPTOMS, 0.45))
    return found[:2]


def _why(line: Line, was_cacheable: bool) -> str:
    text = line.text.strip()
    if _GLOBAL_SESSION.search(text) or _DJANGO_SESSION.search(text):
        return (f"session middleware mounted for every route (`{text[:60]}`): responses "
                "carry Set-Cookie, which shared caches do not store")  # fmt: skip
    hit = _NO_STORE.search(text)
    if hit and was_cacheable:
        return (f"responses marked uncacheable (Cache-Control {hit.group(1)}): every request "
                "reaches the origin")  # fmt: skip
    hit = _VARY.search(text)
    if hit:
        return (f"responses vary on {hit.group(1)} (`{text[:60]}`): a shared cache keeps one "
                "copy per value, so nearly every request misses")  # fmt: skip
    return ""
