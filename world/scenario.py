"""The scenario contract (`../shared/scenario-format.md`) as frozen pydantic models.

Only the shapes live here; reading files, line numbers and cross-checks against the
scenario folder are in `world.loader`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from core.catalog import Channel, RepoName, Service
from world.signals_spec import KubernetesSpec, LogStream, MetricsSpec

DASHBOARDS_VAR = "${DASHBOARDS_URL}"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: str) -> datetime:
    if not _RFC3339.match(value):
        raise ValueError(
            f"expected an RFC 3339 timestamp with a zone, like 2026-03-14T10:04:00Z; got {value!r}"
        )
    return datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))


def _timestamp(value: str) -> str:
    _rfc3339(value)
    return value


def _sha(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{7,40}", value):
        raise ValueError(f"expected 7 to 40 lowercase hex digits; got {value!r}")
    return value


Timestamp = Annotated[str, AfterValidator(_timestamp)]
Sha = Annotated[str, AfterValidator(_sha)]
Severity = Literal["critical", "high", "medium", "low"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


MAPPING_FIELDS = (
    "name", "status", "starts_at", "labels", "annotations", "fingerprint", "values",
    "generator_url", "group_key",
)  # fmt: skip


class AlertSpec(_Model):
    format: Literal["alertmanager", "grafana", "generic"]
    payload: dict[str, Any]
    # generic only: a built-in mapping's name (datadog, pagerduty, sentry, cloudwatch, ...) or
    # JMESPath expressions per alert field (docs/alerts.md, "Mappings")
    mapping: str | dict[str, str] | None = None

    @model_validator(mode="after")
    def _alerts_have_labels(self) -> AlertSpec:
        if self.mapping is not None and self.format != "generic":
            raise ValueError("'mapping' applies to the generic format only")
        if isinstance(self.mapping, dict):
            unknown = sorted(set(self.mapping) - set(MAPPING_FIELDS))
            if unknown:
                raise ValueError(
                    f"mapping has unknown field(s) {', '.join(unknown)}; "
                    f"expected some of {', '.join(MAPPING_FIELDS)}"
                )
        if self.format == "generic":
            return self
        alerts = self.payload.get("alerts")
        if not isinstance(alerts, list) or not alerts:
            raise ValueError(f"a {self.format} payload needs a non-empty 'alerts' list")
        for i, alert in enumerate(alerts):
            if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
                raise ValueError(f"payload.alerts[{i}] needs a 'labels' mapping")
            _rfc3339(str(alert.get("startsAt", "")))
        return self


class FileChange(_Model):
    filename: str = Field(min_length=1)
    status: Literal["added", "modified", "removed", "renamed"] = "modified"
    additions: int | None = Field(default=None, ge=0)
    deletions: int | None = Field(default=None, ge=0)
    patch: str = ""

    def counts(self) -> tuple[int, int]:
        """(additions, deletions), counted from the patch where the file does not say."""
        lines = [ln for ln in self.patch.splitlines() if not ln.startswith(("+++", "---"))]
        added = sum(ln.startswith("+") for ln in lines)
        removed = sum(ln.startswith("-") for ln in lines)
        return (
            self.additions if self.additions is not None else added,
            self.deletions if self.deletions is not None else removed,
        )


class PullRequest(_Model):
    number: int = Field(gt=0)
    title: str = Field(min_length=1)
    body: str = ""
    user: str
    state: Literal["open", "closed"]
    created_at: Timestamp | None = None
    merged_at: Timestamp | None = None
    merge_commit_sha: Sha | None = None
    base: str | None = None
    head: str | None = None
    files: list[FileChange] = []

    @model_validator(mode="after")
    def _merged_is_closed(self) -> PullRequest:
        if self.merged_at is not None and self.state != "closed":
            raise ValueError("a merged pull request must have state: closed")
        return self


class Commit(_Model):
    sha: Sha
    message: str = Field(min_length=1)
    author: str
    date: Timestamp
    files: list[FileChange] = []


class Repo(_Model):
    default_branch: str = "main"
    pulls: list[PullRequest] = []
    commits: list[Commit] = []


class GitHubSpec(_Model):
    repos: dict[RepoName, Repo] = {}


class SlackSpec(_Model):
    channels: list[Channel] = []


CATEGORIES = (
    "code_change",
    "config_change",
    "dependency_change",
    "schema_change",
    "infrastructure_change",
    "capacity",
    "external_dependency",
    "platform_failure",
    "false_alarm",
)
Category = Literal[
    "code_change",
    "config_change",
    "dependency_change",
    "schema_change",
    "infrastructure_change",
    "capacity",
    "external_dependency",
    "platform_failure",
    "false_alarm",
]
Keyword = (
    Annotated[str, Field(min_length=1)]
    | Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
)  # a word, or alternatives of which one must appear


def alternatives(keyword: str | list[str]) -> list[str]:
    """The words one keyword accepts (a list is a set of alternatives)."""
    return [keyword] if isinstance(keyword, str) else list(keyword)


class ExpectedRootCause(_Model):
    pr: int | None = Field(default=None, gt=0)
    repo: RepoName | None = None  # the PR's repo when it is not the alerting service's
    commit: Sha | None = None
    none: bool = False
    category: Category | None = None
    keywords: list[Keyword] = []

    @model_validator(mode="after")
    def _exactly_one(self) -> ExpectedRootCause:
        chosen = [self.pr is not None, self.commit is not None, self.none]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of pr, commit or none: true")
        return self


class ExpectedAction(_Model):
    tool: str
    args: dict[str, Any] = {}
    verdict: Literal["allowed", "needs_approval", "blocked"]


class Expect(_Model):
    severity: Severity | None = None
    root_cause: ExpectedRootCause | None = None
    notify: list[Channel] | None = None
    never_notify: list[Channel] | None = None
    actions: list[ExpectedAction] | None = None
    never_execute: list[str] | None = None
    large_model: bool | None = None
    never_contain: list[Annotated[str, Field(min_length=1)]] | None = None

    def present(self) -> list[str]:
        """The expect keys this scenario sets, in contract order (one check each)."""
        return [key for key in type(self).model_fields if getattr(self, key) is not None]


class Scenario(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str = Field(min_length=1)
    now: Timestamp
    alert: AlertSpec
    services: dict[str, Service]
    dashboards: dict[str, str] = {}
    github: GitHubSpec = GitHubSpec()
    slack: SlackSpec = SlackSpec()
    metrics: MetricsSpec | None = None  # served by a real Prometheus (backfilled)
    logs: list[LogStream] = []  # served by the Loki-compatible log API
    kubernetes: KubernetesSpec | None = None  # served by the Kubernetes API stand-in
    expect: Expect = Expect()

    @property
    def now_dt(self) -> datetime:
        return _rfc3339(self.now)

    def pull(self, repo: str, number: int) -> PullRequest | None:
        spec = self.github.repos.get(repo)
        return next((p for p in spec.pulls if p.number == number), None) if spec else None

    def all_pulls(self) -> list[tuple[str, PullRequest]]:
        return [(name, p) for name, repo in self.github.repos.items() for p in repo.pulls]


def parse_time(value: str) -> datetime:
    """A validated scenario timestamp as an aware datetime."""
    return _rfc3339(value)


def substitute(text: str, dashboards_url: str) -> str:
    """Replace `${DASHBOARDS_URL}` the way a replay serves the pages."""
    return text.replace(DASHBOARDS_VAR, dashboards_url.rstrip("/"))
