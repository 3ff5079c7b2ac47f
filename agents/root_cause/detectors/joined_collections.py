"""Two collections of one row eager-loaded with joins in one query: the database returns one
row per combination (items × shipments, say), a cartesian product. With a handful of each in
tests it is fast; for the largest rows in production it is millions of rows to send, map and
de-duplicate: memory (pods killed), latency and CPU grow with the product, on the endpoints
that load the biggest entities.

Catches, in added code, one statement that joins two sibling collections: SQLAlchemy
`joinedload(A.xs)` twice among one query's options, JPQL/HQL `join fetch a.xs … join fetch
a.ys` on the same alias, Entity Framework `.Include(a => a.Xs)…Include(a => a.Ys)` without
`.AsSplitQuery()`, ActiveRecord `eager_load(:xs, :ys)`. A collection is told by its plural
name (`lines`, `receipts`, `Items`).

Ignores loads that run one query per collection (`selectinload`, `subqueryload`,
`prefetch_related`, `includes` without `references`, EF's split queries), a nested chain (a
collection of the collection: `joinedload(A.xs).joinedload(X.ys)`, `ThenInclude`), a joined
single row beside one collection (`joinedload(A.customer)`), removed lines, comments and tests.
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import COMMENT, code_lines
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "joined_collections"
SYMPTOMS = ("memory", "latency", "cpu", "timeouts", "crash")
WINDOW = 8  # lines one statement spans, at most

# sibling joined loads: not chained on another load (`).joinedload(` is nested)
_SQLA = re.compile(r"(?<!\)\.)(?<!\)\s\.)\b(?:joinedload|contains_eager)\(\s*\w+\.(\w+)")
_JPQL = re.compile(r"join\s+fetch\s+(\w+)\.(\w+)", re.I)
_EF = re.compile(r"(?<!Then)Include\(\s*(\w+)\s*=>\s*\1\.(\w+)")
_EF_SPLIT = re.compile(r"AsSplitQuery\(")
_AR = re.compile(r"\beager_load\(([^)]*)\)|\bincludes\(([^)]*)\)\.references\(")


def detect(change: ChangeFacts) -> list[Finding]:
    found = []
    for file, code in code_lines(change).items():
        hit = _joined([x for x in code if not COMMENT.match(x.text)])
        if hit is not None:
            line, names = hit
            found.append(Finding(
                NAME,
                f"eager-loads two collections of one row with joins in one query ({names[0]}, "
                f"{names[1]}): the rows multiply ({names[0]} × {names[1]} per row, a cartesian "
                "product), growing with the largest entities (memory, time)",
                file, line.line, SYMPTOMS, 0.6))  # fmt: skip
    return found


def _joined(lines: list[Line]) -> tuple[Line, tuple[str, str]] | None:
    for i, start in enumerate(lines):
        statement = [x for x in lines[i : i + WINDOW] if x.line - start.line < WINDOW]
        text = " ".join(x.text.strip() for x in statement)
        names = _siblings(text)
        if names is not None:
            return start, names
    return None


def _siblings(text: str) -> tuple[str, str] | None:
    """Two plural names loaded side by side in one statement's text, or None."""
    groups: list[list[str]] = [[m.group(1) for m in _SQLA.finditer(text)]]
    by_alias: dict[str, list[str]] = {}
    for m in _JPQL.finditer(text):
        by_alias.setdefault(m.group(1), []).append(m.group(2))
    groups += by_alias.values()
    if not _EF_SPLIT.search(text):
        groups.append([m.group(2) for m in _EF.finditer(text)])
    for m in _AR.finditer(text):
        args = m.group(1) or m.group(2) or ""
        groups.append(re.findall(r":(\w+)", args))
    for names in groups:
        plural = list(dict.fromkeys(n for n in names if _plural(n)))
        if len(plural) >= 2:
            return plural[0], plural[1]
    return None


def _plural(name: str) -> bool:
    word = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower().rsplit("_", 1)[-1]
    return (word.endswith("s") and not word.endswith(("ss", "us", "is"))) or word in (
        "children", "people", "data", "items", "list", "set")  # fmt: skip
