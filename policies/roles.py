"""Roles: who may see incidents and who may approve which actions in which environment.

A roles file (`INCIDENT_GRAPH_ROLES_FILE`, YAML; docs/roles.md) names roles (what they
permit: `view`, and `approve`, a list of action names or `*`) and people (their Slack user
id, an optional personal API token as its SHA-256, and a role per environment, `*` for any
other). The API, Slack's buttons, the console and `graph mcp` ask `Roles` before an answer
is recorded, and the audit records the role that allowed it.

It fails closed: with no roles file and no `INCIDENT_GRAPH_APPROVERS`, or with a roles file
that is missing or invalid, nobody may approve, and `problem` says why (printed at
start-up, returned with every refusal).
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from core.yaml_lines import line_of

ANY = "*"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
_SHA256 = r"^[0-9a-f]{64}$"


class RolesError(ValueError):
    """An invalid roles file: the file, the line and the field in the message."""


class RoleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    view: bool = True
    approve: tuple[Name, ...] = Field(default=(), description="action names, or '*' for all")


class PersonSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slack: Name | None = Field(default=None, description="Slack user id (U0123ABCD)")
    token_sha256: Annotated[str, StringConstraints(pattern=_SHA256)] | None = None
    environments: dict[Name, Name] = Field(min_length=1, description="environment → role")


class RolesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[Name, RoleSpec] = Field(min_length=1)
    people: dict[Name, PersonSpec] = Field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    name: str
    slack: str | None
    token_sha256: str | None
    environments: dict[str, str]  # environment (or "*") → role name


@dataclass(frozen=True)
class Permit:
    allowed: bool
    role: str | None  # the role that decided (recorded in the audit)
    why: str


@dataclass(frozen=True)
class Roles:
    roles: dict[str, RoleSpec] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    source: str = ""  # where they came from, for start-up messages
    problem: str | None = None  # why nobody may approve, when nobody may

    @classmethod
    def nobody(cls, why: str) -> Roles:
        return cls(problem=why)

    @classmethod
    def from_approvers(cls, ids: tuple[str, ...]) -> Roles:
        """INCIDENT_GRAPH_APPROVERS: each id (a Slack user id or a name) approves anything
        anywhere; the short form of a roles file with one role."""
        role = {"approver": RoleSpec(view=True, approve=(ANY,))}
        people = {i: Person(i, i, None, {ANY: "approver"}) for i in ids}
        return cls(role, people, source="INCIDENT_GRAPH_APPROVERS")

    def by_name(self, name: str) -> Person | None:
        return self.people.get(name)

    def by_slack(self, user_id: str) -> Person | None:
        return next((p for p in self.people.values() if p.slack == user_id), None)

    def by_token(self, token: str) -> Person | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return next((p for p in self.people.values() if p.token_sha256
                     and hmac.compare_digest(p.token_sha256, digest)), None)  # fmt: skip

    def role_of(self, person: Person, environment: str | None) -> str | None:
        """The person's role in this environment: its own entry, else `*`."""
        if environment is not None and environment in person.environments:
            return person.environments[environment]
        return person.environments.get(ANY)

    def may_view(self, person: Person | None) -> bool:
        return person is not None and any(
            self.roles[r].view for r in person.environments.values() if r in self.roles
        )

    def may_approve(self, person: Person | None, action: str, environment: str | None) -> Permit:
        if self.problem is not None:
            return Permit(False, None, f"nobody may approve or deny actions: {self.problem}")
        if person is None:
            return Permit(False, None, f"not in the roles ({self.source}); only people "
                          "named there may approve or deny actions")  # fmt: skip
        where = environment or "an unknown environment"
        role = self.role_of(person, environment)
        if role is None:
            return Permit(False, None, f"{person.name} has no role in {where}")
        if not any(fnmatch.fnmatchcase(action, p) for p in self.roles[role].approve):
            return Permit(False, role, f"{person.name}'s role in {where} ({role}) may not "
                          f"approve {action}")  # fmt: skip
        return Permit(True, role, f"{person.name} approves as {role} in {where}")


def load_roles(path: Path) -> Roles:
    """The roles in `path`; RolesError (file:line: field: what is wrong) when invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RolesError(f"{path}: cannot read the roles file: {exc.strerror}") from exc
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RolesError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    if node is None:
        raise RolesError(f"{path}: empty; it needs `roles:` and `people:` (docs/roles.md)")
    try:
        parsed = RolesFile.model_validate(data)
    except ValidationError as exc:
        raise RolesError(_problems(path, node, exc)) from exc
    problems = _cross_check(parsed)
    if problems:
        raise RolesError("; ".join(f"{path}:{line_of(node, loc)}: {msg}" for loc, msg in problems))
    people = {n: Person(n, p.slack, p.token_sha256, dict(p.environments))
              for n, p in parsed.people.items()}  # fmt: skip
    return Roles(dict(parsed.roles), people, source=str(path))


def _problems(path: Path, node: yaml.Node, exc: ValidationError) -> str:
    found = []
    for err in exc.errors(include_url=False):
        loc = [part for part in err["loc"] if not re.search(r"\[.*\]$", str(part))]
        where = ".".join(str(p) for p in loc) or "(top level)"
        found.append(f"{path}:{line_of(node, loc)}: {where}: {err['msg']}")
    return "; ".join(found)


def _cross_check(parsed: RolesFile) -> list[tuple[list[str], str]]:
    found: list[tuple[list[str], str]] = []
    slack_ids: dict[str, str] = {}
    for name, person in parsed.people.items():
        for env, role in person.environments.items():
            if role not in parsed.roles:
                known = ", ".join(sorted(parsed.roles))
                where = ["people", name, "environments", env]
                found.append((where, f"people.{name}: unknown role {role!r} (roles: {known})"))
        if person.slack is not None:
            if person.slack in slack_ids:
                found.append((["people", name, "slack"], f"people.{name}: Slack id "
                              f"{person.slack} is also {slack_ids[person.slack]}'s"))  # fmt: skip
            slack_ids[person.slack] = name
    return found


def roles_for(roles_file: Path | None, approvers: tuple[str, ...]) -> Roles:
    """The service's roles: the roles file when one is set, else INCIDENT_GRAPH_APPROVERS;
    never raises, so a bad file means nobody may approve (and `problem` says why)."""
    if roles_file is not None:
        try:
            return load_roles(roles_file)
        except RolesError as exc:
            return Roles.nobody(str(exc))
    if approvers:
        return Roles.from_approvers(approvers)
    return Roles.nobody(
        "no roles: set INCIDENT_GRAPH_ROLES_FILE (docs/roles.md) or INCIDENT_GRAPH_APPROVERS"
    )
