"""What a change does, from its files and patches: its kind, the settings it changes, the
dependency versions it moves, the schema statements it adds, and its added and removed lines.

Dependencies are read from the manifests and lock files of the common ecosystems (pip,
npm, Go modules, Bundler, Maven, Gradle, Cargo, Composer, NuGet) and from `FROM` lines;
schema statements from SQL and the migration frameworks' calls (Rails, Django, Alembic,
Flyway/Liquibase SQL, knex, Prisma).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import module_defaults, moved, settings, unchanged
from agents.root_cause.facts.types import ChangeFacts, DependencyChange, Line, Statement

_VERSION = r"[\^~>=<! ]*v?\d+(?:\.[\w-]+)*(?:[-+][\w.]+)?"
_DEPENDENCY_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        rf"^\s*(?P<name>[A-Za-z0-9_.\[\]-]+)\s*(?P<version>(?:==|>=|~=|<=|===|>)\s*{_VERSION})\s*(?:[;#].*)?$",  # noqa: E501  pip
        rf"^\s*\"(?P<name>@?[\w./-]+)\"\s*:\s*\"(?P<version>{_VERSION})\",?\s*$",  # package.json
        r"^\s*(?:require\s+)?(?P<name>[\w.-]+\.[\w./-]+)\s+(?P<version>v\d[\w.+-]*)(?:\s*//.*)?$",  # go.mod  # noqa: E501
        r"^\s*gem\s+['\"](?P<name>[\w-]+)['\"]\s*,\s*['\"](?P<version>[^'\"]+)['\"]",  # Gemfile
        r"^\s{4}(?P<name>[\w.-]+) \((?P<version>\d[\w.]*)\)\s*$",  # Gemfile.lock
        r"['\"](?P<name>[\w.-]+:[\w.-]+):(?P<version>\d[\w.+-]*)['\"]",  # Gradle
        rf"^\s*(?!version\b)(?P<name>[\w-]+)\s*=\s*\"(?P<version>{_VERSION})\"\s*$",  # Cargo, TOML
        r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<name>[\w./-]+):(?P<version>[\w.-]+)",  # images
        r"<PackageReference\s+Include=\"(?P<name>[\w.-]+)\"\s+Version=\"(?P<version>[^\"]+)\"",
    )
)
_GO_MOD = 2  # the go.mod pattern's place above
_POM_VERSION = re.compile(r"<version>(?P<version>[^<]+)</version>")
_POM_ARTIFACT = re.compile(r"<artifactId>(?P<name>[^<]+)</artifactId>")
# Lock files name a package on one line and give its version on a later one: npm's
# `"node_modules/@scope/pkg": {` then `"version": "1.2.3"`, yarn's `"pkg@^1.2.0":` then
# `version "1.2.3"`, poetry, uv and Cargo's `name = "pkg"` then `version = "1.2.3"`.
_LOCK_PACKAGE = re.compile(
    r"^\s*\"(?:[\w./@-]*/)?node_modules/(?P<npm>@?[\w.-]+(?:/[\w.-]+)?)\"\s*:\s*\{"
    r"|^\"?(?P<yarn>@?[\w./-]+)@[^\s\"]*\"?(?:,.*)?:\s*$"
    r"|^\s*name\s*=\s*\"(?P<toml>[\w.-]+)\"\s*$"
)
_LOCK_VERSION = re.compile(r"^\s*\"?version\"?\s*[:=]?\s*\"(?P<version>[^\"]+)\",?\s*$")
_STATEMENT = re.compile(
    r"\b(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX|ALTER\s+TABLE|DROP\s+TABLE|CREATE\s+TABLE|"
    r"ADD\s+COLUMN|DROP\s+COLUMN|ADD\s+CONSTRAINT|REINDEX|VACUUM\s+FULL|CLUSTER\s+\w|"
    r"UPDATE\s+\w+\s+SET)\b|"
    r"\b(add_index|remove_index|add_column|remove_column|change_column(_null|_default)?|"
    r"rename_column|create_table|drop_table|add_reference|add_foreign_key|"
    r"(migrations\.)?(AddIndex|RemoveIndex|AddField|RemoveField|AlterField|RenameField|"
    r"AddConstraint|RunSQL)|op\.(create_index|drop_index|add_column|drop_column|alter_column|"
    r"create_table|drop_table|execute)|table\.(index|dropIndex|integer|string|dropColumn)|"
    r"@@index)\b",
    re.I,
)


# An API description (OpenAPI, Swagger, AsyncAPI): its keys describe requests and answers
# (`schema: {type: integer}`, `maxLength: 64`), they set nothing.
_API_SPEC = re.compile(r"(^|/)(openapi|swagger|asyncapi)([./_-][^/]*)?\.(ya?ml|json)$|"
                       r"(^|/)(openapi|swagger|api-?specs?)/", re.I)  # fmt: skip


def change_facts(ref: str, files: Sequence[str], patches: Mapping[str, str]) -> ChangeFacts:
    added: list[Line] = []
    removed: list[Line] = []
    setting_changes = []
    shown = []  # settings on unchanged lines: what a removed override falls back to
    dependencies: list[DependencyChange] = []
    statements: list[Statement] = []
    for file in files or list(patches):
        lines = diff.parse(patches.get(file, ""))
        added += diff.added(file, lines)
        removed += diff.removed(file, lines)
        file_kind = kinds.file_kind(file, patches.get(file, ""))
        if file_kind == "dependency":
            dependencies += dependency_changes(file, lines)
        elif file_kind not in ("docs_tests", "schema") and not _API_SPEC.search(file):
            setting_changes += settings(file, lines)
            shown += unchanged(file, lines)
        statements += schema_statements(file, lines, file_kind)
    return ChangeFacts(
        ref=ref,
        kind=kinds.change_kind(files, patches),
        files=tuple(files or patches),
        added=tuple(added),
        removed=tuple(removed),
        settings=tuple(module_defaults(moved(setting_changes, shown), patches)),
        dependencies=tuple(dependencies),
        statements=tuple(statements),
        patches=dict(patches),
    )


def dependency_changes(file: str, lines: list[diff.DiffLine]) -> list[DependencyChange]:
    """Versions before → after, by dependency name, within each hunk."""
    old: dict[tuple[int, str], str] = {}
    new: dict[tuple[int, str], tuple[str, int | None]] = {}
    artifact = package = ""
    hunk = -1
    for d in lines:
        if d.hunk != hunk:  # a version line at a hunk's top belongs to no package seen
            hunk, package = d.hunk, ""
        found = _POM_ARTIFACT.search(d.text)
        if found:
            artifact = found.group("name")
        locked = _LOCK_PACKAGE.search(d.text)
        if locked:
            package = next(n for n in locked.groups() if n)
        if d.sign == " ":
            continue
        versioned = _LOCK_VERSION.search(d.text)
        if versioned:  # a lock file's version line: the package named above it, if any
            found_all = [(package, versioned.group("version"))] if package else []
        else:
            found_all = _dependencies(d.text, artifact)
        for name, version in found_all:
            slot = (d.hunk, name)
            if d.sign == "-":
                old.setdefault(slot, version)
            else:
                new.setdefault(slot, (version, d.new))
    out = []
    for slot in dict.fromkeys([*old, *new]):
        before, after = old.get(slot), new.get(slot)
        if before is not None and after is not None and before == after[0]:
            continue
        out.append(DependencyChange(file, slot[1], before, after[0] if after else None,
                                    after[1] if after else None))  # fmt: skip
    return out


def schema_statements(file: str, lines: list[diff.DiffLine], kind: str) -> list[Statement]:
    """Added DDL or migration calls (in schema files, migrations, or any added SQL)."""
    if kind == "docs_tests":
        return []
    return [
        Statement(file, d.text.strip(), d.new)
        for d in lines
        if d.sign == "+" and _STATEMENT.search(d.text) and (kind == "schema" or _sqlish(d.text))
    ]


def _dependencies(text: str, artifact: str) -> list[tuple[str, str]]:
    for pattern in _DEPENDENCY_LINES:
        found = pattern.search(text)
        if found:
            name = found.group("name")
            if pattern is _DEPENDENCY_LINES[_GO_MOD]:  # a Go module's major version is in its
                name = re.sub(r"/v\d+$", "", name)  # path: pgx/v4 → pgx/v5 is one bump
            return [(name, found.group("version").strip())]
    found = _POM_VERSION.search(text)
    if found and artifact:
        return [(artifact, found.group("version").strip())]
    return []


def _sqlish(text: str) -> bool:
    return bool(re.search(r"\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX)\b", text, re.I))
