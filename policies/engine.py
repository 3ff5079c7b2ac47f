"""The policy engine: typed actions in, a verdict and the ids of the rules that fired out.

Deny by default. A missing or invalid policy file does not fail open: every action is
blocked by the pseudo-rule `policy-unavailable`, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from graphs.state import ProposedAction, Verdict


class Conditions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    channel_in_catalog: bool | None = None
    owning_channel: bool | None = None
    pr_in_incident: bool | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    action: str
    verdict: Verdict
    when: Conditions = Conditions()


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1]
    rules: list[Rule]


@dataclass(frozen=True)
class Facts:
    """Trusted inventory an action's arguments are checked against."""

    catalog_channels: frozenset[str]
    owning_channel: str | None
    incident_prs: frozenset[tuple[str, int]]


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    error: str | None = None

    def decide(self, action: ProposedAction, facts: Facts) -> tuple[Verdict, tuple[str, ...]]:
        if self.error is not None:
            return "blocked", ("policy-unavailable",)
        for rule in self.rules:
            if rule.action == action.tool and _holds(rule.when, action.args, facts):
                return rule.verdict, (rule.id,)
        return "blocked", ("default-deny",)


def load_policy(path: Path) -> Policy:
    """A usable policy, or one that blocks everything and says why in `error`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = PolicyFile.model_validate(data)
    except FileNotFoundError:
        return Policy((), f"{path}: policy file not found; every mutation is blocked")
    except (yaml.YAMLError, ValidationError) as exc:
        return Policy((), f"{path}: invalid policy ({exc}); every mutation is blocked")
    return Policy(tuple(parsed.rules))


def _holds(when: Conditions, args: Mapping[str, object], facts: Facts) -> bool:
    channel = args.get("channel")
    checks = {
        "channel_in_catalog": channel in facts.catalog_channels,
        "owning_channel": channel is not None and channel == facts.owning_channel,
        "pr_in_incident": (args.get("repo"), args.get("pr")) in facts.incident_prs,
    }
    return all(getattr(when, k) is None or getattr(when, k) == v for k, v in checks.items())
