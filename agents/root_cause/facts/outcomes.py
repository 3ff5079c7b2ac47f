"""How things went on each version: runs, batches, checks, canaries and pods a page shows with
the commit or version they ran, and whether they worked.

An SRE bisects by version before reading any diff: "the 12:00 batch on `1a2b3c4` went
through, every poll since `5d6e7f8` fails". Read from table rows and log or text records that
name a commit SHA or a version and say how it went: failed, errors, exceptions, crashes,
timeouts, refused, rejected, unhealthy, `0 / 1,284 accepted` (bad); ok, succeeded, passed,
accepted, healthy, running, `412/412 delivered` (good). A count of none (`0 errors`, `no
failures`) is no failure; a partial count (`1,100 / 1,284 accepted`) says neither. Records
about the deploys themselves (a deploy word, or a table about deploys) are not outcomes: a
change's title may well say "fix failing retries".
"""

from __future__ import annotations

import re

from agents.root_cause.facts.markers import is_sha
from agents.root_cause.facts.text import records, shorten
from agents.root_cause.facts.times import Clock, all_times
from agents.root_cause.facts.tree import Page
from agents.root_cause.facts.types import Outcome

_DEPLOY = re.compile(
    r"\b(?:re)?deploy(?:s|ed|ing|ment|ments)?\b|\breleas(?:e|es|ed|ing)\b|\broll(?:ed)?[ -]?outs?\b"
    r"|\brolled back\b|\brollback\b|\bupgrade[ds]?\b|\bmerged?\b|\bbump(?:ed|s)?\b"
    r"|recent changes|change events?|\brevision\b|\bsync(?:ed)?\b",
    re.IGNORECASE,
)
_TITLE = 80  # a caption this short names the table (a longer one is text that stood above)
_SHA = re.compile(r"(?<![\w-])[0-9a-f]{7,40}(?![\w-])")
_VERSION = re.compile(r"(?<![\w.-])v\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?(?![\w.])")
_NONE_OF = re.compile(
    r"\b(?:0|no|zero|without|nil)\s+(?:new\s+)?(?:errors?|failures?|failed|fails|timeouts?"
    r"|crash(?:es|ed)?|exceptions?|restarts?|rejections?|rejected)\b",
    re.IGNORECASE,
)
_BAD = re.compile(
    r"\bfail(?:s|ed|ing|ures?)?\b|\berrors?\b|\bexceptions?\b|\bcrash(?:es|ed|ing)?\b"
    r"|\btimed out\b|\btime-?outs?\b|\brefused\b|\bdenied\b|\brejected\b|\bunhealthy\b"
    r"|\bnot ready\b|\bbroken\b|\bpanic\b|\bHTTP 5\d\d\b|\b5\d\d (?:errors?|responses?)\b",
    re.IGNORECASE,
)
_BAD_NAMES = re.compile(  # an error class or a Kubernetes reason, as written
    r"[a-z](?:Error|Exception)\b|CrashLoopBackOff|OOMKilled|ImagePullBackOff|ErrImagePull"
    r"|[A-Z]_(?:FAILED|ERROR)\b"
)
_GOOD = re.compile(
    r"\bok\b|\bsuccess(?:ful|fully)?\b|\bsucceeded\b|\bpass(?:ed|es|ing)?\b|\baccepted\b"
    r"|\bhealthy\b|\brunning\b|\bready\b|\bgreen\b|\bfine\b|\bcompleted?\b|\bdelivered\b"
    r"|\bworks\b|\bworked\b",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"(?<![\d,.])(?P<x>\d[\d,]*)\s*(?:/|of)\s*(?P<y>\d[\d,]*)\s+(?P<w>accepted|succeeded|passed"
    r"|ok|delivered|completed|healthy|ready|processed|submitted|sent)\b",
    re.IGNORECASE,
)


def outcomes(page: Page, clock: Clock, source: str) -> list[Outcome]:
    found: list[Outcome] = []
    for table in page.tables:
        titled = table.caption if len(table.caption) <= _TITLE else ""
        if _DEPLOY.search(" ".join([titled, *table.header])):
            continue  # a table about the deploys: its rows are changes, not how they went
        for row in table.rows:
            found += _outcome(" · ".join(c for c in row if c), clock, source)
    for line in page.texts:
        for record in records(line):
            found += _outcome(record, clock, source)
    return found


def verdict(text: str) -> bool | None:
    """True when the text says it went fine, False when it says it failed, None when neither
    (or a partial count)."""
    fraction = _FRACTION.search(text)
    if fraction is not None:
        x, y = (int(fraction[k].replace(",", "")) for k in ("x", "y"))
        if x == 0 and y > 0:
            return False
        if x < y:
            return None
    cleared = _NONE_OF.sub(" ", text)
    if _BAD.search(cleared) or _BAD_NAMES.search(cleared):
        return False
    if fraction is not None or cleared != text or _GOOD.search(cleared):
        return True
    return None


def versions_in(text: str) -> tuple[str, ...]:
    """The commit SHAs and `v`-versions a piece of text names, in order."""
    found = [m.group(0) for m in _SHA.finditer(text) if is_sha(m.group(0))]
    found += [m.group(0) for m in _VERSION.finditer(text)]
    return tuple(dict.fromkeys(found))


def _outcome(text: str, clock: Clock, source: str) -> list[Outcome]:
    if _DEPLOY.search(text):
        return []
    ids = versions_in(text)
    if not ids:
        return []
    ok = verdict(text)
    if ok is None:
        return []
    times = all_times(text, clock)
    at = times[0].at if times else None
    return [Outcome(ids=ids, ok=ok, at=at, text=shorten(text, 160), source=source)]
