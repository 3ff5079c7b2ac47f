"""A duration or size setting whose value loses its unit (`5m` → `90`, `30s` → `30`, `512Mi` →
`512`, `"2h"` → `"120"`): the reader takes a bare number in its own default unit (seconds,
milliseconds, bytes), which may not be the one the writer meant, so a timeout, TTL,
interval or limit ends up many times shorter or smaller (or is rejected at start-up).

Catches, in configuration (YAML, Helm values and templates, Kubernetes manifests, .env,
properties, INI, TOML, JSON, HCL/Terraform, Dockerfile `ENV`, compose `environment`), a
removed and an added value of the same key in one hunk where the old value is a number with
a duration unit (`ms`, `s`, `m`, `h`, `d`, compound `1h30m`, ISO `PT5M`), a size unit (`Ki`,
`Mi`, `Gi`, `KB`, `MB`...) or millicores, and the new value is a bare number. The entries
of an env list (`- name: X` / `value: "5m"`, JSON and HCL `name`/`value` pairs, inline
`{name: X, value: 5m}`) are keyed by their name. Strong (0.7) when the key names a duration,
TTL, timeout, interval or size; weaker when it does not, and when the new number is the old
value converted to seconds or milliseconds (right only if the reader counts in that unit).

Ignores bare numbers changed to other bare numbers, a unit changed for another (`5m` →
`300s`), a value gaining a unit, a size rewritten in bytes or CPU in cores (the exact same
quantity), CPU moved from millicores to a plausible number of cores (`250m` → `1`: Kubernetes
reads a bare CPU value in cores, so that is a new amount, not a lost unit; `500m` → `500` is
caught), code files, comments, docs and tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import family, pairs
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "unit_dropped"
SYMPTOMS = ("crash", "errors", "availability", "timeouts", "cache", "memory")
_BASE = ("crash", "errors", "availability")

_CONFIG_PATH = re.compile(
    r"\.(ya?ml|json|json5|toml|ini|cfg|conf|properties|env|tf|tfvars|hcl|tpl|hocon)$|"
    r"(^|/)\.env[^/]*$|(^|/)(Dockerfile|Containerfile)[^/]*$",
    re.I,
)
_CONFIG_KINDS = {"config", "infrastructure", "feature_flag", "scheduled_job"}
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "secs": 1.0,
            "second": 1.0, "seconds": 1.0, "m": 60.0, "min": 60.0, "mins": 60.0,
            "minute": 60.0, "minutes": 60.0, "h": 3600.0, "hr": 3600.0, "hour": 3600.0,
            "hours": 3600.0, "d": 86400.0, "day": 86400.0, "days": 86400.0, "w": 604800.0,
            "week": 604800.0, "weeks": 604800.0}  # fmt: skip
_BYTES = {"b": 1.0, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12,
          "tb": 1e12, "ki": 1024.0, "kib": 1024.0, "mi": 1024.0**2, "mib": 1024.0**2,
          "gi": 1024.0**3, "gib": 1024.0**3, "ti": 1024.0**4, "tib": 1024.0**4}  # fmt: skip
_DURATION_PART = r"(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hr|h|days?|d|weeks?|w)"  # noqa: E501
_DURATION = re.compile(rf"^(?:{_DURATION_PART}\s*)+$", re.I)
_DURATION_PARTS = re.compile(_DURATION_PART, re.I)
_ISO = re.compile(r"^P(?:(\d+)D)?T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$", re.I)
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|KiB|MiB|GiB|TiB|KB|MB|GB|TB|[kKMGTbB])$")
_DOCKER_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kmgt])$")
_MILLICORES = re.compile(r"^(\d+)m$")
_CORES_SLIP = 100  # `500m` → `500`: millicores read as cores, a request no node can place
_BARE = re.compile(r"^\d+(?:\.\d+)?$")
_ENV_NAME = re.compile(
    r"^(?P<indent>\s*)(?P<dash>-\s+)?[\"']?name[\"']?\s*[:=]\s*[\"']?(?P<name>[A-Za-z_][\w.-]*)"
    r"[\"']?\s*,?\s*$"
)
_INLINE_ENV = re.compile(
    r"[\"']?name[\"']?\s*[:=]\s*[\"']?(?P<name>[A-Za-z_][\w.-]*)[\"']?\s*,\s*"
    r"[\"']?value[\"']?\s*[:=]\s*(?P<value>\"[^\"]*\"|'[^']*'|[^,}\s]+)"
)
_COMMENT = re.compile(r"^\s*(#|//|;|/\*|\*|<!--)")
_NAMED_DURATION = re.compile(
    r"timeout|(?<![a-z])ttl(?![a-z])|interval|period|duration|delay|expir|max_?age|wait|deadline|backoff|window|"
    r"retention|keep_?alive|grace|idle|lifetime|refresh|poll|sleep|cool_?down|linger|"
    r"stale|debounce|throttle|after|every|seconds|millis|minutes",
    re.I,
)
_NAMED_SIZE = re.compile(r"size|memory|mem\b|heap|buffer|bytes|capacity|storage|disk|limit|"
                         r"quota|max_?body|payload|cache", re.I)  # fmt: skip
_TIMEOUTS = re.compile(r"timeout|deadline|wait|keep_?alive|idle|grace|probe|poll|interval", re.I)
_CACHE = re.compile(r"cache|(?<![a-z])ttl(?![a-z])|expir|max_?age|stale", re.I)
_MEMORY = re.compile(r"memory|mem\b|heap|buffer|size|bytes", re.I)


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        kind = kinds.file_kind(file, patch)
        if kind == "docs_tests" or (kind not in _CONFIG_KINDS and not _CONFIG_PATH.search(file)):
            continue
        lines = diff.parse(patch)
        before: dict[tuple[int, str], str] = {}
        after: dict[tuple[int, str], tuple[str, int | None, tuple[str, ...]]] = {}
        for d, key, value, env in _values(lines):
            slot = (d.hunk, f"env {key}" if env else ".".join([*d.path[-3:], key]))
            if d.sign == "-":
                before.setdefault(slot, value)
            else:
                after.setdefault(slot, (value, d.new, (*d.path, key)))
        for slot, (value, line, path) in after.items():
            old = before.get(slot)
            finding = _dropped(file, slot[1], old, value, line, path) if old else None
            if finding is not None:
                found.append(finding)
    return found


def _values(lines: list[diff.DiffLine]) -> Iterable[tuple[diff.DiffLine, str, str, bool]]:
    """Each changed line's (key, value) pairs, an env list's `value` keyed by its `name`."""
    names: dict[str, tuple[str, int, bool] | None] = {"+": None, "-": None}
    for d in lines:
        sides = ("+", "-") if d.sign == " " else (d.sign,)
        if _COMMENT.match(d.text):
            continue
        named = _ENV_NAME.match(d.text)
        if named:
            dash = bool(named.group("dash"))
            indent = len(named.group("indent"))
            for side in sides:
                names[side] = (named.group("name"), indent, dash)
            continue
        if d.text.lstrip().startswith("- "):  # another list entry: the name does not reach it
            for side in sides:
                names[side] = None
        if d.sign == " ":
            continue
        inline = list(_INLINE_ENV.finditer(d.text))
        if inline:
            for m in inline:
                yield d, m.group("name"), m.group("value"), True
            continue
        current = names[d.sign]
        for key, value in pairs(d.text):
            if key == "value" and current is not None and _belongs(d.text, current):
                yield d, current[0], value, True
            else:
                yield d, key, value, False


def _belongs(text: str, name: tuple[str, int, bool]) -> bool:
    """Whether a `value` line sits in the list entry a `name` line opened."""
    indent = len(text) - len(text.lstrip())
    return indent > name[1] if name[2] else indent == name[1]


def _dropped(
    file: str, key: str, before: str, after: str, line: int | None, path: tuple[str, ...]
) -> Finding | None:
    old, new = _clean(before), _clean(after)
    if not _BARE.match(new):
        return None
    bare = float(new)
    kind = family(path)
    if kind == "ttl" and not _CACHE.search(_words(".".join(path))):
        kind = "other"  # `family` finds "ttl" inside words (`settle`, `throttle`)
    quantity = _quantity(old, kind)
    if quantity is None:
        return None
    amount, unit = quantity
    words = _words(key)
    digits = re.findall(r"\d+(?:\.\d+)?", old)
    same_digits = len(digits) == 1 and _close(float(digits[0]), bare)
    if unit == "seconds":
        converted = not same_digits and any(_close(bare, amount / k) for k in (1.0, 1e-3))
        named = bool(_NAMED_DURATION.search(words)) or kind in ("timeout", "ttl", "backoff")
        shown = (f"was {amount:g} s; a bare {new} is {bare:g} s to a reader counting seconds, "
                 f"{bare / 1000:g} s to one counting milliseconds")  # fmt: skip
    else:
        if _close(bare, amount):
            return None  # the same quantity in bytes or cores
        if unit == "cores" and not same_digits and bare < amount * _CORES_SLIP:
            return None  # a bare CPU value is read in cores everywhere: a new amount, written so
        converted = False
        named = bool(_NAMED_SIZE.search(words)) or kind in ("memory", "cache_size", "cpu")
        shown = f"was {amount:.15g} {unit}; a bare {new} is {bare:g} {unit}"
    strength = 0.7 if named else 0.45
    if converted:
        strength = 0.3
        shown += "; the old value converted, right only for a reader counting in that unit"
    message = f"{key} lost its unit: {old} → {new} ({shown})"
    return Finding(NAME, message, file, line, _symptoms(words, kind, unit), strength)


def _quantity(value: str, kind: str) -> tuple[float, str] | None:
    """A value with a unit as (amount in the base unit, the base unit), or None."""
    if kind == "cpu":
        cores = _MILLICORES.match(value)
        if cores:
            return int(cores.group(1)) / 1000, "cores"
    if kind == "memory" or re.search(r"[KMGT]i", value):
        size = _SIZE.match(value) or _DOCKER_SIZE.match(value)  # docker's 512m is megabytes
        if size:
            return float(size.group(1)) * _BYTES[size.group(2).lower()], "bytes"
    if _DURATION.match(value):
        seconds = sum(
            float(n) * _unit_seconds(u) for n, u in _DURATION_PARTS.findall(value)
        )  # fmt: skip
        return seconds, "seconds"
    iso = _ISO.match(value)
    if iso and any(iso.groups()):
        d, h, m, s = (float(g) if g else 0.0 for g in iso.groups())
        return d * 86400 + h * 3600 + m * 60 + s, "seconds"
    size = _SIZE.match(value)
    if size:
        return float(size.group(1)) * _BYTES[size.group(2).lower()], "bytes"
    return None


def _unit_seconds(unit: str) -> float:
    word = unit.lower()
    return _SECONDS.get(word, _SECONDS.get(word.rstrip("s"), 1.0))


def _symptoms(words: str, kind: str, unit: str) -> tuple[str, ...]:
    extra = []
    if kind in ("timeout", "backoff", "retry", "probe") or (
        unit == "seconds" and _TIMEOUTS.search(words)
    ):
        extra.append("timeouts")
    if kind in ("ttl", "cache_key", "cache_size") or _CACHE.search(words):
        extra.append("cache")
    if kind in ("memory", "cache_size") or (unit == "bytes" and _MEMORY.search(words)):
        extra.append("memory")
    return (*_BASE, *extra)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _clean(value: str) -> str:
    return value.strip().rstrip(",;").strip().strip("\"'").strip()


def _words(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return spaced.replace("-", "_").replace(".", "_").lower()
