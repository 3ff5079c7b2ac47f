"""A memory or CPU limit made smaller, or a heap that no longer fits its container: processes
are OOM-killed and restart, or are CPU-throttled and slow down.

Catches a setting of the "memory" or "cpu" family that a change lowers (Kubernetes and Helm
`resources.limits`, Docker Compose `mem_limit`/`cpus`, ECS task `memory`/`cpu`, Terraform
`memory_size`), a runtime heap flag lowered (`-Xmx4g` → `-Xmx1g`, `--max-old-space-size`,
`GOMEMLIMIT`), a `docker run` flag lowered (`--memory=1g` → `512m`, `--cpus`), and a heap
left at or near a container memory limit that the change lowers (or a heap the change
raises to or above the limit the patch shows): `-Xmx2g` inside a `1Gi` container is killed
before the JVM ever sees an OutOfMemoryError. The strength follows the ratio; requests
(scheduling hints, not ceilings) count less than limits.

Ignores limits that are raised, added or removed, thresholds and percentages written under
memory keys (`memory_threshold`, `memory_percent`), comments, docs and tests.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import family, pairs
from agents.root_cause.facts.types import ChangeFacts, Finding, SettingChange

NAME = "resource_limit_lowered"
SYMPTOMS = ("memory", "crash", "availability", "cpu", "latency", "throttling")
MEMORY_SYMPTOMS = ("memory", "crash", "availability")
CPU_SYMPTOMS = ("cpu", "latency", "throttling", "timeouts")
HEAP_SYMPTOMS = ("memory", "crash", "availability", "latency", "cpu")

_NOT_A_LIMIT = re.compile(
    r"threshold|percent|ratio|watermark|alert|warn|swappiness|usage|utili[sz]ation|target|"
    r"min_?replicas|max_?replicas|average|cache",
    re.I,
)
_REQUEST = re.compile(r"request|reservation|min_?(memory|cpu)", re.I)
_LIMIT = re.compile(r"limit|mem_limit|\bmemory\b|memory_?size|\bcpus?\b|\bheap", re.I)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")
_JVM_UNITS = {"": 1.0, "k": 1024.0, "m": 1024.0**2, "g": 1024.0**3, "t": 1024.0**4}
_HEAPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("-Xmx", re.compile(r"-Xmx(?P<n>\d+(?:\.\d+)?)(?P<u>[kKmMgGtT]?)\b")),
    ("--max-old-space-size", re.compile(r"--max[-_]old[-_]space[-_]size[= ](?P<n>\d+)")),
    ("GOMEMLIMIT", re.compile(r"GOMEMLIMIT[\"']?\s*[:=]\s*[\"']?(?P<n>\d+)(?P<u>[KMGT]i?B?)?")),
)
_FLAGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("--memory", re.compile(r"--memory[= ](?P<n>\d+(?:\.\d+)?)(?P<u>[kKmMgG]?)")),
    ("--cpus", re.compile(r"--cpus[= ][\"']?(?P<n>\d+(?:\.\d+)?)")),
)
_NEAR = 0.85  # a heap above this share of the limit leaves too little for the rest


@dataclass(frozen=True)
class _Value:
    file: str
    line: int | None
    name: str
    text: str
    bytes: float


def detect(change: ChangeFacts) -> list[Finding]:
    parsed = {
        file: diff.parse(patch)
        for file, patch in change.patches.items()
        if kinds.file_kind(file, patch) != "docs_tests"
    }
    found: dict[tuple[str, int | None], Finding] = {}
    for s in change.settings:
        finding = _from_setting(s)
        if finding is not None:
            found[(s.file, s.line)] = finding
    for file, lines in parsed.items():
        for finding in _from_flags(file, lines):
            found.setdefault((file, finding.line), finding)
    for finding in _heap_over_limit(change, parsed):
        key = (finding.file, finding.line)
        if key not in found or found[key].strength < finding.strength:
            found[key] = finding
    return list(found.values())


def _from_setting(s: SettingChange) -> Finding | None:
    if s.family not in ("memory", "cpu") or s.before is None or s.after is None:
        return None
    before, after = _amount(s.before, s.family), _amount(s.after, s.family)
    if before is None or after is None or not 0 < after < before:
        return None
    if _NOT_A_LIMIT.search(s.key):
        return None
    ratio = before / after
    strength = _strength(ratio)
    if _REQUEST.search(s.key):
        strength *= 0.5
    symptoms = MEMORY_SYMPTOMS if s.family == "memory" else CPU_SYMPTOMS
    message = f"{s.key} lowered {s.before} → {s.after} ({ratio:.3g}× less)"
    return Finding(NAME, message, s.file, s.line, symptoms, round(strength, 2))


def _amount(value: str, kind: str) -> float | None:
    """A memory size in bytes or a CPU amount in cores, read here rather than from the
    setting's numbers: those read `500m` as minutes and miss Docker's `512m` and `1g`."""
    text = value.strip().strip("\"'").strip()
    if kind == "cpu":
        found = re.fullmatch(r"(\d+(?:\.\d+)?)(m?)", text)
        if found is None:
            return None
        return float(found.group(1)) / (1000.0 if found.group(2) else 1.0)
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?)[bB]?", text)
    if found is None:
        return None
    size, unit, binary = float(found.group(1)), found.group(2), found.group(3)
    if not unit:
        return size
    power = "kmgt".index(unit.lower()) + 1
    base = 1024.0 if binary or unit.islower() else 1000.0
    return size * base**power


def _from_flags(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """Heap and `docker run` flags the hunk rewrites smaller."""
    out = []
    for old, new in _pairs(lines):
        for name, pattern in (*_HEAPS, *_FLAGS):
            before, after = _sized(name, pattern, old.text), _sized(name, pattern, new.text)
            if before is None or after is None or not 0 < after[0] < before[0]:
                continue
            ratio = before[0] / after[0]
            heap = name not in ("--memory", "--cpus")
            symptoms = (
                HEAP_SYMPTOMS if heap else CPU_SYMPTOMS if name == "--cpus" else MEMORY_SYMPTOMS
            )
            what = "heap" if heap else "container limit"
            message = f"{what} lowered {before[1]} → {after[1]} ({ratio:.3g}× less)"
            out.append(Finding(NAME, message, file, new.new, symptoms,
                               round(_strength(ratio), 2)))  # fmt: skip
    return out


def _heap_over_limit(change: ChangeFacts, parsed: dict[str, list[diff.DiffLine]]) -> list[Finding]:
    """A heap at or near the container's memory limit, when the change moved either."""
    lowered = {
        (s.file, s.line): s
        for s in change.settings
        if s.family == "memory" and _lowered(s) and not _REQUEST.search(s.key)
    }
    limits, heaps = [], []
    for file, lines in parsed.items():
        for d in lines:
            if d.sign == "-" or _COMMENT.match(d.text):
                continue
            heaps += _heaps(file, d)
            limits += _limits(file, d)
    out = []
    for limit in limits:
        near = [h for h in heaps if h.file == limit.file and _closest(h, limits) is limit]
        if not any(h.file == limit.file for h in heaps):
            near = heaps  # the heap is set elsewhere (a Dockerfile, an env file)
        moved = [h for h in near if (limit.file, limit.line) in lowered or _added(h, parsed)]
        if not moved:
            continue
        heap = max(moved, key=lambda h: h.bytes)
        share = heap.bytes / limit.bytes
        if share < _NEAR:
            continue
        cut = lowered.get((limit.file, limit.line))
        where = limit if cut else heap
        written = (
            f"{limit.name} {cut.before} → {limit.text}" if cut else f"{limit.name} {limit.text}"
        )
        if share >= 1:
            message = f"heap {heap.text} is at or above the container memory limit ({written})"
            strength = 0.85
        else:
            message = (f"heap {heap.text} is {share:.0%} of the container memory limit "
                       f"({written}), leaving little for non-heap memory")  # fmt: skip
            strength = 0.6
        out.append(Finding(NAME, message, where.file, where.line, HEAP_SYMPTOMS, strength))
    return out


def _closest(heap: _Value, limits: list[_Value]) -> _Value | None:
    """The limit of the heap's own container: the nearest limit in its file."""
    mine = [limit for limit in limits if limit.file == heap.file]
    return min(mine, key=lambda limit: abs((limit.line or 0) - (heap.line or 0)), default=None)


def _heaps(file: str, d: diff.DiffLine) -> list[_Value]:
    out = []
    for name, pattern in _HEAPS:
        found = _sized(name, pattern, d.text)
        if found is not None:
            out.append(_Value(file, d.new, name, found[1], found[0]))
    return out


def _limits(file: str, d: diff.DiffLine) -> list[_Value]:
    """A container memory limit this line of the new file sets (with its unit in bytes)."""
    out: list[_Value] = []
    if not re.search("mem", f"{d.text} {' '.join(d.path)}", re.I):
        return out  # no memory key here (and reading the keys' families is slow)
    for key, value in pairs(d.text):
        path = (*d.path, key)
        full = ".".join(path)
        if family(path) != "memory" or not _LIMIT.search(full) or _REQUEST.search(full):
            continue
        if _NOT_A_LIMIT.search(full) or re.search(r"heap|xmx|opts", full, re.I):
            continue
        size = _amount(value, "memory")
        if size is None or size <= 0:
            continue
        if size < 1e6:  # unitless: ECS, Lambda, Nomad and most task definitions count MiB
            size *= 1024.0**2
        out.append(_Value(file, d.new, full, value.strip().strip("\"'"), size))
    return out


def _lowered(s: SettingChange) -> bool:
    before = _amount(s.before, s.family) if s.before else None
    after = _amount(s.after, s.family) if s.after else None
    return before is not None and after is not None and 0 < after < before


def _added(value: _Value, parsed: dict[str, list[diff.DiffLine]]) -> bool:
    return any(d.sign == "+" and d.new == value.line for d in parsed.get(value.file, []))


def _sized(name: str, pattern: re.Pattern[str], text: str) -> tuple[float, str] | None:
    """The value a flag sets: in bytes (cores for `--cpus`), and as written."""
    if _COMMENT.match(text):
        return None
    found = pattern.search(text)
    if found is None:
        return None
    groups = found.groupdict()
    value, unit = float(groups["n"]), (groups.get("u") or "")
    shown = f"{name}={groups['n']}{unit}" if name != "-Xmx" else found.group(0)
    if name == "--cpus":
        return value, shown
    if name == "--max-old-space-size":
        return value * 1024.0**2, shown
    return value * _JVM_UNITS.get(unit[:1].lower(), 1.0), shown


def _strength(ratio: float) -> float:
    return min(0.85, 0.25 + 0.6 * math.log10(ratio))


def _pairs(lines: list[diff.DiffLine]) -> list[tuple[diff.DiffLine, diff.DiffLine]]:
    """A removed and an added line of one hunk that read alike but for their sizes."""
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
    return re.sub(r"\s+", "", re.sub(r"\d+(?:\.\d+)?[kKmMgGtT]?i?[bB]?", "#", text))
