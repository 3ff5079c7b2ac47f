"""A timeout or deadline made shorter: calls that used to finish now fail with timeouts, and
the callers' retries add load on top.

Catches a setting of the "timeout" family that a change lowers (`read_timeout: 30s` →
`500ms`, `Timeout: 30 * time.Second` → `2 * time.Second`, `timeout=30` → `timeout=1`), and
a literal timeout in a call that the same hunk rewrites with a smaller value
(`context.WithTimeout(ctx, 5*time.Second)`, `Duration.ofSeconds(30)` → `Duration.ofMillis(800)`,
`{ timeout: 5000 }`, `SET statement_timeout TO '30s'`, `30.seconds`). The strength follows
the ratio before / after: a cut of 10× is strong, one of 20% weak; idle and keep-alive
timeouts (which close idle connections sooner rather than cut requests short) count less.

Ignores timeouts that are raised, added or removed, a timeout set to 0 or below (commonly
"no limit", not a shorter one), cache expiries written as `timeout` (a cache's TTL, see
`cache_key_or_ttl_changed`), comments, docs and tests.
"""

from __future__ import annotations

import math
import re

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding, SettingChange

NAME = "timeout_shortened"
SYMPTOMS = ("timeouts", "errors", "latency", "availability")

_NAMED = re.compile(r"\w*(time_?out|deadline)\w*", re.I)
_IDLE = re.compile(r"idle|keep_?alive|keepalive|linger|session|heartbeat", re.I)
_CACHE = re.compile(r"cache|setex|expire|\bttl\b", re.I)
_PROBE = re.compile(r"probe|health", re.I)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")
_NUMBER = re.compile(r"\d[\d_]*(?:\.\d+)?")
_UNITS = {
    "nanosecond": 1e-9, "nanos": 1e-9, "ns": 1e-9, "microsecond": 1e-6, "micros": 1e-6,
    "us": 1e-6, "millisecond": 1e-3, "milliseconds": 1e-3, "millis": 1e-3, "ms": 1e-3,
    "second": 1.0, "seconds": 1.0, "secs": 1.0, "sec": 1.0, "s": 1.0, "minute": 60.0,
    "minutes": 60.0, "mins": 60.0, "min": 60.0, "m": 60.0, "hour": 3600.0, "hours": 3600.0,
    "h": 3600.0, "nanoseconds": 1e-9, "microseconds": 1e-6,
}  # fmt: skip
_DURATIONS = (  # (pattern, group of the number, group of the unit)
    re.compile(r"(\d+(?:\.\d+)?)\s*\*\s*time\.(Nanosecond|Microsecond|Millisecond|Second|"
               r"Minute|Hour)\b"),
    re.compile(r"\btime\.(Nanosecond|Microsecond|Millisecond|Second|Minute|Hour)\s*\*\s*"
               r"(\d+(?:\.\d+)?)"),
    re.compile(r"Duration\.of(Nanos|Millis|Seconds|Minutes|Hours)\(\s*(\d+)L?\s*\)"),
    re.compile(r"(\d+(?:\.\d+)?)L?\s*,\s*(?:TimeUnit\.)?(NANOSECONDS|MICROSECONDS|MILLISECONDS|"
               r"SECONDS|MINUTES|HOURS)\b"),
    re.compile(r"\b(\d+(?:\.\d+)?)\.(milliseconds|seconds|minutes|hours|ms|s)\b"),
    re.compile(r"timedelta\(\s*(milliseconds|seconds|minutes|hours)\s*=\s*(\d+(?:\.\d+)?)"),
    re.compile(r"[\"'](\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)[\"']"),
)  # fmt: skip
_SPAN = 0.2, 0.6, 0.9  # strength at a ratio of 1, added per tenfold cut, at most


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, int | None]] = set()
    parsed = {
        file: diff.parse(patch)
        for file, patch in change.patches.items()
        if kinds.file_kind(file, patch) != "docs_tests"
    }
    index = {file: _index(lines) for file, lines in parsed.items()}
    for setting in change.settings:
        near = _near(parsed.get(setting.file, []), index.get(setting.file, {}), setting.line)
        finding = _from_setting(setting, near)
        if finding is not None:
            found.append(finding)
            seen.add((setting.file, setting.line))
    for file, lines in parsed.items():
        for old, new in _pairs(lines):
            if (file, new.new) in seen:
                continue
            finding = _from_lines(file, old, new, _near(lines, index[file], new.new))
            if finding is not None:
                found.append(finding)
                seen.add((file, new.new))
    return found


def _from_setting(s: SettingChange, near: str) -> Finding | None:
    if s.family != "timeout" or s.direction != "lowered":
        return None
    if s.before_number is None or s.after_number is None or s.after_number <= 0:
        return None
    if _CACHE.search(f"{s.key} {near}"):
        return None
    message = f"{s.key} lowered {s.before} → {s.after}"
    return _finding(s.file, s.line, f"{s.key} {near}", message, s.before_number / s.after_number)


def _from_lines(file: str, old: diff.DiffLine, new: diff.DiffLine, near: str) -> Finding | None:
    """A literal timeout the hunk rewrites: same code around it, a smaller value, and that
    value is the timeout's (`timeout: 500`, `WithTimeout(ctx, 5*time.Second)`), not another
    number on the line."""
    if not _NAMED.search(new.text) or _COMMENT.match(new.text) or _CACHE.search(near):
        return None
    old_duration, new_duration = _duration(old.text), _duration(new.text)
    if old_duration is not None and new_duration is not None:
        (before, _), (after, at) = old_duration, new_duration
        shown = f"{_seconds(before)} → {_seconds(after)}"
    else:
        if _skeleton(old.text) != _skeleton(new.text):
            return None
        pairs = zip(_NUMBER.finditer(old.text), _NUMBER.finditer(new.text), strict=True)
        changed = [(a, b) for a, b in pairs if a.group(0) != b.group(0)]
        if len(changed) != 1:
            return None
        before, after = (_number(m.group(0)) for m in changed[0])
        at = changed[0][1].start()
        shown = f"{before:g} → {after:g}"
    owner = _NAMED.search(_owner(new.text, at))
    if owner is None or not 0 < after < before:
        return None
    message = f"{owner.group(0)} lowered {shown}"
    return _finding(file, new.new, f"{new.text} {near}", message, before / after)


def _owner(text: str, at: int) -> str:
    """What a value at `at` is the value of: the key just before it (`timeout: `,
    `Timeout = `), else the call it is an argument of (`WithTimeout(ctx, `)."""
    head = text[:at]
    key = re.search(r"([A-Za-z_][\w.-]*)[\"']?\s*(?::|=|\bTO\b)\s*[\"']?$", head, re.I)
    if key:
        return key.group(1)
    depth = 0
    for i in range(len(head) - 1, -1, -1):
        if head[i] == ")":
            depth += 1
        elif head[i] == "(":
            if depth == 0:
                call = re.search(r"([A-Za-z_][\w.]*)\s*$", head[:i])
                return call.group(1) if call else ""
            depth -= 1
    return ""


def _finding(file: str, line: int | None, where: str, message: str, ratio: float) -> Finding:
    base, slope, cap = _SPAN
    strength = min(cap, base + slope * math.log10(ratio))
    if _IDLE.search(where):
        strength *= 0.5
    symptoms = SYMPTOMS + (("crash",) if _PROBE.search(where) else ())
    message += f" ({ratio:.3g}× shorter)"
    return Finding(NAME, message, file, line, symptoms, round(strength, 2))


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
    """A removed and an added line of one hunk that read alike (numbers and units aside)."""
    waiting: dict[tuple[int, str], list[diff.DiffLine]] = {}
    for d in lines:
        if d.sign == "-":
            waiting.setdefault((d.hunk, _shape(d.text)), []).append(d)
    out = []
    for new in lines:
        if new.sign == "+":
            queue = waiting.get((new.hunk, _shape(new.text)))
            if queue:
                out.append((queue.pop(0), new))
    return out


def _shape(text: str) -> str:
    """The line without its durations and numbers (which may change unit: ofSeconds → ofMillis)."""
    for pattern in _DURATIONS:
        text = pattern.sub("D", text)
    return _skeleton(text)


def _skeleton(text: str) -> str:
    return re.sub(r"\s+", "", _NUMBER.sub("#", text))


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def _duration(text: str) -> tuple[float, int] | None:
    """The one duration with a unit the line writes, in seconds, and where it starts (None if
    none or several)."""
    found = []
    for pattern in _DURATIONS:
        for match in pattern.finditer(text):
            a, b = match.group(1), match.group(2)
            value, unit = (a, b) if a[0].isdigit() else (b, a)
            found.append((float(value) * _unit(unit), match.start()))
            text = text[: match.start()] + " " * len(match.group(0)) + text[match.end() :]
    return found[0] if len(found) == 1 else None


def _unit(unit: str) -> float:
    word = unit.lower()
    return _UNITS.get(word, _UNITS.get(word.rstrip("s"), 1.0))


def _seconds(value: float) -> str:
    if value >= 1 or value == 0:
        return f"{value:g}s"
    return f"{value * 1000:g}ms"
