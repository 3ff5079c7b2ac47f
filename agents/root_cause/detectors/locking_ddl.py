"""A schema statement that takes a heavy lock or rewrites a table on a live database: writes
(or reads) on the table wait behind it, and, in a migration that runs in a transaction, the
lock is held until the whole migration commits.

Catches, in added lines of migrations, SQL files and code that runs DDL:
- an index built without CONCURRENTLY: SQL `CREATE INDEX` (PostgreSQL), Rails `add_index` /
  `add_reference` without `algorithm: :concurrently`, Django `AddIndex` (not
  `AddIndexConcurrently`) or `AddField(..., db_index=True)`, Alembic `create_index` without
  `postgresql_concurrently=True`;
- `ADD COLUMN` with a volatile default (`gen_random_uuid()`, `random()`, `clock_timestamp()`,
  `nextval`, a `serial` type: the table is rewritten), or `NOT NULL` without a default;
- `SET NOT NULL` (`change_column_null ..., false`, `alter_column(nullable=False)`): a full scan
  under an exclusive lock; an `UPDATE ... SET` backfill in a transactional migration that
  also changes the schema;
- a column's type changed (`ALTER COLUMN ... TYPE`, `MODIFY`, `change_column`,
  `alter_column(type_=...)`);
- a foreign key (or CHECK constraint) added without `NOT VALID` / `validate: false`;
- `lock_timeout` removed or set to 0 (statements then wait for locks without limit).

Ignores a schema dump (`schema.rb`, `structure.sql`, `schema.sql`) beside a migration in the
same change (the dump records what the migration runs, with none of its options: pg_dump
writes no CONCURRENTLY), the same operations on a table created in the same change (it is
empty), MySQL statements that ask for `ALGORITHM=INPLACE|INSTANT` or `LOCK=NONE`, rollback sections
(`def down`, `downgrade()`, `-- +goose Down`, `*.down.sql`), comments, docs and tests. Django
`AlterField` is ignored (its old type is not in the diff). A migration marked to run outside a
transaction (`disable_ddl_transaction!`, `atomic = False`, `autocommit_block()`,
`executeInTransaction=false`, `+goose NO TRANSACTION`, `transaction: false`) still locks,
but only for the statement, so it is reported weaker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from agents.root_cause.detectors._lines import DOWN_FILE, created_tables, in_rollback, table_key
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import SCHEMA_DUMP, file_kind

NAME = "locking_ddl"
SYMPTOMS = ("locks", "latency", "timeouts", "errors", "connections", "availability")
_I = re.I

_NO_TRANSACTION = re.compile(
    r"disable_ddl_transaction!|\batomic\s*=\s*False|autocommit_block\(|executeInTransaction\s*="
    r"\s*false|\+goose\s+NO\s+TRANSACTION|\btransaction\s*[:=]\s*false|migrate:up\s+transaction"
    r":false|runInTransaction\s*=\s*\"?false|transactional\s*=\s*False",
    _I,
)
_COMMENT = re.compile(r"^\s*(#|//|--|/\*|\*(?!\s*FROM))")
_START = re.compile(
    r"\b(CREATE\s+(UNIQUE\s+)?INDEX|ALTER\s+TABLE|UPDATE\s+[\w.\"]+\s+SET|add_index|add_reference|"
    r"add_belongs_to|add_column|change_column(_null)?|add_foreign_key|AddIndex|AddField|"
    r"(op|batch_op)\.(create_index|add_column|alter_column|create_foreign_key))\b",
    _I,
)
_ONLINE_MYSQL = re.compile(r"ALGORITHM\s*=\s*(INPLACE|INSTANT)|LOCK\s*=\s*NONE", _I)
_VOLATILE = re.compile(
    r"gen_random_uuid|uuid_generate_v[14]|\brandom\s*\(|clock_timestamp|timeofday|nextval\s*\(|"
    r"\buuid\(\)|\bserial\b|\bbigserial\b|\bsmallserial\b|GENERATED\s+ALWAYS\s+AS\s*\(.*STORED",
    _I,
)
_LOCK_TIMEOUT = re.compile(r"lock_timeout", _I)
_DISABLED_TIMEOUT = re.compile(r"lock_timeout\W+(?:to\s+)?[\"']?0(?:s|ms)?[\"']?(?![\w.])", _I)


@dataclass(frozen=True)
class Block:
    line: int
    text: str  # the statement or call, its continuation lines joined


def detect(change: ChangeFacts) -> list[Finding]:
    created = created_tables(change)
    found: list[Finding] = []
    migrations = [f for f, p in change.patches.items()
                  if file_kind(f, p) == "schema" and not SCHEMA_DUMP.search(f)]  # fmt: skip
    for file, patch in change.patches.items():
        if file_kind(file, patch) == "docs_tests" or DOWN_FILE.search(file):
            continue
        if migrations and SCHEMA_DUMP.search(file):  # the dump records what they run
            continue
        lines = diff.parse(patch)
        in_transaction = not _NO_TRANSACTION.search(patch)
        blocks = list(_blocks(lines))
        changes_schema = any(_ddl(b.text) for b in blocks)
        for block in blocks:
            for what, table, strength in _risks(block.text, changes_schema):
                if table and table_key(table) in created:
                    continue
                found.append(_finding(file, block.line, what, strength, in_transaction))
        found += _lock_timeout(file, lines)
    return found


def _finding(file: str, line: int, what: str, strength: float, in_transaction: bool) -> Finding:
    if in_transaction:
        where = "in a migration that runs in a transaction (the lock is held until it commits)"
    else:
        where, strength = "outside a transaction", strength - 0.15
    return Finding(NAME, f"{what}, {where}", file, line, SYMPTOMS, round(strength, 2))


def _risks(text: str, changes_schema: bool) -> Iterator[tuple[str, str | None, float]]:
    """(what the statement does, the table it touches, strength) for each risky part."""
    flat = " ".join(text.split())
    sql = re.search(r"\bCREATE\s+(UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY)(?P<rest>.*)", flat, _I)
    if sql and not _ONLINE_MYSQL.search(flat):
        table = _group(r"\bON\s+(?:ONLY\s+)?([\w.\"`]+)", sql.group("rest"))
        columns = _group(
            r"\bON\s+(?:ONLY\s+)?[\w.\"`]+\s*(?:USING\s+\w+\s*)?\(([^;]*)\)", sql.group("rest")
        )
        on = f"`{table}` ({columns})" if columns else f"`{table}`"
        yield f"CREATE INDEX without CONCURRENTLY on {on} blocks writes while it builds", table, 0.6
    yield from _alter_table(flat, changes_schema)
    yield from _rails(flat)
    yield from _django(flat)
    yield from _alembic(flat)


def _alter_table(flat: str, changes_schema: bool) -> Iterator[tuple[str, str | None, float]]:
    alter = re.search(r"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?([\w.\"`]+)(.*)", flat, _I)
    if alter:
        table, body = alter.group(1), alter.group(2)
        if _ONLINE_MYSQL.search(body):
            return
        for column_def in re.finditer(r"\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
                                      r"(?!CONSTRAINT\b|"
                                      r"FOREIGN\b|PRIMARY\b|UNIQUE\b|CHECK\b|INDEX\b)(\w+)\s+"
                                      r"([^,;]*)", body, _I):  # fmt: skip
            column, spec = column_def.group(1), column_def.group(2)
            if _VOLATILE.search(spec):
                default = _group(r"\bDEFAULT\s+(.+)", spec) or spec.strip()
                yield (f"ADD COLUMN `{column}` on `{table}` with a volatile default "
                       f"(`{default}`) rewrites the table", table, 0.7)  # fmt: skip
            elif re.search(r"\bNOT\s+NULL\b", spec, _I) and not re.search(r"\bDEFAULT\b", spec, _I):
                yield (f"ADD COLUMN `{column}` on `{table}` NOT NULL without a default (fails on a "
                       f"non-empty table, or needs a backfill)", table, 0.45)  # fmt: skip
        kind = r"(\w+(?:\s+\w+)?(?:\s*\([^)]*\))?(?:\[\])?)"
        typed = (
            re.search(rf"\bALTER\s+(?:COLUMN\s+)?(\w+)\s+(?:SET\s+DATA\s+)?TYPE\s+{kind}", body, _I)
            or re.search(rf"\bMODIFY\s+(?:COLUMN\s+)?(\w+)\s+{kind}", body, _I)
            or re.search(rf"\bCHANGE\s+(?:COLUMN\s+)?\w+\s+(\w+)\s+{kind}", body, _I)
        )
        if typed:
            new_type = re.sub(
                r"\s+(USING|NOT|NULL|DEFAULT|COLLATE)\b.*", "", typed.group(2), flags=_I
            )
            yield (f"changing column `{typed.group(1)}` of `{table}` to type `{new_type}` "
                   f"rewrites the table under an exclusive lock", table, 0.7)  # fmt: skip
        if re.search(r"\bSET\s+NOT\s+NULL\b", body, _I):
            yield (
                f"SET NOT NULL on `{table}` scans the whole table under an exclusive lock",
                table,
                0.5,
            )
        if re.search(r"\bFOREIGN\s+KEY\b", body, _I) and not re.search(
            r"\bNOT\s+VALID\b", body, _I
        ):
            yield (f"a foreign key added to `{table}` without NOT VALID is validated under a lock "
                   f"on both tables", table, 0.55)  # fmt: skip
        elif re.search(r"\bCHECK\s*\(", body, _I) and not re.search(r"\bNOT\s+VALID\b", body, _I):
            yield (
                f"a CHECK constraint added to `{table}` without NOT VALID scans the table under a "
                "lock",
                table,
                0.45,
            )
    update = re.search(r"^\s*(?:[\w.]+\(\s*[\"']+)?UPDATE\s+([\w.\"`]+)\s+SET\b", flat, _I)
    if update and changes_schema:
        table = update.group(1)
        yield (
            f"an UPDATE backfill of `{table}` runs in the same migration as schema changes",
            table,
            0.5,
        )


def _rails(flat: str) -> Iterator[tuple[str, str | None, float]]:
    call = re.search(r"\b(add_index|add_reference|add_belongs_to|add_column|change_column_null|"
                     r"change_column|add_foreign_key)\b\s*\(?\s*[:\"']?(\w+)[\"']?(.*)",
                     flat)  # fmt: skip
    if not call:
        return
    method, table, rest = call.groups()
    concurrent = re.search(r"algorithm:\s*:concurrently|:algorithm\s*=>\s*:concurrently", rest)
    column = _group(r"^\s*,\s*\[?\s*[:\"']?(\w+)", rest) or "?"
    if method == "add_index" and not concurrent:
        yield (
            f"add_index on `{table}` (`{column}`) without algorithm: :concurrently blocks writes "
            "while it builds",
            table,
            0.6,
        )
    elif method in ("add_reference", "add_belongs_to"):
        if not re.search(r"index:\s*false", rest) and not concurrent:
            yield (
                f"{method} `{column}` on `{table}` builds its index without algorithm: "
                ":concurrently",
                table,
                0.55,
            )
        if re.search(r"foreign_key:\s*(true|\{)", rest) and not re.search(
            r"validate:\s*false", rest
        ):
            yield (
                f"{method} `{column}` on `{table}` adds a foreign key validated under a lock",
                table,
                0.5,
            )
    elif method == "add_foreign_key" and not re.search(r"validate:\s*false", rest):
        yield (
            f"add_foreign_key on `{table}` without validate: false is validated under a lock on "
            "both tables",
            table,
            0.55,
        )
    elif method == "add_column":
        default = _group(r"default:\s*(->\s*\{[^}]*\}|\S+)", rest)
        if default and _VOLATILE.search(default):
            yield (
                f"add_column `{column}` on `{table}` with a volatile default ({default}) rewrites "
                "the table",
                table,
                0.7,
            )
        elif re.search(r"null:\s*false", rest) and not default:
            yield (
                f"add_column `{column}` on `{table}` null: false without a default (fails on a "
                "non-empty table, or needs a backfill)",
                table,
                0.45,
            )
    elif method == "change_column_null" and re.search(r",\s*false\b", rest):
        yield (
            f"change_column_null `{column}` on `{table}` to NOT NULL scans the whole table under "
            "an exclusive lock",
            table,
            0.5,
        )
    elif method == "change_column":
        kind = _group(r"^\s*,\s*[:\"']?\w+[\"']?\s*,\s*[:\"']?(\w+)", rest) or "?"
        yield (
            f"change_column `{column}` of `{table}` to `{kind}` rewrites the table under an "
            "exclusive lock",
            table,
            0.65,
        )


def _django(flat: str) -> Iterator[tuple[str, str | None, float]]:
    model = _group(r"model_name\s*=\s*[\"'](\w+)", flat)
    if re.search(r"\bAddIndex\s*\(", flat):
        index = _group(r"fields\s*=\s*\[([^\]]*)\]", flat) or "?"
        yield (
            f"AddIndex on `{model}` ({index.strip()}) without AddIndexConcurrently blocks writes "
            "while it builds",
            model,
            0.6,
        )
    elif re.search(r"\bAddField\s*\(", flat):
        field = _group(r"\bname\s*=\s*[\"'](\w+)", flat) or "?"
        if re.search(r"\b(ForeignKey|OneToOneField)\s*\(", flat) and not re.search(
            r"db_constraint\s*=\s*False", flat
        ):
            yield (
                f"AddField `{field}` on `{model}` adds a foreign key (validated) and its index "
                "without CONCURRENTLY",
                model,
                0.55,
            )
        elif re.search(r"db_index\s*=\s*True|unique\s*=\s*True", flat):
            yield (
                f"AddField `{field}` on `{model}` builds an index without CONCURRENTLY",
                model,
                0.55,
            )


def _alembic(flat: str) -> Iterator[tuple[str, str | None, float]]:
    call = re.search(r"\b(?:op|batch_op)\.(create_index|add_column|alter_column|"
                     r"create_foreign_key)\(\s*(.*)", flat)  # fmt: skip
    if not call:
        return
    method, rest = call.groups()
    args = re.findall(r"[\"'](\w+)[\"']", rest)
    if method == "create_index" and not re.search(r"postgresql_concurrently\s*=\s*True", rest):
        table = _group(r"table_name\s*=\s*[\"'](\w+)", rest) or (args[1] if len(args) > 1 else None)
        yield (
            f"create_index on `{table}` without postgresql_concurrently=True blocks writes while "
            "it builds",
            table,
            0.6,
        )
    elif method == "add_column":
        table = args[0] if args else None
        column = args[1] if len(args) > 1 else "?"
        default = _group(r"server_default\s*=\s*(.+?)(?:,\s*\w+\s*=|\)\s*\)|$)", rest)
        if default and _VOLATILE.search(default):
            yield (
                f"add_column `{column}` on `{table}` with a volatile server_default "
                f"({default.strip()}) rewrites the table",
                table,
                0.7,
            )
        elif re.search(r"nullable\s*=\s*False", rest) and not default:
            yield (
                f"add_column `{column}` on `{table}` nullable=False without a server_default "
                "(fails on a non-empty table, or needs a backfill)",
                table,
                0.45,
            )
    elif method == "alter_column":
        table = args[0] if args else None
        column = args[1] if len(args) > 1 else "?"
        kind = _group(r"\btype_\s*=\s*([\w.]+(?:\([^)]*\))?)", rest)
        if kind:
            yield (
                f"alter_column `{column}` of `{table}` to type `{kind}` rewrites the table under "
                "an exclusive lock",
                table,
                0.65,
            )
        if re.search(r"nullable\s*=\s*False", rest):
            yield (
                f"alter_column `{column}` of `{table}` to NOT NULL scans the whole table under an "
                "exclusive lock",
                table,
                0.5,
            )
    elif method == "create_foreign_key" and not re.search(r"not_valid|NOT VALID", rest):
        table = args[1] if len(args) > 1 else None
        yield (
            f"create_foreign_key on `{table}` is validated under a lock on both tables",
            table,
            0.55,
        )


def _lock_timeout(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """`lock_timeout` removed from a file (and not set again), or set to 0."""
    added = [d for d in lines if d.sign == "+" and _LOCK_TIMEOUT.search(d.text)]
    live = [d for d in added if not _COMMENT.match(d.text) and not _DISABLED_TIMEOUT.search(d.text)]
    out = []
    for d in added:
        if not _COMMENT.match(d.text) and _DISABLED_TIMEOUT.search(d.text):
            out.append(Finding(NAME, f"lock_timeout set to 0 (`{d.text.strip()}`): statements "
                               f"wait for locks without limit", file, d.new, SYMPTOMS,
                               0.5))  # fmt: skip
    for i, d in enumerate(lines):
        if (
            d.sign == "-"
            and _LOCK_TIMEOUT.search(d.text)
            and not _COMMENT.match(d.text)
            and not live
        ):
            out.append(Finding(NAME, f"lock_timeout removed (`{d.text.strip()}`): statements wait "
                               f"for locks without limit", file, _new_line(lines, i), SYMPTOMS,
                               0.5))  # fmt: skip
            break
    return out


def _blocks(lines: list[diff.DiffLine]) -> Iterator[Block]:
    """The added statements and calls outside rollback sections, continuation lines joined."""
    added = [(d, down) for d, down in zip(lines, in_rollback(lines), strict=True) if d.sign == "+"]
    i = 0
    while i < len(added):
        d, is_down = added[i]
        if is_down or _COMMENT.match(d.text) or not _START.search(d.text):
            i += 1
            continue
        text, depth, j = d.text, _depth(d.text), i
        while j + 1 < len(added) and j - i < 15:
            following = added[j + 1][0]
            if following.new != (added[j][0].new or 0) + 1 or not following.text.strip():
                break
            if depth <= 0 and (";" in text or _START.search(following.text) or not _open_sql(text)):
                break
            j += 1
            text += "\n" + following.text
            depth += _depth(following.text)
        yield Block(d.new or 0, text)
        i = j + 1


def _open_sql(text: str) -> bool:
    """A bare SQL statement not finished yet (no `;`), as in a .sql file or a heredoc."""
    return bool(re.match(r"^\s*(CREATE|ALTER|UPDATE)\b", text, _I)) and ";" not in text


def _depth(text: str) -> int:
    return text.count("(") + text.count("[") - text.count(")") - text.count("]")


def _ddl(text: str) -> bool:
    return bool(re.search(r"\b(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+)?INDEX|add_column|add_index|"
                          r"add_reference|change_column|AddField|AddIndex|op\.(add|alter)_column|"
                          r"op\.create_index)\b", text, _I))  # fmt: skip


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
