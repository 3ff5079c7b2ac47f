"""A data backfill that rewrites a whole table in one statement: an `UPDATE ... SET` (or a
`DELETE`) in a migration with no bound on how many rows it touches. On a large table one
statement writes every row at once: a burst of write-ahead log (WAL, binlog) that saturates
the primary's disk and that the read replicas replay for minutes or hours behind it (stale
reads, replication lag), dead tuples and bloat, row locks held until it commits, and a
migration job that runs far longer than it did on a small staging copy.

Catches, in added lines of migrations and SQL files, outside rollback sections: an `UPDATE
<table> SET` or `DELETE FROM <table>` statement (bare SQL, or a string run by `op.execute`,
`execute`, `RunSQL`, `sql`) whose WHERE clause is absent, only joins another table, or only
picks rows by a null check; Rails `update_all` and `delete_all` and Django's
`.update(` on a whole model (`Model.objects.update(`, `.all().update(`) inside a migration.

Ignores a statement bounded to a batch (`LIMIT`, `BETWEEN`, a key range `id >= ... AND id <`,
`IN (SELECT ... LIMIT ...)`, a `ctid` range, bind parameters for a batch's bounds), one run in
a loop over batches (`in_batches`, `find_each`, `batch_size`, `while`/`for` around it, an
`.iterator(`), a table created in the same change (it is empty), comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import (
    COMMENT,
    DOWN_FILE,
    created_tables,
    in_rollback,
    table_key,
)
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import SCHEMA_DUMP, file_kind

NAME = "unbatched_backfill"
SYMPTOMS = ("data", "latency", "disk", "locks", "cpu", "timeouts")
_I = re.I

_SQL = re.compile(r"\b(?:UPDATE\s+(?:ONLY\s+)?(?P<u>[\w.\"`]+)(?:\s+(?:AS\s+)?\w+)?\s+SET\b|"
                  r"DELETE\s+FROM\s+(?:ONLY\s+)?(?P<d>[\w.\"`]+))", _I)  # fmt: skip
_ORM = re.compile(r"(?P<m>\w+)(?:\.objects)?(?:\.all\(\))?\.(?P<call>update_all|delete_all|update)"
                  r"\s*\(")  # fmt: skip
_DJANGO_WHOLE = re.compile(r"\.objects(?:\.all\(\))?\.update\s*\(")
_BOUND = re.compile(
    r"\bLIMIT\b|\bBETWEEN\b|\bctid\b|\bid\s*(?:>=?|<=?)\s*[\w%:$?({]|[:$%]\(?\w*(?:start|end|"
    r"lo|hi|min|max|from|to|batch|last|first)\w*|\bTOP\s*\(|\bROWNUM\b|\bFETCH\s+FIRST\b",
    _I,
)
_LOOPED = re.compile(
    r"\b(in_batches|find_each|find_in_batches|batch_size|each_slice|iterator\(|chunk(?:ed|s)?\b|"
    r"while\b|for\s+\w+(?:\s*,\s*\w+)?\s+in\b|loop\s+do\b|LOOP\b|\.each\b)",
    _I,
)
_END = re.compile(r";|\"\"\"|'''")
_LOOKBACK = 6  # lines before a statement read for a loop around it
_LENGTH = 14  # lines a statement may run over


def detect(change: ChangeFacts) -> list[Finding]:
    created = created_tables(change)
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if not _migration(file, patch):
            continue
        lines = diff.parse(patch)
        added = [d for d, down in zip(lines, in_rollback(lines), strict=True)
                 if d.sign == "+" and not down]  # fmt: skip
        for i, d in enumerate(added):
            if COMMENT.match(d.text):
                continue
            statement = _statement(added, i)
            what = _unbounded(statement, d.text, file)
            if what is None or table_key(what[0]) in created:
                continue
            before = " ".join(x.text for x in added[max(0, i - _LOOKBACK) : i])
            if _LOOPED.search(before) or _LOOPED.search(statement):
                continue
            table, verb = what
            found.append(Finding(
                NAME,
                f"{verb} of every row of `{table}` in one statement, with no batch bound: on a "
                "large table it writes the whole table at once (WAL that replicas replay "
                "behind it, I/O, row locks and bloat until it commits)",
                file, d.new, SYMPTOMS, 0.6,
            ))  # fmt: skip
            break  # one finding per file
    return found


def _migration(file: str, patch: str) -> bool:
    if file_kind(file, patch) == "docs_tests" or DOWN_FILE.search(file) or SCHEMA_DUMP.search(file):
        return False
    return file_kind(file, patch) == "schema" or file.lower().endswith(".sql")


def _statement(added: list[diff.DiffLine], i: int) -> str:
    """The statement starting on line i, its continuation lines joined (to its `;`, the end
    of the string it is in, a blank line, or `_LENGTH` lines)."""
    text = added[i].text
    for following in added[i + 1 : i + _LENGTH]:
        if not following.text.strip() or _END.search(text[len(added[i].text) :]):
            break
        text += "\n" + following.text
    return text


def _unbounded(statement: str, first: str, file: str) -> tuple[str, str] | None:
    """(the table, what the statement does) for an UPDATE or DELETE over a whole table."""
    flat = " ".join(statement.split())
    start = re.search(r"\b(UPDATE|DELETE\s+FROM)\b", first, _I)
    sql = _SQL.search(flat, flat.find(start.group(0))) if start else None
    if sql is not None:
        if _BOUND.search(flat):
            return None
        where = re.search(r"\bWHERE\b(?P<w>.*)", flat, _I)
        if where and not _whole(where.group("w")):
            return None
        table = (sql.group("u") or sql.group("d")).strip("\"'`")
        return table, "UPDATE" if sql.group("u") else "DELETE"
    orm = _ORM.search(first)
    if orm is None or not re.search(r"migrat", file, _I):
        return None
    call = orm.group("call")
    if call == "update" and not _DJANGO_WHOLE.search(first):
        return None
    if call in ("update_all", "delete_all") and re.search(r"\.where\(|\.limit\(", first):
        return None
    return orm.group("m"), call


def _whole(where: str) -> bool:
    """A WHERE clause that picks (about) every row: only equalities between two tables'
    columns (a join) and null checks."""
    parts = re.split(r"\bAND\b", re.split(r"\"\"\"|'''|;|\)\s*$", where)[0], flags=_I)
    for part in parts:
        p = part.strip()
        if not p:
            continue
        if re.fullmatch(r"[\w.\"`]+\s*=\s*[\w.\"`]+", p) and "." in p.split("=")[1]:
            continue  # a join: a.mcc = b.mcc
        if re.fullmatch(r"[\w.\"`]+\s+IS\s+(NOT\s+)?NULL", p, _I):
            continue
        return False
    return True
