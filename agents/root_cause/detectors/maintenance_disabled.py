"""A database's routine maintenance turned off or pushed out of reach: PostgreSQL's autovacuum
disabled (for a table, or for the server), its thresholds raised so high it never runs, or
MySQL's automatic statistics recalculation turned off. Nothing breaks at once: dead rows pile
up in a table that is updated (bloat: the table and its indexes grow, index-only scans fetch
the heap again, queries slow down day by day), or the planner keeps statistics of a table
that has changed since, until a plan turns bad. It builds up: the slowdown comes days after
the change.

Catches, in added lines outside rollback sections: `autovacuum_enabled` (or
`toast.autovacuum_enabled`) set to false, off or 0 in a table's storage parameters (`ALTER
TABLE ... SET (...)`, `CREATE TABLE ... WITH (...)`, an ORM's storage parameters); the server
setting `autovacuum` set to off, false or 0 (a `postgresql.conf` line, an `ALTER SYSTEM`, a
managed database's parameter group, a Helm value); `autovacuum_vacuum_scale_factor` (or the
analyze one) set to 1 or more and `autovacuum_vacuum_threshold` (or analyze) set to a million
or more, where it was lower or unset; MySQL's `STATS_AUTO_RECALC = 0` on a table and
`innodb_stats_auto_recalc` set to off or 0.

Ignores a migration that turns it off and on again within the same change (a bulk load that
pauses autovacuum, then restores it), settings turned back on, comments, docs, tests and
development or test configuration.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.detectors._lines import DOWN_FILE, in_rollback
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "maintenance_disabled"
SYMPTOMS = ("latency", "timeouts", "cpu", "disk")

_OFF = r"[\"']?(?:false|off|0|no)[\"']?"
_ON = r"[\"']?(?:true|on|1|yes)[\"']?"
_TABLE_OFF = re.compile(rf"\b(?:toast\.)?autovacuum_enabled\b[\"']?\s*[=:]\s*{_OFF}(?![\w.])", re.I)
_TABLE_ON = re.compile(rf"\b(?:toast\.)?autovacuum_enabled\b[\"']?\s*[=:]\s*{_ON}(?![\w.])", re.I)
_RESET = re.compile(r"\bRESET\s*\([^)]*\bautovacuum_enabled\b", re.I)
_SERVER_OFF = re.compile(
    rf"(?<![\w.])[\"']?autovacuum[\"']?\s*(?:[=:]|\bTO\b)\s*{_OFF}(?![\w.])", re.I
)
_SERVER_NAMED = re.compile(r"\bname\s*[=:]\s*[\"']autovacuum[\"']", re.I)  # a parameter block
_VALUE_OFF = re.compile(rf"\bvalue\s*[=:]\s*{_OFF}(?![\w.])", re.I)
_SCALE = re.compile(
    r"\bautovacuum_(?:vacuum|analyze)_scale_factor\b[\"']?\s*[=:]\s*[\"']?(?P<v>\d+(?:\.\d+)?)",
    re.I,
)
_THRESHOLD = re.compile(
    r"\bautovacuum_(?:vacuum|analyze)_threshold\b[\"']?\s*[=:]\s*[\"']?(?P<v>[\d_]+)", re.I
)
_MYSQL_OFF = re.compile(
    rf"\b(?:STATS_AUTO_RECALC\s*=?\s*0\b|innodb_stats_auto_recalc\b[\"']?\s*[=:]\s*{_OFF}(?![\w.]))",
    re.I,
)
_NOT_PRODUCTION = re.compile(
    r"(^|[/._-])(dev|development|local|test|tests|testing|ci|example|examples|sample|e2e|qa|"
    r"staging|docker-compose)([/._-]|$)",
    re.I,
)
_COMMENT = re.compile(r"^\s*(#|//|--|/\*|\*|;)")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if kinds.file_kind(file, patch) == "docs_tests" or _NOT_PRODUCTION.search(file):
            continue
        lower = patch.lower()
        if DOWN_FILE.search(file) or not ("autovacuum" in lower or "recalc" in lower):
            continue
        lines = diff.parse(patch)
        added = _added_up(lines)
        if any(_TABLE_ON.search(d.text) or _RESET.search(d.text) for d in added):
            continue  # paused for a load and restored in the same change
        removed = [d.text for d in lines if d.sign == "-"]
        for i, d in enumerate(added):
            message = _off(d.text, added[max(0, i - 3) : i], removed)
            if message:
                found.append(Finding(NAME, message, file, d.new, SYMPTOMS, 0.6))
    return found


def _added_up(lines: list[diff.DiffLine]) -> list[diff.DiffLine]:
    """The added lines that are not comments and not in a migration's rollback section."""
    return [d for d, down in zip(lines, in_rollback(lines), strict=True)
            if d.sign == "+" and not down and not _COMMENT.match(d.text)]  # fmt: skip


def _off(text: str, above: list[diff.DiffLine], removed: list[str]) -> str:
    if _TABLE_OFF.search(text):
        return ("autovacuum turned off for a table: dead rows pile up where it is updated "
                "(bloat, slower queries day by day)")  # fmt: skip
    if _SERVER_OFF.search(text) or (
        _VALUE_OFF.search(text) and any(_SERVER_NAMED.search(a.text) for a in above)
    ):
        return "autovacuum turned off for the server: no table is vacuumed or analyzed"
    if _MYSQL_OFF.search(text):
        return ("automatic statistics recalculation turned off: the planner keeps stale "
                "statistics as the table changes")  # fmt: skip
    scale = _SCALE.search(text)
    if scale and float(scale["v"]) >= 1 and not _was_at_least(_SCALE, removed, 1):
        return (f"autovacuum's scale factor raised to {scale['v']}: it waits until the table's "
                "dead rows outnumber its live ones")  # fmt: skip
    threshold = _THRESHOLD.search(text)
    if (
        threshold
        and int(threshold["v"].replace("_", "")) >= 1_000_000
        and not _was_at_least(_THRESHOLD, removed, 1_000_000)
    ):
        return f"autovacuum's threshold raised to {threshold['v']} rows: it rarely runs"
    return ""


def _was_at_least(pattern: re.Pattern[str], removed: list[str], floor: float) -> bool:
    return any(
        (m := pattern.search(r)) and float(m["v"].replace("_", "")) >= floor for r in removed
    )
