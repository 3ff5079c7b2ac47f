"""Expiry synchronized: a change that makes many cache entries (or tokens, locks, leases)
expire at the same moment: the jitter spread over their TTLs taken away, or their expiry set
to a wall-clock boundary (the next top of the hour, midnight). Every reader then misses at
once and reloads from the backend together (a stampede, a thundering herd): the database
behind the cache takes a burst of the whole keyspace's load at each boundary. Quiet at low
traffic, it fails at the boundaries of the busiest hours: a latent risk that peak load sets
off.

Catches a removed line that adds random jitter to a TTL or expiry (`random.randint(0,
jitter)`, `Math.random() * spread`, a `*jitter*` setting) with no jitter added back in the
change, a jitter setting removed or set to 0, and an added expiry at a clock boundary:
`exat=`/`EXPIREAT`/`expireAt(` given a time rounded to the hour or day
(`.replace(minute=0, second=0`, `truncatedTo(ChronoUnit.HOURS)`, `startOf('hour')`,
`Truncate(time.Hour)`), or such a rounded time computed on an added line of a function whose
name says it is an expiry or rollover.

Ignores jitter added or kept, retries' and backoff's jitter (not expiries), a fixed TTL
raised or lowered (the cache detector's), boundaries used for reports or schedules (no
expiry near), comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "expiry_synchronized"
SYMPTOMS = ("cache", "latency", "connections", "cpu", "timeouts", "errors")

_JITTER = re.compile(
    r"jitter|random\.(?:randint|uniform|random)|Math\.random|rand\.(?:Intn|Int63n|Float64)|ThreadLocalRandom|SecureRandom|\brand\(",
    re.I,
)
_EXPIRY = re.compile(
    r"ttl|expir|\bex\s*=|\bpx\s*=|exat|setex|max_?age|timeout|lifetime|lease", re.I
)
_RETRY = re.compile(r"\bretr(?:y|ies)|backoff|\bsleep|\bdelay|\bwait\b", re.I)
_BOUNDARY = re.compile(
    r"replace\(\s*minute\s*=\s*0|replace\(\s*hour\s*=\s*0|truncatedTo\(\s*ChronoUnit\.(?:HOURS|DAYS)"
    r"|startOf\(\s*['\"](?:hour|day)|Truncate\(\s*time\.Hour|date_trunc\(\s*'(?:hour|day)"
    r"|\.floor\(\s*['\"]?(?:h|H|hour|D|day)",
)
_AT_TIME = re.compile(r"\bexat\s*=|\bpxat\s*=|EXPIREAT|expireAt\(|ExpireAt\(|expire_at\s*=", re.I)
_EXPIRY_FN = re.compile(
    r"(?:def|function|func|fun)\s+\w*(?:expir|rollover|ttl)\w*|"
    r"\w*(?:expir|rollover|ttl)\w*\s*=\s*(?:\(|async|function)",
    re.I,
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|\"\"\"|''')")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    added = _code(change.added)
    removed = _code(change.removed)
    lost = next((ln for ln in removed if _JITTER.search(ln.text) and _EXPIRY.search(ln.text)
                 and not _RETRY.search(ln.text)), None)  # fmt: skip
    kept = any(_JITTER.search(ln.text) and not _RETRY.search(ln.text) for ln in added)
    setting = next((s for s in change.settings if "jitter" in s.key.lower()
                    and not _RETRY.search(s.key) and (s.after is None or s.after_number == 0)),
                   None)  # fmt: skip
    if (lost or setting) and not kept:
        where = lost or setting
        assert where is not None
        found.append(Finding(
            NAME, "takes the random jitter off the expiry: entries written together now "
            "expire together, and their readers all miss and reload from the backend at once",
            where.file, where.line, SYMPTOMS, strength=0.5,
        ))  # fmt: skip
    rounded = next((ln for ln in added if _BOUNDARY.search(ln.text)), None)
    at_time = next((ln for ln in added if _AT_TIME.search(ln.text)), None)
    in_expiry_fn = rounded is not None and _in_expiry_function(rounded, change)
    if rounded is not None and (at_time is not None or in_expiry_fn):
        found.append(Finding(
            NAME, "sets expiries to a clock boundary (the next hour or day): every entry "
            "written in between expires at that same second, and the backend takes all their "
            "reloads together at each boundary", rounded.file, rounded.line, SYMPTOMS,
            strength=0.6,
        ))  # fmt: skip
    return found[:2]


def _code(lines: tuple[Line, ...]) -> list[Line]:
    return [
        ln
        for ln in lines
        if kinds.file_kind(ln.file) != "docs_tests" and not _COMMENT.match(ln.text)
    ]


def _in_expiry_function(line: Line, change: ChangeFacts) -> bool:
    """An added line defining a function named for expiry or rollover comes before `line`
    in the same file, within 12 lines."""
    return any(ln.file == line.file and 0 <= line.line - ln.line <= 12
               and _EXPIRY_FN.search(ln.text) for ln in change.added)  # fmt: skip
