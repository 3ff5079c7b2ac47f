"""An index dropped, or a column losing its index: the queries that used it scan the table
(slow queries, CPU on the database, connections held longer, lock waits behind them).

Catches, in added lines outside rollback sections: SQL `DROP INDEX` (PostgreSQL and MySQL's
`DROP INDEX ... ON`, `ALTER TABLE ... DROP INDEX|KEY`), Rails `remove_index`, Django
`RemoveIndex`/`RemoveIndexConcurrently`, Alembic `drop_index`, knex `dropIndex`; and, in
removed lines that are not added back: Prisma `@@index`, SQLAlchemy `index=True` and
`Index(...)`, Django `db_index=True` and `models.Index(...)`, JPA/TypeORM `@Index`, and a
schema dump's `t.index` (Rails `schema.rb`, used only when no migration in the change drops
the index). A drop reports the index, its table and columns when written, and is stronger
when the change's code queries that column, weaker when the change creates another index
on the same table.

Ignores an index dropped and created again under the same name or on the same columns (a
rebuild or rename), rollback sections (`def down`, `downgrade()`, `-- +goose Down`,
`*.down.sql`, Flyway `U__` scripts) where a drop undoes the migration's own index, comments,
docs and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause.detectors._lines import DOWN_FILE, in_rollback
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import SCHEMA_DUMP, file_kind

NAME = "dropped_index"
SYMPTOMS = ("latency", "cpu", "timeouts", "connections", "locks")
_I = re.I

_INDEXISH = re.compile(r"index|\bdrop\s+key\b", re.I)  # a patch without the word drops no index
_COMMENT = re.compile(r"^\s*(#|//|--|/\*|\*)")
_NAME = r"[\"'`]?([\w.]+)[\"'`]?"
_DROPS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, _I)
    for p in (
        rf"\bDROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?{_NAME}(?:\s+ON\s+{_NAME})?",
        rf"\bALTER\s+TABLE\s+{_NAME}\s+DROP\s+(?:INDEX|KEY)\s+{_NAME}",
        r"\bremove_index\s*\(?\s*[:\"'](?P<table>\w+)[\"']?(?P<rest>.*)",
        r"\bRemoveIndex(?:Concurrently)?\s*\((?P<rest>.*)",
        r"\b(?:op|batch_op)\.drop_index\s*\((?P<rest>.*)",
        r"\.dropIndex\s*\((?P<rest>.*)",
    )
)
_CREATES = re.compile(
    r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?[\"'`]?(?P<name>"
    r"\w+)?[\"'`]?\s*ON\s+(?:ONLY\s+)?[\"'`]?(?P<table>[\w.]+)[\"'`]?\s*(?:USING\s+\w+\s*)?\("
    r"(?P<columns>[^)]*)|\badd_index\s*\(?\s*[:\"'](?P<rtable>\w+)[\"']?\s*,\s*(?P<rcolumns>[^\n]*)|"
    r"\bAddIndex(?:Concurrently)?\s*\((?P<django>.*)|\b(?:op|batch_op)\.create_index\s*\((?P<alembic>"
    r".*)|@@index\(\s*\[(?P<prisma>[^\]]*)\]|\bALTER\s+INDEX\s+(?:IF\s+EXISTS\s+)?\S+\s+RENAME\s+TO\s+"
    r"[\"'`]?(?P<renamed>\w+)|\brename_index\s*\(?\s*[:\"']\w+[\"']?\s*,\s*[\"':]\w+[\"']?\s*,\s*"
    r"[\"':](?P<rrenamed>\w+)",
    _I,
)
_MODEL_INDEX = re.compile(
    r"@@(index|unique)\s*\(\s*\[[^\]]*\]|\b(db_)?index\s*=\s*True\b|\bmodels\.Index\s*\(|"
    r"(?<![\w.])Index\s*\(\s*[\"']\w+[\"']|@Index\s*\(|^\s*t\.index\s+",
    _I,
)


@dataclass(frozen=True)
class Drop:
    file: str
    line: int | None
    index: str | None
    table: str | None
    columns: tuple[str, ...]
    unique: bool
    model: bool  # an index gone from a model or schema file, not a migration statement


def detect(change: ChangeFacts) -> list[Finding]:
    drops: list[Drop] = []
    for file, patch in change.patches.items():
        if not _INDEXISH.search(patch) or file_kind(file, patch) == "docs_tests":
            continue
        if DOWN_FILE.search(file):
            continue
        lines = diff.parse(patch)
        drops += _statement_drops(file, lines)
        drops += _model_drops(file, lines)
    if not drops:
        return []
    if any(not d.model for d in drops):
        drops = [d for d in drops if not (d.model and SCHEMA_DUMP.search(d.file))]
    created = _created(change)
    kinds = {file: file_kind(file, patch) for file, patch in change.patches.items()}
    code = " ".join(
        line.text
        for line in change.added
        if kinds.get(line.file) == "code" and not _COMMENT.match(line.text)
    )
    found = []
    for drop in drops:
        if _rebuilt(drop, created):
            continue
        found.append(_finding(drop, created, code))
    return found


def _finding(drop: Drop, created: list[tuple[str, str, tuple[str, ...]]], code: str) -> Finding:
    what = f"index `{drop.index}`" if drop.index else "an index"
    if drop.columns:
        what += f" on ({', '.join(drop.columns)})"
    if drop.table:
        what += f" of `{drop.table}`"
    message = f"{what} removed from the model/schema" if drop.model else f"{what} dropped"
    strength = 0.5 if drop.model else 0.6
    used = [c for c in drop.columns if re.search(rf"\b{re.escape(c)}\b", code)]
    if used:
        message += f"; this change's code queries {', '.join(used)}"
        strength += 0.1
    if drop.table and any(_same(t, drop.table) for _, t, _ in created):
        message += f"; another index on `{drop.table}` is created in this change"
        strength = 0.35
    if drop.unique:
        message += "; it was unique (duplicates are no longer rejected)"
    symptoms = (*SYMPTOMS, "data") if drop.unique else SYMPTOMS
    return Finding(NAME, message, drop.file, drop.line, symptoms, round(strength, 2))


def _statement_drops(file: str, lines: list[diff.DiffLine]) -> list[Drop]:
    out = []
    for i, (d, down) in enumerate(zip(lines, in_rollback(lines), strict=True)):
        if d.sign != "+" or down or not _INDEXISH.search(d.text) or _COMMENT.match(d.text):
            continue
        drop = _drop(file, d.new, _joined(lines, i))
        if drop:
            out.append(drop)
    return out


def _joined(lines: list[diff.DiffLine], index: int) -> str:
    """An added line with the added lines that continue its call (open brackets), joined."""
    text = lines[index].text
    depth = _depth(text)
    for d in lines[index + 1 : index + 12]:
        if depth <= 0 or d.sign != "+":
            break
        text += " " + d.text.strip()
        depth += _depth(d.text)
    return text


def _depth(text: str) -> int:
    return text.count("(") + text.count("[") - text.count(")") - text.count("]")


def _drop(file: str, line: int | None, text: str) -> Drop | None:
    sql, mysql, rails, django, alembic, knex = (p.search(text) for p in _DROPS)
    if mysql:
        return Drop(file, line, mysql.group(2), mysql.group(1), (), _unique(mysql.group(2)), False)
    if sql:
        index = sql.group(1).split(".")[-1]
        return Drop(file, line, index, sql.group(2), (), _unique(index), False)
    if rails:
        rest = rails.group("rest")
        index = _group(r"name:\s*[\"':](\w+)", rest)
        columns = _names(_group(r"column:\s*(\[[^\]]*\]|:\w+|[\"']\w+[\"'])", rest) or
                         _group(r"^\s*,\s*(\[[^\]]*\]|:\w+|[\"']\w+[\"'])", rest)
                         or "")  # fmt: skip
        return Drop(file, line, index, rails.group("table"), columns, _unique(index or ""), False)
    if django:
        rest = django.group("rest")
        index = _group(r"\bname\s*=\s*[\"'](\w+)", rest)
        return Drop(file, line, index, _group(r"model_name\s*=\s*[\"'](\w+)", rest), (),
                    _unique(index or ""), False)  # fmt: skip
    if alembic:
        rest = alembic.group("rest")
        args = re.findall(r"[\"'](\w+)[\"']", rest)
        index = args[0] if args else None
        table = _group(r"table_name\s*=\s*[\"'](\w+)", rest) or (args[1] if len(args) > 1 else None)
        return Drop(file, line, index, table, (), _unique(index or ""), False)
    if knex:
        rest = knex.group("rest")
        columns = _names(_group(r"^\s*(\[[^\]]*\]|[\"']\w+[\"'])", rest) or "")
        index = _group(r"^\s*(?:\[[^\]]*\]|[\"']\w+[\"'])\s*,\s*[\"'](\w+)", rest)
        return Drop(file, line, index, None, columns, _unique(index or ""), False)
    return None


def _model_drops(file: str, lines: list[diff.DiffLine]) -> list[Drop]:
    """Index declarations removed from models and schema files and not added back."""
    added = {_squash(d.text) for d in lines if d.sign == "+"}
    added_text = " ".join(d.text for d in lines if d.sign == "+")
    out = []
    for i, d in enumerate(lines):
        if d.sign != "-" or _COMMENT.match(d.text):
            continue
        found = _MODEL_INDEX.search(d.text)
        if not found or _squash(d.text) in added:
            continue
        if re.match(r"(db_)?index\s*=", found.group(0), _I):
            field = _group(r"^\s*(?:[\w.]+\s*[:=]\s*)?[\"']?(\w+)[\"']?\s*(?:[:=]|\()", d.text)
            kept = _paired(lines, i, field)
            if kept is None or re.search(r"\b(db_)?index\s*=\s*True|\bunique\s*=\s*True", kept):
                continue  # the field is gone (its column too), or it keeps its index
            columns: tuple[str, ...] = (field,) if field else ()
            out.append(Drop(file, _new_line(lines, i), None, None, columns, False, True))
            continue
        if found.group(0).startswith("@@") or found.group(0).lstrip().startswith("t.index"):
            columns = _names(_group(r"\[([^\]]*)\]", d.text) or "")
            if columns and re.search(
                r"@@(index|unique)\s*\(\s*\[\s*" + r"\s*,\s*".join(columns), added_text
            ):
                continue
        else:
            columns = _names(_group(r"(?:fields|columnList|columns)\s*=\s*(\[[^\]]*\]|\{[^}]*\}|"
                                    r"[\"'][^\"']*[\"'])", d.text) or "")  # fmt: skip
            positional = re.search(r"(?<![\w.])Index\s*\(\s*[\"']\w+[\"']\s*,(.*)", d.text)
            if not columns and positional:
                columns = tuple(re.findall(r"[\"'](\w+)[\"']", positional.group(1)))
        index = _group(r"\bname\s*[=:]\s*[\"'](\w+)", d.text) or _group(
            r"(?<![\w.])Index\s*\(\s*[\"'](\w+)", d.text
        )
        unique = "unique" in d.text.lower()
        out.append(Drop(file, _new_line(lines, i), index, None, columns, unique, True))
    return out


def _created(change: ChangeFacts) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, table, columns) of every index the change creates."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    texts = [
        _joined(lines, i)
        for file, patch in change.patches.items()
        if _INDEXISH.search(patch)
        and file_kind(file, patch) != "docs_tests"
        and not DOWN_FILE.search(file)
        for lines in [diff.parse(patch)]
        for i, (d, down) in enumerate(zip(lines, in_rollback(lines), strict=True))
        if d.sign == "+" and not down and _INDEXISH.search(d.text)
    ]
    for text in texts:
        for found in _CREATES.finditer(text):
            groups = found.groupdict()
            if groups["renamed"] or groups["rrenamed"]:
                out.append((groups["renamed"] or groups["rrenamed"], "", ()))
            elif groups["table"]:
                out.append((groups["name"] or "", groups["table"], _names(groups["columns"])))
            elif groups["rtable"]:
                rest = groups["rcolumns"]
                columns = _names(_group(r"^(\[[^\]]*\]|:\w+|[\"']\w+[\"'])", rest) or "")
                out.append((_group(r"name:\s*[\"':](\w+)", rest) or "", groups["rtable"], columns))
            elif groups["django"] is not None or groups["alembic"] is not None:
                rest = groups["django"] if groups["django"] is not None else groups["alembic"] or ""
                args = re.findall(r"[\"'](\w+)[\"']", rest)
                name = _group(r"\bname\s*=\s*[\"'](\w+)", rest) or (args[0] if args else "")
                table = _group(r"(?:model_name|table_name)\s*=\s*[\"'](\w+)", rest) or (
                    args[1] if len(args) > 1 and groups["alembic"] is not None else ""
                )
                out.append((name, table, ()))
            elif groups["prisma"] is not None:
                out.append(("", "", _names(groups["prisma"])))
    return out


def _rebuilt(drop: Drop, created: list[tuple[str, str, tuple[str, ...]]]) -> bool:
    for name, table, columns in created:
        if drop.index and name and name.lower() == drop.index.lower():
            return True
        same_columns = [c.lower() for c in columns] == [c.lower() for c in drop.columns]
        same_table = not drop.table or not table or _same(table, drop.table)
        if drop.columns and columns and same_columns and same_table:
            return True
    return False


def _paired(lines: list[diff.DiffLine], index: int, field: str | None) -> str | None:
    """The added line of the same hunk that declares the same field again, if any."""
    hunk = lines[index].hunk
    for d in lines[index + 1 :]:
        if d.hunk != hunk:
            break
        if d.sign == "+" and field and re.match(rf"^\s*[\"']?{re.escape(field)}\b", d.text):
            return d.text
    return None


def _names(text: str) -> tuple[str, ...]:
    return tuple(n for n in re.findall(r"[\w.]+", text.replace(":", " ")) if not n.isdigit())


def _unique(name: str) -> bool:
    return bool(re.search(r"uniq|_key$|_uk$|^uk_|^uq_|_uq$", name, _I))


def _same(a: str, b: str) -> bool:
    return a.strip("\"'`").split(".")[-1].lower() == b.strip("\"'`").split(".")[-1].lower()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).rstrip(",;")


def _group(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text, _I)
    return found.group(1).strip("\"'`") if found else None


def _new_line(lines: list[diff.DiffLine], index: int) -> int | None:
    """Where a removed line was, as a line of the new file."""
    for d in lines[index:]:
        if d.new is not None:
            return d.new
    for d in reversed(lines[:index]):
        if d.new is not None:
            return d.new + 1
    return None
