"""A feature flag's default or fallback turned on: code paths that were dark now run for
everyone (or for everyone the flag service cannot answer for) at deploy time.

Catches a removed and an added line of the same hunk that set the same flag:
- a boolean default turned on (false → true, off → on, no → yes, 0 → 1, disabled → enabled)
  in flag files, YAML/JSON/TOML/.env/properties config and code constants, where the key,
  its parent or the file names a flag (`flag`, `feature`, `toggle`, `enabled`, `rollout`,
  `experiment`...);
- a fallback argument turned on in a flag lookup or env read that is otherwise unchanged
  (`boolVariation("x", ctx, false)`, `getenv("FEATURE_X", "false")`, `is_enabled("x",
  default=False)`, `@Value("${feature.x:false}")`, `flag.Bool("x", false, ...)`);
- a flag's default variant changed (`defaultVariant`, `default_variant`, `fallthrough`
  `variation`, `defaultTreatment`), or its state set to ENABLED (flagd);
- a percentage rollout raised to 100% (`percentage`, `rollout`, `coverage`, a fraction to 1.0).

Ignores flags turned off (true → false: the usual rollback), flags only added or removed,
percentages raised below 100, TLS and probe switches (their own detectors), comments, docs
and tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import pairs
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "flag_default_flipped"
SYMPTOMS = ("errors", "latency", "crash", "data")

_OFF = {"false", "off", "no", "disabled", "disable", "0", "n"}
_ON = {"true", "on", "yes", "enabled", "enable", "1", "y"}
_FLAGISH = re.compile(
    r"flag|feature|toggle|enabl|experiment|rollout|beta|preview|canary|launch|kill_?switch|"
    r"variant|variation|(^|_)ff(_|$)|use_?new|opt_?in|unleash|flipper|"
    r"growthbook|openfeature|optimizely|statsig|flagsmith|configcat",
    re.I,
)
_NAMED = re.compile(r"flag|feature|toggle|experiment|rollout|(^|_)ff(_|$)", re.I)
_OTHER_DETECTORS = re.compile(
    r"ssl|tls|verify|insecure|cert|probe|health|sslmode|reject_?unauthorized", re.I
)
_VARIANT_KEY = re.compile(
    r"^(default_?variant|default_?variation|default_?treatment|fallthrough|fallthrough_?variation|"
    r"off_?variation|default_?rule|default_?value)$|(^|\.)fallthrough\.variation$",
    re.I,
)
_PERCENT_KEY = re.compile(
    r"percent|percentage|rollout|coverage|traffic|exposure|ratio|fraction", re.I
)
_STATE_KEY = re.compile(r"^(state|status)$", re.I)
_LOOKUP = re.compile(
    r"variation|flag|feature|toggle|enabled|is_?on|isOn|getenv|environ|env\b|ENV\[|process\.env|"
    r"getBoolean|getBool|Bool\(|@Value|default|fallback|config\.get|settings\.get|viper",
    re.I,
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--\s|;)")
_TOKEN = re.compile(r"[\w.$-]+|[^\w\s]")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        kind = file_kind(file, patch)
        if kind in ("docs_tests", "dependency", "schema"):
            continue
        lines = diff.parse(patch)
        seen: set[int | None] = set()
        for gone, came, owner in _pairs(lines):
            finding = _judge(file, kind, gone, came, owner)
            if finding and finding.line not in seen:
                seen.add(finding.line)
                found.append(finding)
    return found


def _judge(
    file: str, kind: str, gone: diff.DiffLine, came: diff.DiffLine, owner: str
) -> Finding | None:
    if _COMMENT.match(gone.text) or _COMMENT.match(came.text):
        return None
    before, after = dict(pairs(gone.text)), dict(pairs(came.text))
    flag_file = kind == "feature_flag"
    for key in [k for k in after if k in before and before[k] != after[k]]:
        name = _name(key, owner, came.path)
        if _OTHER_DETECTORS.search(f"{'.'.join(came.path)}.{key}"):
            return None
        old_value, new_value = _clean(before[key]), _clean(after[key])
        last = key.split(".")[-1]
        flaggy = flag_file or bool(_FLAGISH.search(" ".join((*came.path, key, owner))))
        generic = re.fullmatch(r"default_?value", _snake(last))  # a flag's only under a flag
        if (_VARIANT_KEY.search(last) or _VARIANT_KEY.search(key)) and (flaggy or not generic):
            return _finding(file, came.new, f"flag `{name}` {last} changed: {old_value} → "
                            f"{new_value}", 0.6)  # fmt: skip
        if (
            _STATE_KEY.match(last)
            and old_value.lower() == "disabled"
            and new_value.lower() == "enabled"
        ):
            return _finding(file, came.new, f"flag `{name}` state changed: {old_value} → "
                            f"{new_value}", 0.6)  # fmt: skip
        if _PERCENT_KEY.search(last) and flaggy:
            rollout = _rollout(old_value, new_value, last)
            if rollout is not None:
                return _finding(file, came.new, f"flag `{name}` rollout raised to 100%: "
                                f"{old_value} → {new_value}", rollout)  # fmt: skip
        if flaggy and _turned_on(old_value, new_value, last):
            named = _NAMED.search(" ".join((*came.path, key, owner)))
            strength = 0.6 if flag_file or named else 0.5
            return _finding(file, came.new, f"flag `{name}` default flipped: {old_value} → "
                            f"{new_value}", strength)  # fmt: skip
    flipped = _token_flip(gone.text, came.text)
    if flipped and _LOOKUP.search(came.text) and not _OTHER_DETECTORS.search(came.text):
        before_token, after_token = flipped
        strength = 0.55 if _FLAGISH.search(came.text) else 0.45
        return _finding(file, came.new, f"flag default/fallback flipped: {before_token} → "
                        f"{after_token} in `{came.text.strip()}`", strength)  # fmt: skip
    return None


def _finding(file: str, line: int | None, message: str, strength: float) -> Finding:
    return Finding(NAME, message, file, line, SYMPTOMS, strength)


def _turned_on(before: str, after: str, key: str) -> bool:
    old, new = before.lower(), after.lower()
    if old in ("0", "1") and not _FLAGISH.search(key):
        return False  # a bare 0 → 1 only counts under a flag's own key
    return old in _OFF and new in _ON


def _rollout(before: str, after: str, key: str) -> float | None:
    old, new = _percent(before), _percent(after)
    if old is None or new is None:
        return None
    fraction = re.search(r"fraction|ratio|coverage", key, re.I) or "." in before + after
    if fraction and new <= 1.0 and "%" not in after:  # fractions: 0.1 → 1.0
        old, new = old * 100, new * 100
    if new < 100 or old >= 100:
        return None
    return 0.7 if old <= 10 else 0.6 if old <= 50 else 0.45


def _percent(value: str) -> float | None:
    text = value.strip().rstrip("%").strip()
    try:
        return float(text)
    except ValueError:
        return None


def _token_flip(before: str, after: str) -> tuple[str, str] | None:
    """The one token that differs between two lines, when it turned a boolean on."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    if len(old) != len(new):
        return None
    differ = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    if len(differ) != 1:
        return None
    a, b = differ[0]
    if a.lower() in _OFF - {"0", "1", "n", "y"} and b.lower() in _ON - {"0", "1", "n", "y"}:
        return a, b
    return None


def _pairs(lines: list[diff.DiffLine]) -> Iterator[tuple[diff.DiffLine, diff.DiffLine, str]]:
    """(removed, added, the name of the object they sit in) for lines that replace each other:
    in each run of removed lines followed by added lines, by key, else by position."""
    where = {id(d): n for n, d in enumerate(lines)}
    i = 0
    while i < len(lines):
        if lines[i].sign != "-":
            i += 1
            continue
        removed = []
        while i < len(lines) and lines[i].sign == "-":
            removed.append(lines[i])
            i += 1
        added = []
        while i < len(lines) and lines[i].sign == "+":
            added.append(lines[i])
            i += 1
        keyed = {_key(d.text): d for d in added if _key(d.text)}
        for position, gone in enumerate(removed):
            came = keyed.get(_key(gone.text)) if _key(gone.text) else None
            if came is None and len(removed) == len(added):
                came = added[position]
            if came is not None:
                yield gone, came, _owner(lines, where[id(came)])


def _key(text: str) -> str:
    found = pairs(text)
    return found[0][0] if found else ""


def _owner(lines: list[diff.DiffLine], index: int) -> str:
    """The key of the object a line sits in (JSON/YAML/TOML/HCL), from the lines above it."""
    text = lines[index].text
    indent = len(text) - len(text.lstrip())
    for d in reversed(lines[:index]):
        if d.sign == "-" or not d.text.strip():
            continue
        own = len(d.text) - len(d.text.lstrip())
        table = re.match(r"^\s*\[+\s*([\w.\"-]+)\s*\]+\s*$", d.text)  # TOML, INI section
        if table:
            return table.group(1).strip('"')
        opener = re.match(r"^\s*[\"']?([\w./-]+)[\"']?\s*[:=]?\s*[{\[]?\s*$", d.text)
        if own < indent and opener:
            return opener.group(1)
    return ""


def _name(key: str, owner: str, path: tuple[str, ...]) -> str:
    generic = re.compile(r"^(enabled?|default\w*|value|state|status|on|variation|percent\w*|"
                         r"rollout|coverage|fallthrough|weight)$", re.I)  # fmt: skip
    last = key.split(".")[-1]
    if not generic.match(last):
        return key
    for candidate in (*reversed([p for p in path if p]), owner):
        if candidate and not generic.match(candidate.split(".")[-1]):
            return f"{candidate}.{key}"
    return key


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).replace("-", "_").lower()


def _clean(value: str) -> str:
    return value.strip().strip("\"'").strip()
