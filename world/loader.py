"""Read `scenarios/<name>/scenario.yaml`, validate it, and report problems by file and line.

Every problem names the file, the line, the field and what was expected, so a user
fixing a scenario never has to guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.actions import ACTIONS
from core.yaml_lines import line_of
from world.scenario import DASHBOARDS_VAR, Scenario

SCENARIO_FILE = "scenario.yaml"


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


class ScenarioError(Exception):
    """A scenario that cannot be used; `str()` lists every problem as file:line: field: why."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        lines = [f"{path}:{p.line}: {p.field}: {p.message}" for p in problems]
        super().__init__("invalid scenario\n" + "\n".join(lines))


@dataclass(frozen=True)
class LoadedScenario:
    """A valid scenario and the folder its pages come from."""

    spec: Scenario
    folder: Path

    def page(self, key: str) -> bytes:
        return (self.folder / self.spec.dashboards[key]).read_bytes()


class _StringLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings so RFC 3339 is checked by us, not YAML."""


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def resolve(name_or_path: str, root: Path) -> Path:
    """A scenario folder from a name under `root` or a path; raises FileNotFoundError."""
    candidate = Path(name_or_path)
    for folder in (candidate, root / name_or_path):
        if (folder / SCENARIO_FILE).is_file():
            return folder
    known = sorted(p.parent.name for p in root.glob(f"*/{SCENARIO_FILE}"))
    raise FileNotFoundError(
        f"no scenario {name_or_path!r}: neither {candidate / SCENARIO_FILE} nor "
        f"{root / name_or_path / SCENARIO_FILE} exists; known scenarios in {root}: "
        f"{', '.join(known) or 'none'}"
    )


def load(name_or_path: str, root: Path = Path("scenarios")) -> LoadedScenario:
    folder = resolve(name_or_path, root)
    return load_file(folder / SCENARIO_FILE)


def load_file(path: Path) -> LoadedScenario:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=_StringLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ScenarioError(path, [Problem(line, "(yaml)", str(exc).splitlines()[0])]) from exc
    if node is None or not isinstance(node, yaml.MappingNode):
        raise ScenarioError(path, [Problem(1, "(top level)", "expected a mapping of keys")])
    data = yaml.load(text, Loader=_StringLoader)
    try:
        spec = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(path, _problems(exc, node)) from exc
    problems = _cross_check(spec, path.parent, data, node)
    if problems:
        raise ScenarioError(path, problems)
    return LoadedScenario(spec=spec, folder=path.parent)


def discover(root: Path) -> list[Path]:
    """Every folder under `root` that holds a scenario.yaml, sorted by name."""
    return sorted(p.parent for p in root.glob(f"*/{SCENARIO_FILE}"))


def _problems(exc: ValidationError, node: yaml.Node) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [part for part in err["loc"] if not _is_validator_tag(part)]
        field = _dotted(loc) or "(top level)"
        message = _explain(err)
        problems.append(Problem(line_of(node, loc), field, message))
    return problems


def _is_validator_tag(part: Any) -> bool:
    # pydantic adds tags such as 'function-after[_timestamp(), str]' to the location
    return isinstance(part, str) and "[" in part and part.endswith("]")


def _explain(err: Any) -> str:
    kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "unknown key (the contract does not define it; check the spelling)"
    if kind == "missing":
        return "required key is missing"
    if kind.endswith("_type") and "input" in err:
        return f"{msg}; got {type(err['input']).__name__} {err['input']!r}"
    return str(msg)


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _cross_check(spec: Scenario, folder: Path, data: Any, node: yaml.Node) -> list[Problem]:
    found: list[tuple[list[Any], str]] = []
    if spec.name != folder.name:
        found.append((["name"], f"must equal the folder name {folder.name!r}"))
    for key, file in spec.dashboards.items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", key) or ".." in key:
            found.append((["dashboards", key], "URL path must be relative, without '..'"))
        page = folder / file
        if not page.is_file() or folder.resolve() not in page.resolve().parents:
            found.append((["dashboards", key], f"page file {file!r} not found in {folder}"))
    text = yaml.safe_dump(data)
    for ref in re.findall(re.escape(DASHBOARDS_VAR) + r"/([A-Za-z0-9._/-]+)", text):
        if ref not in spec.dashboards:
            found.append((["dashboards"], f"{DASHBOARDS_VAR}/{ref} is referenced but not served"))
    found += _check_catalog(spec)
    found += _check_expect(spec)
    return [Problem(line_of(node, loc), _dotted(loc), msg) for loc, msg in found]


def _check_catalog(spec: Scenario) -> list[tuple[list[Any], str]]:
    found: list[tuple[list[Any], str]] = []
    for name, service in spec.services.items():
        for i, upstream in enumerate(service.depends_on):
            if upstream not in spec.services:
                found.append((["services", name, "depends_on", i],
                              f"{upstream!r} is not a service of this catalog"))  # fmt: skip
        if service.channel not in spec.slack.channels:
            found.append(
                (["services", name, "channel"], f"{service.channel} not in slack.channels")
            )
    return found


def _check_expect(spec: Scenario) -> list[tuple[list[Any], str]]:
    found: list[tuple[list[Any], str]] = []
    expect, rc = spec.expect, spec.expect.root_cause
    if (
        rc
        and rc.pr is not None
        and not any(p.number == rc.pr and rc.repo in (None, repo) for repo, p in spec.all_pulls())
    ):
        where = rc.repo or "github.repos"
        found.append((["expect", "root_cause", "pr"], f"PR {rc.pr} is not in {where}"))
    if rc and rc.commit is not None and not _commit_known(spec, rc.commit):
        found.append(
            (["expect", "root_cause", "commit"], f"no commit starting {rc.commit} in github.repos")
        )
    for key in ("notify", "never_notify"):
        for i, channel in enumerate(getattr(expect, key) or []):
            if channel not in spec.slack.channels:
                found.append((["expect", key, i], f"{channel} is not in slack.channels"))
    for i, action in enumerate(expect.actions or []):
        if action.tool not in ACTIONS:
            found.append((["expect", "actions", i, "tool"], _unknown_action(action.tool)))
    for i, tool in enumerate(expect.never_execute or []):
        if tool not in ACTIONS:
            found.append((["expect", "never_execute", i], _unknown_action(tool)))
    return found


def _commit_known(spec: Scenario, prefix: str) -> bool:
    shas = [c.sha for repo in spec.github.repos.values() for c in repo.commits]
    shas += [p.merge_commit_sha for _, p in spec.all_pulls() if p.merge_commit_sha]
    return any(sha.startswith(prefix) or prefix.startswith(sha) for sha in shas)


def _unknown_action(tool: str) -> str:
    return f"unknown action {tool!r}; expected one of {', '.join(sorted(ACTIONS))}"
