"""Debug or trace logging (or 100% trace sampling) turned on in production configuration:
log volume multiplies, disks fill, and the logging itself costs CPU and latency.

Catches a log level set to DEBUG/TRACE/ALL (or FINEST, VERBOSE, silly) where it was higher
or unset, in any common form: a key (`LOG_LEVEL=debug`, `logging.level.root: DEBUG`,
`level = "trace"`, `RUST_LOG=debug`, `config.log_level = :debug`), a call
(`logger.setLevel(logging.DEBUG)`, `log.SetLevel(logrus.DebugLevel)`,
`zerolog.SetGlobalLevel(zerolog.TraceLevel)`, `pino({ level: 'debug' })`), logging XML
(`<root level="DEBUG">`), a command-line flag (`--log-level=debug`), or Node's `DEBUG=*`; and
trace or log sampling raised to everything (`traces_sample_rate: 0.1` → `1.0`,
`OTEL_TRACES_SAMPLER=always_on`; rate keys only, not `num_samples` or `downsample_rate`).
A root or global level counts more than one package's, except the chatty packages (SQL,
HTTP wire, driver logs).

Ignores dev, local, test, CI, staging and example profiles (by file name, by the section a
line sits under, or a Spring profile document), levels lowered back to INFO or above,
framework debug modes that are not logging (`DEBUG = True`), comments, docs and tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import family, number, pairs
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "debug_logging_enabled"
SYMPTOMS = ("disk", "latency", "cpu")

_NOT_PRODUCTION = re.compile(
    r"(^|[/._-])(dev|devel|development|local|test|tests|testing|ci|sandbox|example|examples|"
    r"sample|e2e|qa|staging|stage|debug|localhost|docker-compose\.override)([/._-]|$)",
    re.I,
)
_PROFILE = re.compile(r"profiles?\b.*[:=]\s*[\"']?(dev|devel|development|local|test|testing|ci)\b",
                      re.I)  # fmt: skip
_RANK = {"trace": 0, "all": 0, "finest": 0, "silly": 0, "debug": 1, "finer": 1, "fine": 1,
         "verbose": 1, "info": 2, "notice": 2, "config": 2, "warn": 3, "warning": 3,
         "error": 4, "err": 4, "severe": 4, "fatal": 5, "critical": 5, "crit": 5, "off": 5,
         "none": 5, "panic": 5}  # fmt: skip
_LEVEL = re.compile(
    r"(?<![A-Za-z])(trace|all|finest|silly|debug|finer|fine|verbose|info|notice|warn|warning|"
    r"error|err|severe|fatal|critical|crit|off|panic)(?:level)?(?![a-z])",
    re.I,
)
_LOG_KEY = re.compile(r"\brust log\b|^log$|\blog level\b|\bloglevel\b|\blogging\b|\blogger\b")
_CALLS = (
    re.compile(
        r"(?P<k>[\w.]*(?:\(\s*\)\.)?(?:setLevel|SetLevel|SetGlobalLevel|NewAtomicLevelAt|"
        r"setRootLevel|set_level|setLogLevel|SetLogLevel))\(\s*(?:[\w.]+,\s*)?(?P<v>[\w.:]+)"
    ),
    re.compile(r"(?P<k>\blevel)\s*:\s*[\"'](?P<v>\w+)[\"']"),
    re.compile(
        r"<(?P<k>root|Root|logger|Logger|AsyncLogger|AsyncRoot)\b[^>]*\blevel=\"(?P<v>\w+)\""
    ),
    re.compile(r"<(?P<k>level)\s+value=\"(?P<v>\w+)\""),
    re.compile(r"(?P<k>--log[-_]?level)[= ](?P<v>\w+)", re.I),
)
_LOGGER_NAME = re.compile(r"\bname=\"(?P<name>[\w.$]+)\"")
_ROOT_CALL = re.compile(r"^(log|logrus|zerolog|slog|logging)\.|getLogger\(\s*\)|getRootLogger|"
                        r"[Rr]oot|Global")  # fmt: skip
_NODE_DEBUG = re.compile(r"^\s*(?:export\s+|-\s+)?[\"']?DEBUG[\"']?\s*[:=]\s*[\"']?\*")
_ROOT = re.compile(r"root|global|^(log ?level|loglevel|level|rust log|log)$|\blog level\b")
_CHATTY = re.compile(r"sql|wire|http|hibernate|jdbc|netty|grpc|kafka|request|body|boto|urllib")
_PACKAGE = re.compile(r"[a-z]\w*\.[a-z]\w*\.")  # a dotted logger name: com.example.x
_ALWAYS = re.compile(r"always_?on|alwayson|AlwaysSample|parentbased_always_on|ALWAYS_SAMPLE", re.I)
_RATE_KEY = re.compile(
    r"(?<![a-z])(sample|sampling) (rate|ratio|probability|percent|percentage|fraction)$|"
    r"(?<![a-z])sampler( arg)?$|^sampling$"
)
_RATE_WORD = re.compile(r"probability|rate|ratio|percent(age)?|param|arg|fraction")
_NOT_A_RATE = re.compile(
    r"interval|size|period|window|seconds|\bcount\b|limit|\bmax\b|\bmin\b|"
    r"period|hz|frequency|bits"
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--|;)")
_Reader = Callable[[diff.DiffLine], tuple[str, str]]


def detect(change: ChangeFacts) -> list[Finding]:
    found: dict[tuple[str, int | None], Finding] = {}
    for file, patch in change.patches.items():
        if kinds.file_kind(file, patch) == "docs_tests" or _NOT_PRODUCTION.search(file):
            continue
        lines = diff.parse(patch)
        removed: dict[int, list[diff.DiffLine]] = {}
        for d in lines:
            if d.sign == "-" and not _COMMENT.match(d.text):
                removed.setdefault(d.hunk, []).append(d)
        for d, dev in zip(lines, _dev_sections(lines), strict=True):
            if d.sign != "+" or dev or _COMMENT.match(d.text):
                continue
            gone = removed.get(d.hunk, [])
            finding = _level(file, d, gone) or _sampling(file, d, gone)
            if finding is not None:
                found.setdefault((file, d.new), finding)
    return list(found.values())


def _level(file: str, d: diff.DiffLine, gone: list[diff.DiffLine]) -> Finding | None:
    key, value = _logging_value(d)
    level = _level_of(value) if value else None
    if level is None or _RANK[level] > 1:
        return None
    before = _before(d, gone, _logging_value)
    old = _level_of(before) if before else None
    if old is not None and _RANK[old] <= _RANK[level]:
        return None
    flat = _flat(key)
    if _NODE_DEBUG.match(d.text):
        strength, scope = 0.5, "every debug namespace"
    elif _PACKAGE.search(key.lower() + ".") and not _ROOT.search(flat.rsplit(" ", 1)[-1]):
        chatty = bool(_CHATTY.search(flat))
        strength, scope = (0.55, "a chatty logger") if chatty else (0.35, "one logger")
    elif _ROOT.search(flat) or _ROOT_CALL.search(key):
        strength, scope = 0.65, "the root logger"
    else:
        strength, scope = 0.5, "a logger"
    if _RANK[level] == 0:
        strength += 0.1
    was = f"{before.strip()} → " if before else ""
    message = f"log level of {scope} set to {level.upper()} ({key}: {was}{value.strip()})"
    return Finding(NAME, message, file, d.new, SYMPTOMS, round(min(strength, 0.8), 2))


def _logging_value(d: diff.DiffLine) -> tuple[str, str]:
    """The logging key and the value this line sets, if it sets a log level."""
    if _NODE_DEBUG.match(d.text):
        return "DEBUG", "*"
    if not _LEVEL.search(d.text):
        return "", ""  # no level named on the line
    markup = d.text.lstrip().startswith("<")
    if not markup:
        for key, value in pairs(d.text):
            path = (*d.path, key)
            last = _flat(key.rsplit(".", 1)[-1])
            if family(path) == "log_level" or _LOG_KEY.search(last):
                return ".".join(path[-3:]), value
    for pattern in _CALLS:
        found = pattern.search(d.text)
        if found:
            key = found.group("k")
            named = _LOGGER_NAME.search(d.text) if key.lower().endswith("logger") else None
            return (f"{key} {named.group('name')}" if named else key), found.group("v")
    return "", ""


def _level_of(value: str) -> str | None:
    """The most verbose level a value names (`DEBUG`, `logging.DEBUG`, `:debug`,
    `logrus.DebugLevel`, `info,my_crate=trace`); None for anything else (a conditional, a
    function, a variable)."""
    text = value.strip().strip("\"'").strip()
    if text == "*":
        return "debug"
    levels = []
    for part in re.split(r"[,\s]+", text):
        word = re.split(r"[=.:]+", part)[-1]
        found = _LEVEL.fullmatch(word)
        if found is None:
            return None
        levels.append(found.group(1).lower())
    return min(levels, key=lambda level: _RANK[level]) if levels else None


def _sampling(file: str, d: diff.DiffLine, gone: list[diff.DiffLine]) -> Finding | None:
    key, value = _sampling_value(d)
    if not key:
        return None
    before = _before(d, gone, _sampling_value)
    always = bool(_ALWAYS.search(value))
    rate = 1.0 if always else _rate(value, key)
    if rate is None or rate < 1.0:
        return None
    old = 1.0 if before and _ALWAYS.search(before) else _rate(before, key) if before else None
    if old is not None and old >= 1.0:
        return None
    strength = 0.45 if not old else min(0.75, 0.35 + 0.2 * math.log10(1.0 / old))
    was = f"{before.strip()} → " if before else ""
    message = f"sampling set to everything ({key}: {was}{value.strip()})"
    return Finding(NAME, message, file, d.new, SYMPTOMS, round(strength, 2))


def _sampling_value(d: diff.DiffLine) -> tuple[str, str]:
    if not re.search("sampl", f"{d.text} {' '.join(d.path)}", re.I):
        return "", ""
    for key, value in pairs(d.text):
        path = (*d.path, key)
        under = bool(d.path) and re.search("sampl", d.path[-1], re.I) is not None
        rate = _RATE_KEY.search(_flat(key)) or (under and _RATE_WORD.fullmatch(_flat(key)))
        if rate and not _NOT_A_RATE.search(_flat(key)):
            return ".".join(path[-3:]), value
    found = _ALWAYS.search(d.text)
    if found and re.search(r"sampl\w*\s*[:=(]", d.text, re.I):
        return "sampler", found.group(0)
    return "", ""


def _rate(value: str | None, key: str) -> float | None:
    """A sampling rate as a fraction: `0.1`, `1.0`, `100` (a percentage), `"1"`; None for
    anything else (`44100` is a rate of another kind)."""
    amount = number(value)
    if amount is None or amount < 0:
        return None
    if amount <= 1:
        return amount
    if re.search(r"percent|pct|%", key, re.I) or amount == 100:
        return amount / 100 if amount <= 100 else None
    return None


def _before(d: diff.DiffLine, gone: list[diff.DiffLine], read: _Reader) -> str | None:
    """What a removed line of the same hunk (`gone`) set for the same key, if one did."""
    key, _ = read(d)
    for old in gone:
        old_key, old_value = read(old)
        if old_key == key and old_value:
            return old_value
    return None


def _dev_sections(lines: list[diff.DiffLine]) -> list[bool]:
    """For each line: whether it sits under a dev/test key, or in a YAML document or an INI
    section of a dev/test profile (`on-profile: dev` above it, after the last `---`)."""
    out, profile = [], False
    for d in lines:
        under = any(_NOT_PRODUCTION.search(f"/{key}/") for key in d.path)
        out.append(under or profile)
        if d.sign == "-":
            continue
        text = d.text.strip()
        if text == "---" or re.match(r"^\[[^\]]+\]$", text):
            profile = bool(re.search(r"\[(dev|development|local|test|testing)\b", text, re.I))
        elif _PROFILE.search(d.text):
            profile = True
    return out


def _flat(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).strip()
