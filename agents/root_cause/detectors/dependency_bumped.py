"""A dependency's version moved by a major or minor step, or its range started to float, or a
base image tag changed: new code runs that the change's own diff does not show (behaviour
changes, removed defaults, new TLS/HTTP stacks, memory profile).

Catches the version changes of `change.dependencies` (pip, npm, Go modules, Bundler, Maven,
Gradle, Cargo, Composer, NuGet, version catalogs, Terraform providers) and of Dockerfile
`FROM` lines (also untagged `FROM name` = `latest`, digests, and `ARG ..._VERSION` used by a
`FROM`). Stronger for a major bump (a minor one below 1.0), for a range that now floats
(`^`, `~`, `~>`, `>=`, `*`, `x`, `+`, `latest`, an unpinned requirement), and for base
images; weaker when only a lock file moved (a transitive dependency) or the module is
`// indirect`.

Ignores patch-only bumps of a pinned version, dependencies only added or removed,
development and test dependencies (`devDependencies`, dev/test groups, `requirements-dev`),
`FROM scratch` and build-stage aliases, and files of docs and tests.

A serializer's step (Jackson, Gson, serde, protobuf, pydantic, marshmallow, msgpack...) also
fits a broken contract: consumers of what it writes start rejecting the messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "dependency_bumped"
SYMPTOMS = ("errors", "tls", "crash", "latency", "memory", "timeouts")
IMAGE_SYMPTOMS = (*SYMPTOMS, "availability")

_LOCK = re.compile(r"lock|\.sum$|(^|/)packages\.lock\.json$", re.I)
_DEV_FILE = re.compile(r"(^|/|[-_.])(dev|test|tests|lint|docs?)([-_.][^/]*)?\.(txt|in)$|"
                       r"(^|/)requirements/(dev|test|lint|docs?)[^/]*$", re.I)  # fmt: skip
_NOT_SHIPPED = re.compile(  # manifests of fixtures and examples (their kind says "dependency")
    r"(^|/)(docs?|tests?|__tests__|spec|testdata|fixtures|examples?|\.github)/", re.I
)
_PIP_FILE = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|constraints\.txt|pyproject\.toml|"
                       r"setup\.cfg|Pipfile)$", re.I)  # fmt: skip
_REQUIREMENT = re.compile(
    r"^\s*[\"']?(?P<name>[A-Za-z0-9][A-Za-z0-9_.\-]*(?:\[[\w,.\-]+\])?)\s*(?P<op>===|==|>=|~=|<=|!=|"
    r"<|>)?\s*(?P<version>[\w.*+!-]*)(?:\s*,\s*[<>=!~]+\s*[\w.*]+)*\s*[\"']?\s*,?\s*(?:[;#].*)?$"
)
_DOCKERFILE = re.compile(r"(^|/)(Dockerfile|Containerfile)[^/]*$", re.I)
_FROM = re.compile(
    r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)(?:\s+AS\s+(?P<alias>\S+))?", re.I
)
_ARG = re.compile(r"^\s*ARG\s+(?P<name>\w*(?:VERSION|TAG)\w*)\s*=\s*(?P<value>\S+)", re.I)
_DEV_SECTION = re.compile(
    r"^\s*\"(devDependencies)\"\s*:|^\s*\[[^\]]*\b(dev|test|tests|lint|docs|typing)\b[^\]]*\]\s*$|"
    r"^\s*(dev|test|tests|lint|docs|typing)\s*=\s*\[|^\s*group\s+[^\n]*:(development|test)\b",
    re.I,
)
_PROD_SECTION = re.compile(
    r"^\s*\"(dependencies|peerDependencies|optionalDependencies|overrides|resolutions)\"\s*:|"
    r"^\s*\[[^\]]*\]\s*$|^end\b",
)
_LOCK_NAME = re.compile(
    r"^\s*\"(?:[^\"]*node_modules/)?(?P<npm>(?:@[\w.-]+/)?[\w.-]+)\"\s*:\s*\{|^\s*name\s*=\s*\"(?P<toml>"
    r"[\w.-]+)\"|^\s*source\s*=\s*\"(?P<source>[\w./-]+)\"|^\s*(?P<block>[\w-]+)\s*=\s*\{|"
    r"^\s*provider\s+\"(?:[^\"]*/)?(?P<provider>[\w.-]+/[\w.-]+)\""
)
# Libraries that turn objects into bytes on the wire: a major (or pre-1.0 minor) step can
# change how dates, decimals, enums or nulls are written, and consumers reject the messages.
_SERIALIZER = re.compile(
    r"jackson|gson|moshi|serde|protobuf|avro|thrift|pydantic|marshmallow|msgpack|orjson"
    r"|simplejson|ujson|cattrs|class-transformer|superjson|json-?bigint|kotlinx[.-]serialization"
    r"|fastjson|jsoniter|json-iterator|flatbuffers|capnp|bson|cbor|yaml",
    re.I,
)
_GENERIC_NAMES = {"version", "requires-python", "python_requires", "lockfileversion", "edition",
                  "rust-version", "python"}  # fmt: skip


@dataclass(frozen=True)
class Bump:
    file: str
    name: str
    before: str
    after: str
    line: int | None
    image: bool = False
    indirect: bool = False


def detect(change: ChangeFacts) -> list[Finding]:
    bumps = _bumps(change)
    manifests = {b.name.lower() for b in bumps if not _LOCK.search(b.file)}
    found = []
    for bump in bumps:
        transitive = bool(_LOCK.search(bump.file)) and bump.name.lower() not in manifests
        if _LOCK.search(bump.file) and not transitive:
            continue  # the manifest's line says it
        finding = _judge(bump, transitive)
        if finding:
            found.append(finding)
    return found


def _judge(bump: Bump, transitive: bool) -> Finding | None:
    old, new = _numbers(bump.before), _numbers(bump.after)
    floats_now = _floats(bump.after) and not _floats(bump.before)
    step = _step(old, new)
    if step is None:
        if _suffix(bump.before) != _suffix(bump.after) and old == new and old:
            step = "variant"
        elif not old or not new:
            step = "tag" if _clean(bump.before) != _clean(bump.after) else None
    if step is None and not floats_now:
        return None
    what = "base image" if bump.image else "dependency"
    message = f"{what} `{bump.name}` {bump.before} → {bump.after}"
    strength = {"major": 0.6, "minor": 0.4, "variant": 0.5, "tag": 0.45, None: 0.3}[step]
    if step:
        message += f" ({step}{' downgrade' if new and old and new < old else ''})"
    if floats_now:
        message += f"; the version now floats (`{_float_marker(bump.after)}`)"
        strength += 0.15
    if bump.image:
        strength += 0.05
    if transitive or bump.indirect:
        message += "; lock file only (a transitive dependency)" if transitive else "; indirect"
        strength *= 0.75
    symptoms = IMAGE_SYMPTOMS if bump.image else SYMPTOMS
    if _SERIALIZER.search(bump.name) and step in ("major", "minor"):
        message += "; a serializer: what it writes or accepts may change on the wire"
        symptoms = (*symptoms, "contract")
    return Finding(NAME, message, bump.file, bump.line, symptoms, round(min(strength, 0.8), 2))


def _bumps(change: ChangeFacts) -> list[Bump]:
    out: list[Bump] = []
    own_files = set()
    for file, patch in change.patches.items():
        if (
            file_kind(file, patch) == "docs_tests"
            or _DEV_FILE.search(file)
            or _NOT_SHIPPED.search(file)
        ):
            own_files.add(file)
            continue
        if _DOCKERFILE.search(file):
            own_files.add(file)
            out += _images(file, diff.parse(patch))
        elif _PIP_FILE.search(file):
            out += _requirements(file, diff.parse(patch))
    mine = {(b.file, b.name.lower()) for b in out}
    parsed: dict[str, list[diff.DiffLine]] = {}
    for dep in change.dependencies:
        if dep.file in own_files or dep.before is None or dep.after is None:
            continue
        if (dep.file, dep.name.lower()) in mine:
            continue  # read with its operator from the patch
        lines = parsed.setdefault(dep.file, diff.parse(change.patches.get(dep.file, "")))
        index = next((i for i, d in enumerate(lines) if d.sign == "+" and d.new == dep.line), None)
        if index is not None and _dev(lines, index):
            continue
        name = dep.name
        if name.lower() in _GENERIC_NAMES:
            name = _owner(lines, index) if index is not None else ""
            if not name:
                continue
        indirect = index is not None and "// indirect" in lines[index].text
        out.append(Bump(dep.file, name, dep.before, dep.after, dep.line, indirect=indirect))
    return out


def _requirements(file: str, lines: list[diff.DiffLine]) -> list[Bump]:
    """pip requirements with their operators (the facts keep the version without it)."""
    old: dict[tuple[int, str], str] = {}
    new: dict[tuple[int, str], tuple[str, int | None, int]] = {}
    for i, d in enumerate(lines):
        if d.sign == " " or not d.text.strip() or d.text.lstrip().startswith(("#", "-", "[")):
            continue
        found = _REQUIREMENT.match(d.text)
        if not found or (file.endswith(".toml") and "=" in d.text.split('"')[0]):
            continue  # TOML keys (`name = "x"`) are not requirements
        version = f"{found.group('op') or ''}{found.group('version')}" or "*"
        slot = (d.hunk, found.group("name").lower())
        if d.sign == "-":
            old.setdefault(slot, version)
        else:
            new.setdefault(slot, (version, d.new, i))
    out = []
    for slot, (version, line, index) in new.items():
        if slot in old and old[slot] != version and not _dev(lines, index):
            out.append(Bump(file, slot[1], old[slot], version, line))
    return out


def _images(file: str, lines: list[diff.DiffLine]) -> list[Bump]:
    """Base images of `FROM` lines, paired in order within each hunk; `ARG *_VERSION` too."""
    aliases = {m.group("alias").lower() for d in lines for m in [_FROM.match(d.text)]
               if m and m.group("alias")}  # fmt: skip
    out = []
    hunks: dict[int, list[diff.DiffLine]] = {}
    for d in lines:
        if d.sign != " ":
            hunks.setdefault(d.hunk, []).append(d)
    for changed in hunks.values():
        removed = [d for d in changed if d.sign == "-" and _FROM.match(d.text)]
        added = [d for d in changed if d.sign == "+" and _FROM.match(d.text)]
        for gone, came in zip(removed, added, strict=False):
            before, after = _image(gone.text), _image(came.text)
            if not before or not after or before[0].lower() in aliases | {"scratch"}:
                continue
            if "$" in before[1] + after[1] or (before == after):
                continue
            name = after[0] if before[0] == after[0] else f"{before[0]} → {after[0]}"
            out.append(Bump(file, name, before[1], after[1], came.new, image=True))
        args_old = {m.group("name"): m.group("value") for d in changed if d.sign == "-"
                    for m in [_ARG.match(d.text)] if m}  # fmt: skip
        for d in changed:
            arg = _ARG.match(d.text) if d.sign == "+" else None
            if (
                arg
                and arg.group("name") in args_old
                and args_old[arg.group("name")] != arg.group("value")
            ):
                uses = re.compile(rf"\$\{{?{arg.group('name')}\b")
                used = any(uses.search(x.text) and _FROM.match(x.text)
                           for x in lines)  # fmt: skip
                if used:
                    out.append(Bump(file, arg.group("name"), args_old[arg.group("name")],
                                    arg.group("value"), d.new, image=True))  # fmt: skip
    return out


def _image(text: str) -> tuple[str, str] | None:
    found = _FROM.match(text)
    if not found:
        return None
    image = found.group("image")
    if "@" in image:
        name, digest = image.split("@", 1)
        base, _, tag = name.rpartition(":") if ":" in name.split("/")[-1] else (name, "", "")
        return base, f"{tag}@{digest[:19]}" if tag else f"@{digest[:19]}"
    if ":" in image.split("/")[-1]:
        base, _, tag = image.rpartition(":")
        return base, tag
    return image, "latest"


def _dev(lines: list[diff.DiffLine], index: int) -> bool:
    """The line sits in a development/test section (package.json, TOML, Gemfile groups)."""
    for d in reversed(lines[: index + 1]):
        if d.sign == "-":
            continue
        if _DEV_SECTION.search(d.text):
            return True
        if _PROD_SECTION.search(d.text):
            return False
    return False


def _owner(lines: list[diff.DiffLine], index: int) -> str:
    """The package a lock file's `version` line belongs to (the nearest name above it)."""
    for d in reversed(lines[:index]):
        if d.sign == "-":
            continue
        found = _LOCK_NAME.match(d.text)
        if found:
            return next(g for g in found.groups() if g)
    return ""


def _numbers(version: str) -> tuple[int, ...]:
    found = re.search(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", version.split("@")[0])
    return tuple(int(g) for g in found.groups() if g is not None) if found else ()


def _step(old: tuple[int, ...], new: tuple[int, ...]) -> str | None:
    if not old or not new:
        return None
    if old[0] != new[0]:
        return "major"
    minor_old, minor_new = (old + (0,))[1], (new + (0,))[1]
    if minor_old != minor_new:
        return "major" if old[0] == 0 else "minor"  # below 1.0 a minor step may break
    return None


def _suffix(version: str) -> str:
    return re.sub(r"^[\^~>=<! v]*[\d.]*", "", version.split("@")[0])


def _floats(version: str) -> bool:
    text = version.strip()
    return bool(re.match(r"^(\^|~|>|\*$|latest$|x$)", text)
                or re.search(r"\.(x|\*)\b|\.\+$|^\+$", text)
                or text in ("", "*"))  # fmt: skip


def _float_marker(version: str) -> str:
    found = re.match(r"^(\^|~>|~=|~|>=|>|\*|latest)", version.strip())
    return found.group(1) if found else version


def _clean(version: str) -> str:
    return version.strip().lstrip("v")
