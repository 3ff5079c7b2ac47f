"""Configuration values a page shows: environment variables (`CLIENT_TIMEOUT=2s`, `{"name": ...,
"value": ...}`, `KEY: value` in a ConfigMap dump), settings written `key = value` or
`key: value`, a JSON dump's `"maxBatchSize": 500` (numbers and booleans), JVM flags
(`-Xmx2g`, `-XX:NewRatio=3`), `--flag=value`, and the rows of a table whose header says
setting, parameter, key, variable, property, option or flag.

A lowercase `key=value` is kept only when its key names a setting (a pool size, a timeout, a
limit...) and is not a field of a log record (`request_id=`, `duration_ms=`, `status=`).
"""

from __future__ import annotations

import re

from agents.root_cause.facts.settings import key_words
from agents.root_cause.facts.text import records
from agents.root_cause.facts.tree import Page, Table
from agents.root_cause.facts.types import ConfigValue

_VALUE = r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;)\]}\"']+)"
_ENV = re.compile(r"(?<![\w.-])(?P<key>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=|: )" + _VALUE)
_JSON_ENV = re.compile(r'"name"\s*:\s*"(?P<key>[^"]+)"\s*,\s*"value"\s*:\s*"(?P<value>[^"]*)"')
_JSON_PAIR = re.compile(r'"(?P<key>[A-Za-z][\w.-]*)"\s*:\s*(?P<value>-?\d[\w.]*|true|false)\b')
_SPACED = re.compile(r"(?<![\w.-])(?P<key>[a-z][\w.-]*[a-z0-9])\s+=\s+" + _VALUE)
_PAIR = re.compile(r"(?<![\w.\-/])(?P<key>[a-z][a-z0-9]*(?:[._-][a-z0-9]+)+)(?:=|: )" + _VALUE)
_JVM = re.compile(r"(?<!\S)(?P<key>-X(?:mx|ms|ss|mn)|-XX:[A-Za-z]+)=?(?P<value>[^\s,;)\]]+)")
_FLAG = re.compile(r"(?<!\S)--(?P<key>[a-z][a-z0-9-]+)=" + _VALUE)
_SETTING = re.compile(  # matched at the start of one of the key's words
    r"size|max|min|limit|timeout|ttl|interval|retr|backoff|pool|worker|thread|replica|concurren"
    r"|memory|mem$|cpu|enabled|disabled|mode$|policy|delay|period|threshold|capacity|buffer"
    r"|batch|rate|quota|connection|overflow|keepalive|expir|lifetime|idle|heap|cache|queue"
    r"|prefetch|parallel|window|percent|weight|deadline|jitter|partition|standby|wal$|shared"
    r"|work|sampl|schedule|flag|feature|probe|grace|url$|endpoint|host$|port$|region|level"
)
_VALUE_LIKE = re.compile(
    r"\d|^(?:true|false|on|off|yes|no|none|null|enabled|disabled|always|never)$|[:/@]|\w[._-]\w",
    re.IGNORECASE,
)
_LOG_FIELDS = re.compile(
    r"(?:^|[._-])(?:id|ids|request|trace|span|user|pod|node|ts|time|msg|caller|status|code|err"
    r"|error|reason|attempt|elapsed|duration(?:_ms|_s)?|method|route|path|count|hits|misses)$"
)
_TABLE_KEYS = re.compile(r"setting|parameter|\bkey\b|variable|property|option|flag|config", re.I)
_TABLE_VALUES = re.compile(r"value|current|now|setting", re.I)
_LEVEL_WORD = re.compile(r"\b(?:ERROR|WARN|WARNING|INFO|DEBUG|FATAL)\b|\"level\"|\blevel=")
MAX_CONFIGS = 100


def configs(page: Page, source: str) -> list[ConfigValue]:
    found: list[tuple[str, str]] = []
    for line in page.texts:
        for record in records(line):
            found += pairs_in(record)
    for table in page.tables:
        found += _table_pairs(table)
    unique = dict.fromkeys((k, v) for k, v in found if k and v)
    return [ConfigValue(k, v, source) for k, v in list(unique)[:MAX_CONFIGS]]


def pairs_in(text: str) -> list[tuple[str, str]]:
    """(key, value) settings written in a piece of text, in order."""
    log = bool(_LEVEL_WORD.search(text[:80]))
    found: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_JSON_ENV, _ENV, _JVM, _FLAG, _JSON_PAIR, _SPACED, _PAIR):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            key, value = m["key"], m["value"].strip("\"'")
            loose = pattern in (_FLAG, _SPACED, _PAIR)
            if loose and (not _is_setting(key, value, log) or _in_braces(text, m.start())):
                continue
            if pattern is _JSON_PAIR and not _is_setting(key, value, log):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), key, value))
    return [(k, v) for _, k, v in sorted(found)]


def _is_setting(key: str, value: str, in_log: bool) -> bool:
    """A key that names a setting (one of its words does), not a log field or a file name,
    with a value that looks like one (a number, a literal, a path or address)."""
    lowered = key.lower()
    words = key_words(key).split("_")
    if _LOG_FIELDS.search(lowered) or not any(_SETTING.match(w) for w in words):
        return False
    if re.search(r"\.(?:html?|txt|md|ya?ml|json|py|go|js|ts|rb)$", lowered):
        return False
    if not _VALUE_LIKE.search(value):
        return False
    return not in_log or len(words) > 1


def _in_braces(text: str, at: int) -> bool:
    """Inside a `{label="value"}` selector of a query, not a setting."""
    return text.rfind("{", 0, at) > text.rfind("}", 0, at)


def _table_pairs(table: Table) -> list[tuple[str, str]]:
    """Rows of a table with a setting (key, parameter...) column and a value column."""
    header = [h.lower() for h in table.header]
    keys = [i for i, h in enumerate(header) if _TABLE_KEYS.search(h)]
    if not keys:
        return []
    key_col = keys[0]
    values = [i for i, h in enumerate(header) if i != key_col and _TABLE_VALUES.search(h)]
    if not values:
        return []
    value_col = values[0]
    out = []
    for row in table.rows:
        if max(key_col, value_col) < len(row) and row[key_col] and row[value_col]:
            out.append((row[key_col].strip(" !"), row[value_col].strip(" !")))
    return out
