"""Replica counts and autoscaling bounds moved: too few instances for the load (saturation,
latency, no redundancy), or more instances than a fixed shared resource allows (each one
opens its own connection pool against the same database).

Catches, in Kubernetes and Helm (`replicas`, `replicaCount`, HPA `minReplicas`/`maxReplicas`,
`averageUtilization`, `targetCPUUtilizationPercentage`), KEDA (`minReplicaCount`), Knative
(`minScale`), Terraform/CloudFormation autoscaling groups and node pools (`min_size`,
`max_size`, `desired_capacity`, `node_count`, `min_capacity`), ECS (`desired_count`) and
Cloud Run (`min_instances`), and in a literal the same hunk rewrites:

- a count or minimum lowered (strength by the ratio, more for one instance or zero);
- a maximum lowered (a lower ceiling: weaker, it bites only under load);
- a target utilisation raised (scales out later, instances run hotter);
- autoscaling switched off;
- a count, bound or target moved towards more instances while the change also shows a
  per-instance connection pool: the message gives the direction and the pool.

Ignores bounds raised where the change shows no per-instance pool, `min_size`/`max_size`
and `count` keys outside an autoscaling block (a cache's or an upload's size), comments,
docs and tests.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import family, number, pairs
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "scaling_bounds_changed"
FEWER = ("availability", "latency", "cpu", "queue", "timeouts")
MORE = ("connections", "errors", "timeouts", "availability")
HOTTER = ("latency", "cpu", "availability", "queue")
SYMPTOMS = ("availability", "latency", "cpu", "queue", "timeouts", "connections", "errors")

# matched against the last part of a key flattened to lower-case words ("min replicas")
_TARGET = re.compile(
    r"\baverage ?utili[sz]ation\b|\btarget ?(cpu|memory)( ?utili[sz]ation)?( ?percentage)?\b|"
    r"\btarget ?utili[sz]ation\b|\btarget ?value\b|\bscale ?(out|up) ?threshold\b"
)
_MIN = re.compile(
    r"\bmin ?(replicas?|replica ?count|scale|instances?|instance ?count|nodes?|node ?count|"
    r"size|capacity|count|tasks?)\b"
)
_MAX = re.compile(
    r"\bmax ?(replicas?|replica ?count|scale|instances?|instance ?count|nodes?|node ?count|"
    r"size|capacity|count|tasks?)\b"
)
_COUNT = re.compile(
    r"^(replicas|replica ?count|num ?replicas|desired ?(count|capacity|size)|node ?count|"
    r"instances|instance ?count|count|task ?count|desired ?tasks)$"
)
_NEEDS_CONTEXT = re.compile(r"\b(size|capacity|count|tasks?|instances|nodes?)$")
_SCALING_CONTEXT = re.compile(
    r"autoscal|scaling|\basg\b|node ?(group|pool)|instance ?group|\bhpa\b|replica|scale|fleet|"
    r"capacity|\becs\b|service|deployment|cluster|server ?group|workload"
)
_UNAMBIGUOUS = re.compile(r"replica|scale|instance|\bnodes?\b|node ?count")
_SWITCH = re.compile(r"^(autoscaling|hpa|autoscale)( ?enabled)?$|^enabled$")
_OFF = {"false", "no", "off", "0", "disabled"}
_ON = {"true", "yes", "on", "1", "enabled"}
_POOL_NOT_A_SIZE = re.compile(r"idle|timeout|lifetime|recycle|wait|name|class|\bttl\b|\bage\b")
_POOL_CALL = re.compile(
    r"(SetMaxOpenConns|setMaximumPoolSize|setMaxTotal|maxPoolSize|pool_?size|poolSize)"
    r"\W{0,4}(\d+)"
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


@dataclass(frozen=True)
class _Move:
    file: str
    line: int | None
    key: str
    before: str
    after: str
    near: str  # the line and the lines that enclose it


def detect(change: ChangeFacts) -> list[Finding]:
    parsed = {
        file: diff.parse(patch)
        for file, patch in change.patches.items()
        if kinds.file_kind(file, patch) != "docs_tests"
    }
    moves: dict[tuple[str, int | None], _Move] = {}
    index = {file: _index(lines) for file, lines in parsed.items()}
    for s in change.settings:
        if s.file in parsed and s.before is not None and s.after is not None:
            near = _near(parsed[s.file], index[s.file], s.line)
            moves.setdefault((s.file, s.line), _Move(s.file, s.line, s.key, s.before, s.after,
                                                     near))  # fmt: skip
    for file, lines in parsed.items():
        for old, new in _pairs(lines):
            for move in _literal_moves(file, old, new, _near(lines, index[file], new.new)):
                moves.setdefault((file, new.new), move)
    pool = _pool(parsed)
    found = [f for move in moves.values() for f in _judge(move, pool)]
    return found


def _judge(move: _Move, pool: str | None) -> list[Finding]:
    last = _flat(move.key.rsplit(".", 1)[-1].rsplit("/", 1)[-1])
    context = _flat(f"{move.key} {move.near}")
    if _SWITCH.search(last) and re.search(r"autoscal|\bhpa\b", context):
        if move.before.lower() in _ON and move.after.lower() in _OFF:
            message = f"{move.key} turned off ({move.before} → {move.after}): no autoscaling"
            return [Finding(NAME, message, move.file, move.line, FEWER, 0.55)]
        return []
    role = _role(last)
    if role is None or (_NEEDS_CONTEXT.search(last) and not _UNAMBIGUOUS.search(last)
                        and not _SCALING_CONTEXT.search(context)):  # fmt: skip
        return []
    before, after = number(move.before), number(move.after)
    if before is None or after is None or before == after or before < 0 or after < 0:
        return []
    lowered = after < before
    change = f"{move.key} {'lowered' if lowered else 'raised'} {move.before} → {move.after}"
    if role == "target":
        if lowered:
            return _more(move, change, pool, "scales out sooner")
        strength = min(0.75, 0.3 + (after - before) / (100.0 if after > 1 else 1.0))
        message = f"{change}: scales out later, instances run hotter"
        return [Finding(NAME, message, move.file, move.line, HOTTER, round(strength, 2))]
    if not lowered:
        return _more(move, change, pool, "more instances")
    if after == 0:
        if role == "min":  # scale-to-zero: cold starts, not an outage
            message = f"{change}: may scale to zero (cold starts)"
            return [Finding(NAME, message, move.file, move.line, FEWER, 0.55)]
        message = f"{change}: scaled to zero"
        return [Finding(NAME, message, move.file, move.line, FEWER, 0.9)]
    ratio = before / after
    if role == "max":
        strength = min(0.7, 0.2 + 0.5 * math.log10(ratio))
        message = f"{change}: a lower ceiling ({ratio:.3g}× fewer at peak)"
        return [Finding(NAME, message, move.file, move.line, FEWER, round(strength, 2))]
    strength = min(0.85, 0.3 + 0.6 * math.log10(ratio))
    message = f"{change} ({ratio:.3g}× fewer instances"
    if after == 1:
        strength = min(0.9, strength + 0.15)
        message += "; a single instance, no redundancy"
    return [Finding(NAME, message + ")", move.file, move.line, FEWER, round(strength, 2))]


def _more(move: _Move, change: str, pool: str | None, what: str) -> list[Finding]:
    """More instances: a risk only where each one holds a fixed resource of its own."""
    if pool is None:
        return []
    message = f"{change}: {what}, each with its own connection pool ({pool})"
    before, after = number(move.before), number(move.after)
    strength = 0.55
    if before and after and _role(_flat(move.key.rsplit(".", 1)[-1])) != "target":
        ratio = max(after / before, before / after)
        strength = min(0.75, 0.4 + 0.35 * math.log10(ratio))
        size = number(pool.rsplit(" ", 1)[-1])
        if size:
            message += f": up to {after * size:g} connections, was {before * size:g}"
    return [Finding(NAME, message, move.file, move.line, MORE, round(strength, 2))]


def _role(last: str) -> str | None:
    if _TARGET.search(last):
        return "target"
    if _MIN.search(last):
        return "min"
    if _MAX.search(last):
        return "max"
    if _COUNT.search(last):
        return "count"
    return None


def _literal_moves(file: str, old: diff.DiffLine, new: diff.DiffLine, near: str) -> list[_Move]:
    """A bound the hunk rewrites in a literal (`minScale: "2"`, `--min-replicas=3`)."""
    if _COMMENT.match(new.text):
        return []
    out = []
    for a, b in zip(_NUMBER.finditer(old.text), _NUMBER.finditer(new.text), strict=True):
        if a.group(0) == b.group(0):
            continue
        names = re.findall(r"[A-Za-z_][\w.-]*", new.text[: b.start()])
        if names:
            key = names[-1].strip(".-")
            out.append(_Move(file, new.new, key, a.group(0), b.group(0), near))
    return out[:1] if len(out) == 1 else []


def _pool(parsed: dict[str, list[diff.DiffLine]]) -> str | None:
    """A per-instance connection pool size the change shows (changed or in context)."""
    best: tuple[float, str] | None = None
    for lines in parsed.values():
        for d in lines:
            if d.sign == "-" or _COMMENT.match(d.text):
                continue
            if not re.search("pool|conn|idle", f"{d.text} {' '.join(d.path)}", re.I):
                continue  # no pool key here (and reading the keys' families is slow)
            found = [(k, v) for k, v in pairs(d.text) if family((*d.path, k)) == "pool"]
            found += [(m.group(1), m.group(2)) for m in _POOL_CALL.finditer(d.text)]
            for key, value in found:
                size = number(value)
                if size is None or size <= 0 or _POOL_NOT_A_SIZE.search(_flat(key)):
                    continue
                if best is None or size > best[0]:
                    best = (size, f"{key} {value.strip()}")
    return best[1] if best else None


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


def _flat(key: str) -> str:
    """A key as lower-case words: `minReplicas` → "min replicas", `min_size` → "min size"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).strip()
