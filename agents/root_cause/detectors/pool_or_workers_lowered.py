"""A connection pool or a worker/thread/concurrency count made smaller: fewer requests run at
once, the rest wait for a connection or a worker (pool timeouts, queues, latency).

Catches a setting of the "pool" or "workers" family that a change lowers
(`maximum-pool-size=50` → `10`, `WEB_CONCURRENCY=8` → `2`, `max_workers=16` → `4`), and a
literal count in code or a command line that the same hunk rewrites smaller
(`db.SetMaxOpenConns(50)` → `(10)`, `Executors.newFixedThreadPool(32)` → `(4)`,
`threads 5, 5` → `threads 1, 1`, `:concurrency: 25` → `5`, `--workers 8` → `--workers 2`,
`new Semaphore(20)` → `(2)`). The strength follows the ratio; a cut to one (everything
serialised) counts more, minimum-idle and prefetch counts less.

Ignores counts that are raised, added or removed, a count set to 0 or below (commonly
"unlimited"), pool and worker settings that are not counts (recycle, lifetime, timeout,
memory, interval, max-requests), comments, docs and tests.
"""

from __future__ import annotations

import math
import re

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding, SettingChange

NAME = "pool_or_workers_lowered"
SYMPTOMS = ("connections", "timeouts", "latency", "queue", "errors", "availability")
POOL_SYMPTOMS = ("connections", "timeouts", "latency", "errors", "availability")
WORKER_SYMPTOMS = ("latency", "queue", "timeouts", "cpu", "availability")

# matched against keys flattened to lower-case words: `maxOpenConns` → "max open conns"
_WORKERS = re.compile(
    r"\bworkers?\b|\bthreads?\b|thread ?pool|concurrency|parallelism|\bprocesses\b|gomaxprocs|"
    r"semaphore|\bp ?limit\b|\bset ?limit\b|prefetch|in ?flight|\b(max|num) ?procs\b|"
    r"\bconsumers?\b|executor"
)
_POOL = re.compile(
    r"pool|\bmax ?(open ?|idle ?)?conns?\b|maxconn|\bmax ?connections\b|connections? ?limit|"
    r"\bmax ?total\b|connections ?per|\bconn ?limit\b|\bmax ?active\b|\bmin ?idle\b|"
    r"\bminimum ?idle\b"
)
_NOT_A_COUNT = re.compile(
    r"recycle|lifetime|timeout|\bttl\b|idle ?time|interval|\bage\b|wait|\bms\b|millis|"
    r"seconds|memory|\bmem\b|bytes|\bmb\b|\bkb\b|restart|max ?requests|delay|priority|"
    r"\bname\b|class|image|heap|ratio|percent|threshold|keep ?alive|\bport\b"
)
_WEAK = re.compile(
    r"\bmin ?idle\b|minimum ?idle|prefetch|\bmax ?idle\b|\bmin ?(size|conns?|pool)\b"
)
_GENERIC = {"max", "min", "size", "limit", "count", "max size", "maxsize", "min size"}
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")
_NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w.])")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    for s in change.settings:
        finding = _from_setting(s)
        if finding is not None:
            found.append(finding)
            seen.add((s.file, s.line))
    for file, patch in change.patches.items():
        if kinds.file_kind(file, patch) == "docs_tests":
            continue
        lines = diff.parse(patch)
        index = _index(lines)
        for old, new in _pairs(lines):
            if (file, new.new) not in seen:
                finding = _from_lines(file, old, new, _near(lines, index, new.new))
                if finding is not None:
                    found.append(finding)
                    seen.add((file, new.new))
    return found


def _from_setting(s: SettingChange) -> Finding | None:
    if s.family not in ("pool", "workers") or s.direction != "lowered":
        return None
    if s.before_number is None or s.after_number is None or s.after_number <= 0:
        return None
    what = _what(s.key) or s.family
    if _NOT_A_COUNT.search(_flat(s.key)):
        return None
    message = f"{s.key} lowered {s.before} → {s.after}"
    return _finding(s.file, s.line, s.key, what, message, s.before_number, s.after_number)


def _from_lines(file: str, old: diff.DiffLine, new: diff.DiffLine, near: str) -> Finding | None:
    """A literal count the hunk rewrites smaller, named by the key or call just before it (or,
    for a bare `max: 20`, by the block it sits in: `pool: {`)."""
    if _COMMENT.match(new.text):
        return None
    counts = []
    for a, b in zip(_NUMBER.finditer(old.text), _NUMBER.finditer(new.text), strict=True):
        before, after = _number(a.group(0)), _number(b.group(0))
        key = _key_before(new.text, b.start())
        what = _what(key) or (_what(near) if _flat(key) in _GENERIC else None)
        if before == after or what is None or _NOT_A_COUNT.search(_flat(key)):
            continue
        if not 0 < after < before:
            return None  # raised, or set to "unlimited"
        counts.append((before / after, before, after, key, what))
    if not counts:
        return None
    _, before, after, key, what = max(counts)
    named = key if _what(key) else f"{key} ({what})"
    message = f"{named} lowered {before:g} → {after:g}"
    return _finding(file, new.new, key, what, message, before, after)


def _finding(
    file: str, line: int | None, where: str, what: str, message: str, before: float, after: float
) -> Finding:
    ratio = before / after
    strength = min(0.85, 0.25 + 0.55 * math.log10(ratio))
    message += f" ({ratio:.3g}× fewer"
    if after <= 1:
        strength = min(0.9, strength + 0.1)
        message += "; one at a time"
    if _WEAK.search(_flat(where)):
        strength *= 0.6
    symptoms = POOL_SYMPTOMS if what == "pool" else WORKER_SYMPTOMS
    return Finding(NAME, message + ")", file, line, symptoms, round(strength, 2))


def _near(lines: list[diff.DiffLine], index: dict[int, int], line: int | None) -> str:
    """This line of the new file and the lines that enclose it (less indented, above it)."""
    i = index.get(line) if line is not None else None
    if i is None or not lines[i].text.strip():
        return ""
    out, depth = [lines[i].text], _indent(lines[i].text)
    for j in range(i - 1, -1, -1):
        d = lines[j]
        if depth == 0:
            break
        if d.sign != "-" and d.text.strip() and _indent(d.text) < depth:
            out.append(d.text)
            depth = _indent(d.text)
    return " ".join(out)


def _index(lines: list[diff.DiffLine]) -> dict[int, int]:
    """Where each line of the new file sits in `lines`."""
    return {d.new: i for i, d in enumerate(lines) if d.new is not None}


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _pairs(lines: list[diff.DiffLine]) -> list[tuple[diff.DiffLine, diff.DiffLine]]:
    """A removed and an added line of one hunk that read alike but for their numbers."""
    waiting: dict[tuple[int, str], list[diff.DiffLine]] = {}
    for d in lines:
        if d.sign == "-":
            waiting.setdefault((d.hunk, _skeleton(d.text)), []).append(d)
    out = []
    for new in lines:
        if new.sign == "+":
            queue = waiting.get((new.hunk, _skeleton(new.text)))
            if queue:
                out.append((queue.pop(0), new))
    return out


def _skeleton(text: str) -> str:
    return re.sub(r"\s+", "", _NUMBER.sub("#", text))


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def _key_before(text: str, at: int) -> str:
    """The last name written before position `at`: `db.SetMaxOpenConns(`, `--workers `."""
    names = re.findall(r"[A-Za-z_][\w.-]*", text[:at])
    return names[-1].strip(".-") if names else ""


def _what(key: str) -> str | None:
    flat = _flat(key)
    if _WORKERS.search(flat):
        return "workers"
    if _POOL.search(flat):
        return "pool"
    return None


def _flat(key: str) -> str:
    """A key as lower-case words: `maxOpenConns` → "max open conns", `pool_size` → "pool size"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).strip()
