"""Helpers the detectors share: the added lines of code files, grouped by file."""

from __future__ import annotations

import re
from collections import defaultdict

from agents.root_cause.facts.diff import DiffLine
from agents.root_cause.facts.types import ChangeFacts, Line
from agents.root_cause.kinds import file_kind


def code_lines(change: ChangeFacts) -> dict[str, list[Line]]:
    """Added lines per code file (not docs, tests, lock files or manifests), in order."""
    out: dict[str, list[Line]] = defaultdict(list)
    for line in change.added:
        if file_kind(line.file) == "code":
            out[line.file].append(line)
    return dict(out)


COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--)")
"""A comment line in the common languages (`#`, `//`, a block comment's lines, SQL's `--`);
detectors that read other syntaxes (XML, INI) keep their own."""


def indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def searcher(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


# A migration's rollback section (`def down`, `downgrade()`, `-- +goose Down`, knex's
# `exports.down`, Go's `func Down…`) and the section that starts the forward one again.
_DOWN = re.compile(
    r"^\s*(def\s+(down|downgrade|backwards)\b|--\s*\+goose\s+Down|--\s*migrate:down|exports\.down"
    r"\b|(export\s+)?(async\s+)?function\s+down\b|(public\s+)?(async\s+)?down\s*\(|down\s*[:=]\s*"
    r"(async\s*)?(\(|function)|func\s+[Dd]own\w*\(|--\s*!Downs?\b|#\s*---\s*!Downs?\b)",
    re.I,
)
_UP = re.compile(
    r"^\s*(def\s+(up|change|upgrade|forwards)\b|--\s*\+goose\s+Up|--\s*migrate:up|exports\.up\b|"
    r"(export\s+)?(async\s+)?function\s+up\b|(public\s+)?(async\s+)?up\s*\(|up\s*[:=]\s*"
    r"(async\s*)?(\(|function)|func\s+[Uu]p\w*\(|--\s*!Ups\b|#\s*---\s*!Ups\b)",
    re.I,
)
DOWN_FILE = re.compile(r"(^|/)[^/]*[._-]down\.sql$|(^|/)down\.sql$|(^|/)U\d+(_\d+)*__[^/]*$", re.I)
"""A migration file that only rolls back (`*.down.sql`, Flyway's `U__` undo scripts)."""


def in_rollback(lines: list[DiffLine]) -> list[bool]:
    """For each line of a patch, whether it sits in a migration's rollback section (what runs
    when the migration is undone, not when it is applied)."""
    out = []
    down = False
    for d in lines:
        if _DOWN.match(d.text):
            down = True
        elif _UP.match(d.text):
            down = False
        out.append(down or bool(re.search(r"\.down\s*\{", d.text)))
    return out


_CREATED = re.compile(
    r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<a>[\w.\"`]+)|\bcreate_table\s*\(?\s*[:\"']"
    r"(?P<b>\w+)|\bop\.create_table\(\s*[\"'](?P<c>\w+)|CreateModel\(\s*(?:name\s*=\s*)?[\"']"
    r"(?P<d>\w+)|createTable\(\s*[\"'](?P<e>\w+)",
    re.I,
)


def created_tables(change: ChangeFacts) -> set[str]:
    """The tables the change creates (SQL, Rails, Alembic, Django, knex), as `table_key`s:
    what a migration does to them touches no row that exists."""
    return {table_key(next(g for g in found.groups() if g))
            for line in change.added for found in _CREATED.finditer(line.text)}  # fmt: skip


def table_key(table: str) -> str:
    """A table's name compared across syntaxes: unquoted, unqualified, lower case, no `_`."""
    name = table.strip("\"'`").split(".")[-1].strip("\"'`").lower()
    return name.replace("_", "")
