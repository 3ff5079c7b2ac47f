"""Unbounded metric labels: code that starts putting a value with no fixed set of values (a
raw request path or URL, a user, request, session or trace id, an email, a client address)
into a metric's labels or tags. Every distinct value is a new time series: the client
library keeps each one in memory for the life of the process, every scrape serializes all
of them, and the metrics backend stores each. With `/v1/orders/8812-3301` in a `route`
label, memory and scrape time grow with traffic until the process is OOM-killed, scrapes
time out and the backend slows: a build-up that shows hours or days after the deploy.

Catches added lines where a metrics call (`.labels(`, `.WithLabelValues(`, `.observe(`,
`.inc(`, `Tag.of(`, `tags=`, `labels: {`...) takes such a value, and an added line that
assigns such a value to a variable named like a label (`route`, `path`, `endpoint`, `uri`,
`url`) which a metrics call within a few lines of the same file then uses.

Ignores the route template (`req.route.path`, `request.url_rule`, `r.Pattern`,
`c.FullPath()`, `getBestMatchingPattern`), values used outside metrics (a log line, a
redirect), removed lines, comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.detectors._lines import COMMENT
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "unbounded_metric_labels"
SYMPTOMS = ("memory", "latency", "crash", "cpu")

_METRIC = re.compile(
    r"\.labels\(|\.WithLabelValues\(|\.With\(prometheus\.Labels|\.observe\(|\.inc\(|\.dec\("
    r"|Tag\.of\(|Tags\.of\(|\.tag\(|\btags\s*[=:]|\blabels\s*[=:]"
    r"|\.increment\(|\.histogram\(|\.timing\(|\.gauge\(|\bstatsd\b|\bmetrics?\.|"
    r"\b(?:Counter|Histogram|Gauge|Summary)\b",
)
# A value with no fixed set: the concrete path or URL of a request, or an identifier.
_UNBOUNDED = re.compile(
    r"\b(?:req|request|r|ctx|c|context|exchange)\.(?:(?:path|url|originalUrl|baseUrl|href"
    r"|full_path|path_info|URL\.Path|RequestURI|uri|raw_uri)\b"
    r"|URL\.String\(\)|getRequestURI\(\)|getPath\(\))"
    r"|\b(?:user|customer|account|request|session|trace|order|device|tenant)_?[iI][dD]s?\b"
    r"|\b(?:email|remote_addr|remoteAddr|client_ip|clientIp)\b",
)
# The route template a framework matched: a fixed set of values.
_TEMPLATE = re.compile(
    r"\.route\.path\b|\burl_rule\b|\bPattern\b|FullPath\(\)|BestMatchingPattern|\bmatched_route"
    r"|\broutePath\b|\.route\.name\b|\bendpoint_name\b|\btemplate\b",
)
_ASSIGNED = re.compile(
    r"^\s*(?:const|let|var|val|final\s+\w+|String|\w+\s*:=|)\s*(?P<name>route|path|endpoint|uri"
    r"|url|handler|operation|label)\s*(?::\s*\w+\s*)?(?::=|=)(?!=)"
)
_NEAR = 6  # lines: an assigned label value used by a metrics call this close by


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for line in change.added:
        if kinds.file_kind(line.file) == "docs_tests" or COMMENT.match(line.text):
            continue
        code = line.text.strip()
        if not _UNBOUNDED.search(code) or _TEMPLATE.search(code):
            continue
        assigned = _ASSIGNED.match(line.text)
        if _METRIC.search(code) and not assigned:
            what = "a metric's labels"
        elif assigned and _used_by_metric(assigned["name"], line, change):
            what = f"the metric label `{assigned['name']}`"
        else:
            continue
        found.append(Finding(
            NAME, f"`{code[:80]}` puts a value with no fixed set (a request's own path or an "
            f"id) into {what}: a new series per value, held in memory and scraped every time",
            line.file, line.line, SYMPTOMS, strength=0.6,
        ))  # fmt: skip
    return found[:2]


def _used_by_metric(name: str, at: Line, change: ChangeFacts) -> bool:
    """A metrics call a few lines on in the same file (added or unchanged) takes `name`."""
    used = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    for text in _lines_after(change, at):
        if (
            _METRIC.search(text)
            and used.search(text)
            or re.search(rf"\blabels\b.*(?<![\w.]){re.escape(name)}\b", text)
        ):
            return True
    return False


def _lines_after(change: ChangeFacts, at: Line) -> list[str]:
    """The new file's lines after `at` in its hunk, up to `_NEAR` of them."""
    patch = change.patches.get(at.file, "")
    out: list[str] = []
    number = 0
    for raw in patch.splitlines():
        header = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", raw)
        if header:
            number = int(header.group(1))
            continue
        if raw.startswith("-"):
            continue
        if at.line < number <= at.line + _NEAR:
            out.append(raw[1:])
        number += 1
    return out
