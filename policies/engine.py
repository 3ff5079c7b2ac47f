"""The policy engine: a typed action and the trusted inventory in, a verdict and the ids of
the rules that fired out.

Rules are checked in order; the first rule whose action and conditions all hold decides.
No rule → `blocked` by `default-deny`. A rule that matches but whose rate limit is
spent blocks with `<id>:rate-limit`. A missing or invalid policy file does not fail
open: every action is blocked by the pseudo-rule `policy-unavailable`, with the reason.
The file format is documented in docs/policies.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.actions import SIGNATURES
from core.state import ProposedAction, Scalar, Verdict
from policies.inventory import Inventory, blast_radius

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArgMatch(Strict):
    equals: Scalar = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    matches: str | None = None  # a regular expression the whole value must match

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"matches: not a regular expression ({exc})") from exc
        return value

    def holds(self, value: Scalar) -> bool:
        return (
            (self.equals is None or value == self.equals)
            and (self.in_ is None or value in self.in_)
            and (self.not_in is None or value not in self.not_in)
            and (self.matches is None or re.fullmatch(self.matches, str(value)) is not None)
        )


class Conditions(Strict):
    owning_channel: bool | None = None  # the channel is the alerting service's own
    args: dict[str, ArgMatch] = {}
    provenance: Literal["trusted", "untrusted"] | None = None  # of the origin and every arg
    environment: list[str] | None = None  # the alert's environment; `unknown`: none said
    tier: list[int] | None = None  # the alerting service's tier in the catalog
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None
    hours: str | None = None  # "HH:MM-HH:MM", UTC, on the incident's clock
    max_blast_radius: int | None = Field(default=None, ge=0)

    @field_validator("hours")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None and not _HOURS.match(value):
            raise ValueError(f"hours must look like 09:00-18:00, got {value!r}")
        return value


class Limit(Strict):
    per_incident: int | None = Field(default=None, ge=0)
    per_hour: int | None = Field(default=None, ge=0)


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    action: str
    verdict: Verdict
    when: Conditions = Conditions()
    limit: Limit | None = None
    description: str = ""

    @field_validator("action")
    @classmethod
    def _typed(cls, value: str) -> str:
        if value != "*" and value not in SIGNATURES:
            raise ValueError(f"unknown action {value!r}; one of {sorted(SIGNATURES)} or '*'")
        return value


class PolicyFile(Strict):
    version: Literal[2]
    links: list[str] = []  # hosts a notification may link to; other links are removed
    rules: list[Rule]

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[Rule]) -> list[Rule]:
        seen = [r.id for r in rules]
        dupes = sorted({i for i in seen if seen.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique: {dupes}")
        return rules


Usage = Callable[[str], tuple[int, int]]
"""A rule id → how often it let an action through in this incident, and in the last hour."""


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    links: frozenset[str] = frozenset()
    error: str | None = None
    source: str = ""

    def decide(
        self, action: ProposedAction, inv: Inventory, used: Usage = lambda _r: (0, 0)
    ) -> tuple[Verdict, tuple[str, ...]]:
        if self.error is not None:
            return "blocked", ("policy-unavailable",)
        for rule in self.rules:
            if rule.action in ("*", action.tool) and holds(rule.when, action, inv):
                spent = _spent(rule, used)
                return ("blocked", (rule.id, spent)) if spent else (rule.verdict, (rule.id,))
        return "blocked", ("default-deny",)


def load_policy(path: Path) -> Policy:
    """A usable policy, or one that blocks everything and says why in `error`."""
    try:
        parsed = parse_policy(path)
    except FileNotFoundError:
        return Policy((), error=f"{path}: policy file not found; every mutation is blocked")
    except PolicyError as exc:
        return Policy((), error=f"{exc}; every mutation is blocked")
    return Policy(tuple(parsed.rules), frozenset(parsed.links), source=str(path))


class PolicyError(ValueError):
    """An invalid policy file, with the file, the rule and the field in the message."""


def parse_policy(path: Path) -> PolicyFile:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        return PolicyFile.model_validate(data)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(e['loc'], data)}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise PolicyError(f"{path}: invalid policy: {problems}") from exc


def holds(when: Conditions, action: ProposedAction, inv: Inventory) -> bool:
    return all(test(when, action, inv) for test in _TESTS)


def _owning(when: Conditions, action: ProposedAction, inv: Inventory) -> bool:
    if when.owning_channel is None:
        return True
    owned = inv.channel is not None and action.args.get("channel") == inv.channel
    return owned == when.owning_channel


def _args(when: Conditions, action: ProposedAction, _inv: Inventory) -> bool:
    return all(k in action.args and m.holds(action.args[k]) for k, m in when.args.items())


def _provenance(when: Conditions, action: ProposedAction, _inv: Inventory) -> bool:
    if when.provenance is None:
        return True
    trusted = action.origin.trusted and all(p.trusted for p in action.provenance.values())
    return trusted == (when.provenance == "trusted")


def _environment(when: Conditions, _action: ProposedAction, inv: Inventory) -> bool:
    return when.environment is None or (inv.environment or UNKNOWN) in when.environment


UNKNOWN = "unknown"  # the environment of an alert whose labels name none


def _tier(when: Conditions, _action: ProposedAction, inv: Inventory) -> bool:
    return when.tier is None or inv.tier in when.tier


def _time(when: Conditions, _action: ProposedAction, inv: Inventory) -> bool:
    if when.days is not None and DAYS[inv.now.weekday()] not in when.days:
        return False
    if when.hours is None:
        return True
    start, end = when.hours.split("-")
    now = f"{inv.now:%H:%M}"
    return start <= now < end if start <= end else (now >= start or now < end)


def _radius(when: Conditions, action: ProposedAction, inv: Inventory) -> bool:
    return when.max_blast_radius is None or blast_radius(action, inv) <= when.max_blast_radius


_TESTS = (_owning, _args, _provenance, _environment, _tier, _time, _radius)


def _spent(rule: Rule, used: Usage) -> str | None:
    if rule.limit is None:
        return None
    in_incident, in_hour = used(rule.id)
    if rule.limit.per_incident is not None and in_incident >= rule.limit.per_incident:
        return f"{rule.id}:rate-limit-per-incident"
    if rule.limit.per_hour is not None and in_hour >= rule.limit.per_hour:
        return f"{rule.id}:rate-limit-per-hour"
    return None


def _where(loc: tuple[int | str, ...], data: object) -> str:
    """`rules[2] (id revert-x).when.hours`: the path, with the rule's id when it has one."""
    where = ".".join(str(part) for part in loc) or "(top level)"
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
        name = f" (id {rule['id']})" if isinstance(rule, dict) and "id" in rule else ""
        where = f"rules[{loc[1]}]{name}" + "".join(f".{p}" for p in loc[2:])
    return where
