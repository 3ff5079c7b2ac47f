"""The settings a change sets, before → after, in any common format.

A line of a diff is read as `key: value` (YAML), `key = value` (env, properties, INI, TOML,
HCL, code constants), `"key": value` (JSON), `Key: value,` (struct and object literals) or
`key=value` arguments inside a call; a removed and an added line of the same hunk with the
same key are one setting that changed. Across the files of one change, a setting removed
from one file and set in another moved (`moved`): production goes from the value it had to
the value it now reads. Values are compared after their units: durations
in seconds (`30s`, `1500ms`, `5 * time.Second`, `PT30S`), sizes in bytes (`512Mi`, `2G`),
CPU in cores (`500m`). The family comes from the key and the keys it is nested under.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from agents.root_cause.facts.diff import DiffLine
from agents.root_cause.facts.types import Direction, SettingChange, SettingFamily

_ASSIGN = re.compile(
    r"^\s*(?:-\s+)?(?:export\s+|(?:const|let|var|val|final|static|private|public|protected)\s+)*"
    r"(?:[\w<>\[\],.?]+\s+)?"  # a type before the name (Java, Kotlin, Go, C#)
    r"[\"']?(?P<key>[A-Za-z_][\w.-]*(?:/[\w.-]+)?)[\"']?"  # `a.io/name`: an annotation's key
    r"(?:(?P<colon>:)(?=\s)|(?:\s*:\s*[\w.<>\[\]?| ]+?(?=\s*=))?\s*(?P<op>=|:=))"
    r"\s*(?P<value>.+?)[,;]?\s*$"
)
_ARG = re.compile(r"\b(?P<key>[A-Za-z_]\w*)\s*=\s*(?P<value>[\w.\"'*/+-]+(?:\s*\*\s*[\w.]+)?)")
_COMMENT = re.compile(r"\s+(#|//).*$")
# a value that is itself a list of settings: `k=v` pairs joined by commas, semicolons or &
_ATTRIBUTE = re.compile(r"(?P<k>[A-Za-z_][\w.-]*)=(?P<v>[^,;&=\s]+)")
_ATTRIBUTES = re.compile(r"[A-Za-z_][\w.-]*=[^,;&=\s]+(?:\s*[,;&]\s*[A-Za-z_][\w.-]*=[^,;&=\s]+)*")
_CALL = re.compile(r"[A-Za-z_][\w.]*\(")
_TYPED = re.compile(r"^[\w.<>\[\]?|]+\s*=\s*(.+)$")
# a call that logs, traces or counts: its `key=value` arguments are fields of a record, not
# settings (`info!(attempt = 2, backoff_ms = …)`, `log.warn("retry", delay=d)`)
_LOG_CALL = re.compile(
    r"\b(info|warn|warning|error|debug|trace|event|span|counter|gauge|histogram|println|"
    r"print|eprintln|format)!\s*\($|\b(log|logger|logging|slog|console|tracing|metrics|"
    r"statsd)\s*(\.|::)\s*\w+!?\s*\($|\.(debug|info|warn|warning|error|exception|critical|"
    r"fatal|bind)\s*\($",
    re.I,
)
_SKIP_KEYS = {"if", "for", "while", "return", "def", "class", "func", "import", "from", "elif"}

_FAMILY_PATTERNS: tuple[tuple[SettingFamily, str], ...] = (
    (
        "probe",
        r"(readiness|liveness|startup)_?probe|probes_(readiness|liveness|startup)(?![a-z])|"
        r"^(readiness|liveness|startup)$|healthcheck|health_check",
    ),
    # when a client stops calling a dependency it judges unhealthy (a circuit breaker, a
    # mesh's outlier detection): its thresholds, windows and open-state durations
    (
        "breaker",
        r"circuit_?breakers?|(^|_)breaker|outlier_?detection|failure_?rate_?threshold|"
        r"slow_?call|minimum_?number_?of_?calls|sliding_?window|(half_)?open_?state|ejection|"
        r"error_?threshold|consecutive_?\w*errors",
    ),
    ("tls", r"tls|ssl|verify|insecure|ca_?(bundle|file|cert)|certificate|reject_?unauthorized"),
    ("backoff", r"backoff|jitter|retry_?(delay|interval|wait)|wait_?between"),
    ("retry", r"retr(y|ies)|max_?attempts|attempts"),
    ("keepalive", r"keep_?alive|ping_?(interval|timeout)|heartbeat_?(interval|timeout)"),
    ("timeout", r"timeout|deadline|time_?out"),
    (
        "autoscaling",
        r"(min|max)_?replica(s|_?count)|autoscal|hpa|target_?cpu|"
        r"average_?utilization|min_?scale|max_?scale",
    ),
    (
        "replicas",
        r"replicas|replica_?count|instances|desired_?(count|capacity)|node_?count"
        r"|max_?surge|max_?unavailable",
    ),  # a rollout's pods replaced at once
    ("pool", r"pool|max_?(open_?)?conn|connections?_?limit|max_?idle|min_?idle|maxconn"),
    ("workers", r"workers?|threads?|concurrency|parallelism|processes|prefetch|in_?flight"),
    ("memory", r"memory|heap|xmx|mem_?limit|\bmem\b"),
    ("cpu", r"\bcpus?\b|cpu_?(limit|request|quota|shares)"),
    ("cache_key", r"cache_?key|key_?prefix|cache_?version|cache_?namespace"),
    ("cache_size", r"cache_?size|max_?entries|maxsize|max_?items|lru"),
    ("ttl", r"(^|_)ttl(_|s?$)|expir|max_?age|cache_?seconds|stale"),
    (
        "batch",
        r"batch|chunk|page_?size|fetch_?(min_?|max_?)?(size|bytes)|linger|buffer_?size|"
        r"poll_?records|max_?records|records_?per",
    ),
    ("log_level", r"log_?level|loglevel|logging.*level|^level$|\.level$|root_?level"),
    ("sampling", r"sampl"),
    ("schedule", r"schedule|cron"),
    ("rate_limit", r"rate_?limit|ratelimit|\brps\b|\bqps\b|requests_?per|throttl|quota|burst"),
    ("retention", r"retention|retain|rotate|max_?files|max_?history|keep_?(days|logs)"),
    ("image", r"\bimage\b|\btag\b"),
    ("flag", r"flag|enabled?|feature|toggle|default_?variant|variant|rollout"),
)
FAMILIES: tuple[tuple[SettingFamily, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I)) for name, pattern in _FAMILY_PATTERNS
)

_DURATION = re.compile(
    r"^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)$",
    re.I,
)  # noqa: E501
_GO_DURATION = re.compile(
    r"^(\d+(?:\.\d+)?)\s*\*\s*time\.(Nanosecond|Microsecond|Millisecond|Second|Minute|Hour)$"
)  # noqa: E501
_ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$", re.I)
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T|KB|MB|GB|TB|KiB|MiB|GiB|TiB|k|b|B)$")
_CPU = re.compile(r"^(\d+)m$")
_DOCKER_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kmgKMG])$")
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "secs": 1,
            "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
            "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400,
            "days": 86400}  # fmt: skip
_GO_UNITS = {"Nanosecond": 1e-9, "Microsecond": 1e-6, "Millisecond": 1e-3, "Second": 1,
             "Minute": 60, "Hour": 3600}  # fmt: skip
_BYTES = {"k": 1e3, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12,
          "TB": 1e12, "Ki": 1024, "KiB": 1024, "Mi": 1024**2, "MiB": 1024**2, "Gi": 1024**3,
          "GiB": 1024**3, "Ti": 1024**4, "TiB": 1024**4, "b": 1, "B": 1}  # fmt: skip


# a block that gives its keys their meaning: a probe's `timeoutSeconds`, a breaker's named
# `instances`
_CONTEXT: tuple[SettingFamily, ...] = ("probe", "breaker")


def family(path: Iterable[str]) -> SettingFamily:
    """The family of a key, judged from the key first, then the keys above it; inside a
    probe's block every key is the probe's (its `timeoutSeconds` is not a client timeout)."""
    keys = [part for k in path if k for part in k.split(".")]
    for key in keys[:-1]:
        for name, pattern in FAMILIES:
            if name in _CONTEXT and pattern.search(key_words(key)):
                return name
    for key in reversed(keys):
        for name, pattern in FAMILIES:
            if pattern.search(key_words(key)):
                return name
    return "other"


def number(value: str | None, kind: SettingFamily = "other") -> float | None:
    """A value as a number after its unit (seconds, bytes, cores), or None; `500m` is half a
    core for a CPU setting and 500 minutes elsewhere."""
    if value is None:
        return None
    text = value.strip().strip("\"'").strip()
    cpu = _CPU.match(text) if kind == "cpu" else None
    if cpu:
        return int(cpu.group(1)) / 1000
    docker = _DOCKER_SIZE.match(text) if kind == "memory" else None
    if docker:  # docker's 512m, 2g
        return float(docker.group(1)) * {"k": 1e3, "m": 1e6, "g": 1e9}[docker.group(2).lower()]
    for pattern, scale in ((_DURATION, _SECONDS), (_SIZE, _BYTES)):
        found = pattern.match(text)
        if found:
            unit = found.group(2)
            return float(found.group(1)) * scale.get(unit, scale.get(unit.lower(), 1))
    found = _GO_DURATION.match(text)
    if found:
        return float(found.group(1)) * _GO_UNITS[found.group(2)]
    found = _ISO_DURATION.match(text)
    if found and any(found.groups()):
        h, m, s = (float(g) if g else 0.0 for g in found.groups())
        return h * 3600 + m * 60 + s
    found = _CPU.match(text)
    if found:
        return int(found.group(1)) / 1000
    if _NUMBER.match(text.replace("_", "")):
        return float(text.replace("_", ""))
    return None


def settings(file: str, lines: list[DiffLine]) -> list[SettingChange]:
    """Every setting the diff of `file` changes, adds or removes, in file order."""
    before: dict[tuple[int, str], tuple[str, tuple[str, ...]]] = {}
    after: dict[tuple[int, str], tuple[str, tuple[str, ...], int | None]] = {}
    for d in lines:
        if d.sign == " ":
            continue
        for key, value in pairs(d.text):
            slot = (d.hunk, _full(d.path, key))
            if d.sign == "-":
                before.setdefault(slot, (value, (*d.path, key)))
            else:
                after.setdefault(slot, (value, (*d.path, key), d.new))
    out = []
    for slot in dict.fromkeys([*before, *after]):
        old = before.get(slot)
        new = after.get(slot)
        if old and new and old[0] == new[0]:
            continue
        path = (new or old)[1]  # type: ignore[index]
        out.append(_change(file, slot[1], old[0] if old else None, new[0] if new else None,
                           path, new[2] if new else None))  # fmt: skip
    return out


def unchanged(file: str, lines: list[DiffLine]) -> list[SettingChange]:
    """The settings the diff of `file` shows on unchanged lines (before and after the same)."""
    return [_change(file, _full(d.path, key), value, value, (*d.path, key), d.new)
            for d in lines if d.sign == " " for key, value in pairs(d.text)]  # fmt: skip


# Files that configure an environment other than production, by a path part or name suffix
# (`application-dev.yml`, `values-staging.yaml`, `env/qa/`): what they set is not what
# production runs.
_NOT_PRODUCTION = re.compile(
    r"(^|[/._-])(dev|development|local|test|testing|qa|staging|stage|stg|sandbox|ci|e2e|"
    r"preview|demo)([/._-]|$)", re.I)  # fmt: skip
_PRODUCTION = re.compile(r"(^|[/._-])(prod|production|prd|live)([/._-]|$)", re.I)


def production_file(file: str) -> bool | None:
    """True for a file that names production, False for one that names another environment,
    None for a file shared by all (`application.yml`, `values.yaml`)."""
    if _PRODUCTION.search(file):
        return True
    return False if _NOT_PRODUCTION.search(file) else None


def moved(found: list[SettingChange], context: list[SettingChange]) -> list[SettingChange]:
    """The settings of one change with those it moved between files made one: a key removed
    from one file and set in another (an override folded into a shared file, a block moved
    between profiles) changes production from the value the production-side file held to
    the value it reads now. Where the key is set in no other file of the change, a line the
    diff shows unchanged elsewhere, with the same specific key (`net.core.somaxconn`, not a
    bare `timeout`), is the value it falls back to (`context`: the settings shown unchanged).
    Files of other environments (dev, staging, test) neither give nor take the value."""
    removed: dict[str, list[SettingChange]] = {}
    added: dict[str, list[SettingChange]] = {}
    for s in found:
        if s.after is None:
            removed.setdefault(s.key, []).append(s)
        elif s.before is None:
            added.setdefault(s.key, []).append(s)
    merged: dict[str, SettingChange | None] = {}  # key → one setting (None: no change)
    for key, gone in removed.items():
        shown = [c for c in context if c.key == key and _specific(key)
                 and production_file(c.file) is not False]  # fmt: skip
        elsewhere = [c for c in shown if c.file not in {g.file for g in gone}]
        now = _for_production(added.get(key, [])) or _for_production(elsewhere)
        was = _for_production(gone)
        if now is None or was is None or now.file == was.file:
            continue
        merged[key] = None if now.after == was.before else _moved(was, now)
    out: list[SettingChange] = []
    for s in found:
        if s.key not in merged or (s.before is not None and s.after is not None):
            out.append(s)
        elif (one := merged[s.key]) is not None and one not in out:
            out.append(one)
    return out


_VAR_REF = re.compile(r"^var\.(?P<name>\w+)$")


def module_defaults(found: list[SettingChange], patches: Mapping[str, str]) -> list[SettingChange]:
    """Terraform settings whose new value is a module's variable (`var.visibility_timeout`)
    that no module call in the change passes: the value production gets is that variable's
    `default`, where the change shows it (added or unchanged lines of its `variable` block).
    A resource moved into a shared module loses what it set and takes the module's default."""
    out: list[SettingChange] = []
    for s in found:
        ref = _VAR_REF.match(s.after or "")
        value = _default(ref["name"], patches) if ref and s.file.endswith(".tf") else None
        if value is None or ref is None or _passed(ref["name"], patches):
            out.append(s)
            continue
        old, new = number(s.before, s.family), number(value, s.family)
        out.append(replace(s, after=value, before_number=old, after_number=new,
                           direction=_direction(s.before, value, old, new)))  # fmt: skip
    return out


def _default(name: str, patches: Mapping[str, str]) -> str | None:
    for file, patch in patches.items():
        if not file.endswith(".tf"):
            continue
        inside = False
        for line in patch.splitlines():
            if line.startswith("-"):
                continue
            text = line[1:] if line[:1] in ("+", " ") else line
            if re.match(rf'\s*variable\s+"{re.escape(name)}"\s*\{{', text):
                inside = True
            elif inside and re.match(r"\s*variable\s+\"", text):
                inside = False
            elif inside and (m := re.match(r"\s*default\s*=\s*\"?([^\s\"#]+)", text)):
                return m[1]
    return None


def _passed(name: str, patches: Mapping[str, str]) -> bool:
    """Whether an added line of the change's Terraform sets `name = …` (a module call
    passing the variable), other than the module's own use of it (`name = var.name`)."""
    setting = re.compile(rf"^\+\s*{re.escape(name)}\s*=(?!\s*var\.{re.escape(name)}\b)", re.M)
    return any(setting.search(p) for f, p in patches.items() if f.endswith(".tf"))


def _moved(was: SettingChange, now: SettingChange) -> SettingChange:
    old, new = number(was.before, now.family), number(now.after, now.family)
    return replace(now, before=was.before, before_number=old, after_number=new,
                   direction=_direction(was.before, now.after, old, new))  # fmt: skip


def _for_production(side: list[SettingChange]) -> SettingChange | None:
    """The one value production reads among a key's settings in several files: the file that
    names production, else the shared files when they agree."""
    named = [s for s in side if production_file(s.file)]
    shared = [s for s in side if production_file(s.file) is None]
    pick = named or shared
    values = {s.after if s.after is not None else s.before for s in pick}
    return pick[0] if len(values) == 1 else None


def _specific(key: str) -> bool:
    """A key named precisely enough to be the same setting wherever it appears: two words at
    least (`nf_conntrack_max`, `threads.max`), eight letters or more."""
    return len(re.findall(r"[A-Za-z]+", key_words(key).replace("_", " "))) >= 2 and len(key) >= 8


def pairs(text: str) -> list[tuple[str, str]]:
    """The (key, value) pairs a line sets: an assignment, or arguments inside a call."""
    line = _COMMENT.sub("", text).rstrip()
    if not line.strip() or line.strip().startswith(("#", "//", "*", "/*")):
        return []
    found = _ASSIGN.match(line)
    if found and found.group("key") not in _SKIP_KEYS:
        key, value = found.group("key"), found.group("value").strip()
        attributes = _ATTRIBUTES.fullmatch(value.strip("\"'"))
        if found.group("colon") and attributes:  # `attributes: idle_timeout.seconds=60,x=true`
            return [(f"{key}.{m['k']}", m["v"]) for m in _ATTRIBUTE.finditer(attributes.group(0))]
        typed = _TYPED.match(value) if found.group("colon") else None
        value = typed.group(1) if typed else value  # `val n: Int = 5`, `let n: number = 5`
        if value.startswith("{") and value.endswith("}"):  # an inline map: {memory: 512Mi}
            inner = [pairs(part) for part in value[1:-1].split(",")]
            return [(f"{key}.{k}", v) for found_pairs in inner for k, v in found_pairs]
        if value and not value.endswith(("(", "{", "[")) and not _CALL.search(value):
            return [(key, value)]
    if "(" in line and not _LOG_CALL.search(line.split("(", 1)[0] + "("):
        return [(m.group("key"), m.group("value")) for m in _ARG.finditer(line.split("(", 1)[1])]
    return []


def _change(
    file: str,
    key: str,
    before: str | None,
    after: str | None,
    path: tuple[str, ...],
    line: int | None,
) -> SettingChange:
    kind = family(path)
    old, new = number(before, kind), number(after, kind)
    return SettingChange(
        file=file, key=key, before=_clean(before), after=_clean(after), family=kind,
        direction=_direction(before, after, old, new), line=line, before_number=old,
        after_number=new,
    )  # fmt: skip


def _direction(
    before: str | None, after: str | None, old: float | None, new: float | None
) -> Direction:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    if old is not None and new is not None and old != new:
        return "lowered" if new < old else "raised"
    return "changed"


def _full(path: tuple[str, ...], key: str) -> str:
    return ".".join([*path[-3:], key])


def _clean(value: str | None) -> str | None:
    return value.strip().strip("\"'") if value is not None else None


def key_words(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return spaced.replace("-", "_").replace(".", "_").lower()
