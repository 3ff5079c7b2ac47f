"""A cookie (or a forwarded header) that makes every later request larger: a change that writes
a cookie whose value is a serialized collection the same code appends to with no bound, so it
grows with each visit, or that adds a cookie at all. The browser sends every cookie back on
every request; proxies and servers read request headers into fixed buffers (nginx's
`large_client_header_buffers` 4 × 8k, a load balancer's per-header and total limits, Node's
16 KiB `maxHeaderSize`, Tomcat's 8 KB `maxHttpHeaderSize`), so past them the requests of the
users who hold the cookie fail at the edge with 400 `Request Header Or Cookie Too Large` or
431, before the application sees them: returning users fail, new ones do not.

Catches, in code outside docs and tests, a cookie written in added lines (`Set-Cookie`,
`res.cookie(`, `cookies.set(`, `set_cookie(`, `SetCookie(`, `setcookie(`, `new Cookie(`,
`document.cookie =`, a helper whose name says it writes a cookie); strong (0.5) when its value
is serialized (`JSON.stringify`, `json.dumps`, `join`, `Marshal`) in a file whose added lines
append to a collection (`push`, `append`, `concat`, `add`, a spread) without trimming it
(`slice`, `shift`, `splice`, `pop`, a `MAX_` constant, a length check, trim or prune); weak (0.3)
for a new cookie otherwise. A header set from a serialized collection on forwarded requests
counts as a weak hit too.

Ignores cookies deleted or expired, reads of cookies, a cookie written with a bounded value,
docs and tests. Its only symptom is request headers too large: it weighs nothing elsewhere.
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import code_lines
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "cookie_grows"
SYMPTOMS = ("headers",)

_WRITE = re.compile(
    r"Set-Cookie|\bres(?:ponse)?\.cookie\(|\bcookies(?:\(\))?\.set\(|\bset_cookie\("
    r"|\bSetCookie\(|\bsetcookie\(|\bnew Cookie\(|document\.cookie\s*="
    r"|\b(?:write|set|save|store|put)\w*Cookie\w*\(",
    re.I,
)
_EXPIRE = re.compile(r"max_?age\s*[:=]\s*0\b|expires\s*[:=]\s*(?:new Date\(0\)|0\b)|delete|remove",
                     re.I)  # fmt: skip
_SERIALIZED = re.compile(r"JSON\.stringify\(|json\.dumps\(|\.join\(|Marshal\(|serialize\(|encode\(")
_APPENDS = re.compile(r"\.push\(|\.append\(|\.concat\(|\.add\(|\.extend\(|\.\.\.\w+\s*,|\+=\s*\[")
# a bound on the collection (not a cookie's `maxAge`): cut, capped by a constant or a length
_TRIMS = re.compile(r"\.slice\(|\.shift\(|\.splice\(|\.pop\(|\[-\d+:\]|\[:\s*-?\d+\]|"
                    r"\bMAX_[A-Z_]+|\.length\s*>|\blen\([^)]*\)\s*>|"
                    r"(?i:\b(?:trim|prune|evict|truncat)\w*)")  # fmt: skip
_FORWARDED_HEADER = re.compile(r"headers\.(?:set|append)\(\s*[\"'][\w-]+[\"']\s*,", re.I)
_COMMENT = re.compile(r"^\s*(#|//|/?\*|--|<!--)")


def detect(change: ChangeFacts) -> list[Finding]:
    strong: list[Finding] = []
    weak: list[Finding] = []
    for file, added in code_lines(change).items():
        lines = [ln for ln in added if not _COMMENT.match(ln.text)]
        grows = any(_APPENDS.search(ln.text) for ln in lines) and not any(
            _TRIMS.search(ln.text) for ln in lines
        )
        for ln in lines:
            if _WRITE.search(ln.text) and not _EXPIRE.search(ln.text):
                if grows and _SERIALIZED.search(ln.text):
                    strong.append(Finding(
                        NAME, "writes a cookie from a collection the same code appends to "
                        "with no bound: it grows with each visit and is sent on every request, "
                        "until the request headers outgrow a proxy's buffers (400/431 at the "
                        "edge for returning users)", file, ln.line, SYMPTOMS, strength=0.5,
                    ))  # fmt: skip
                else:
                    weak.append(Finding(
                        NAME, "writes a new cookie: every later request carries it in its "
                        "headers", file, ln.line, SYMPTOMS, strength=0.3,
                    ))  # fmt: skip
            elif _FORWARDED_HEADER.search(ln.text) and _SERIALIZED.search(ln.text):
                weak.append(Finding(
                    NAME, "adds a request header built from a collection: every forwarded "
                    "request carries it", file, ln.line, SYMPTOMS, strength=0.3,
                ))  # fmt: skip
    return (strong or weak)[:1]
