"""The incident's state: one TypedDict whose values are frozen pydantic models.

Nodes return `IncidentState` fragments; list fields with a reducer accumulate across
nodes. Free text from alerts, dashboards, PRs and commits is untrusted and marked so
(`trusted=False`) wherever it is carried. Nothing here holds secrets.
"""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Annotated, Literal, NotRequired

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict  # pydantic's schemas (Studio's forms) need it before 3.12

Severity = Literal["critical", "high", "medium", "low"]
Verdict = Literal["allowed", "needs_approval", "blocked"]
Role = Literal["small", "large"]
Scalar = str | int | float | bool | None
CauseCategory = Literal[
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
"""What kind of thing caused an incident (docs/scenario-format.md, "Root-cause expectations")."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AlertMapping(Frozen):
    """Where a generic webhook's alert fields come from: a JMESPath expression per field
    (`agents.ingest.mapping`; built-ins and the mappings file: docs/alerts.md)."""

    name: str
    fields: dict[str, str]


class RawAlert(Frozen):
    """A webhook body exactly as received (JSON text), which source sent it, the mapping
    that reads it (generic webhooks) and when it arrived."""

    format: Literal["alertmanager", "grafana", "generic"]
    body: str
    mapping: AlertMapping | None = None
    received_at: datetime | None = None


class Alert(Frozen):
    source: Literal["alertmanager", "grafana", "generic"]
    fingerprint: str
    name: str
    status: Literal["firing", "resolved"]
    starts_at: datetime
    labels: dict[str, str]  # trusted: set by the monitoring system's rules
    annotations: dict[str, str]  # untrusted free text (summary, description, links)
    values: dict[str, float] = {}
    generator_url: str | None = None
    group_key: str | None = None


class ModelAdvice(Frozen):
    """What a model suggested; advisory only, recorded beside the rule-based answer."""

    model: str
    severity: Severity | None = None
    category: str | None = None
    confidence: float = 0.0
    valid: bool = True


class Triage(Frozen):
    severity: Severity
    category: str
    service: str | None
    team: str | None
    channel: str | None
    tier: int | None
    environment: str | None
    reasons: tuple[str, ...]
    advice: tuple[ModelAdvice, ...] = ()


class Evidence(Frozen):
    """What one read returned. `source` (the URL or API the pipeline itself called) is
    trusted; `title` and `excerpt` are free text anyone could have written, so
    `trusted` is False unless every byte came from trusted metadata."""

    id: str
    kind: Literal["dashboard", "pull_request", "commit", "alert", "metrics", "logs", "kubernetes"]
    source: str
    title: str
    excerpt: str
    trusted: bool = False
    ok: bool = True


class Workload(Frozen):
    """A deployment as the cluster's API reported it while the investigation read it: its
    replicas and rollout history. Trusted (the API server's own record, fetched with the
    pipeline's credentials), so the gate checks rollbacks and scaling against it."""

    namespace: str
    name: str
    replicas: int  # desired
    ready: int
    revision: int  # the current one
    revisions: tuple[int, ...] = ()  # every revision the history still holds, oldest first
    rolled_out_at: datetime | None = None  # when the current revision was rolled out
    images: tuple[str, ...] = ()  # the current revision's


class Candidate(Frozen):
    kind: Literal["pr", "commit"]
    repo: str
    ref: str  # "PR #847" or a short sha
    number: int | None
    sha: str | None
    title: str
    author: str
    merged_at: datetime
    files: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    category: CauseCategory | None = None  # what kind of change it is
    option: bool = False  # offered to the model as a possible cause
    ruled_out: str = ""  # why it cannot be the cause (deployed after the onset, ...)


class RootCause(Frozen):
    """The conclusion, with what each part of it rests on kept apart: the model's own words
    (`explanation`), the mechanism the deterministic steps extracted from the evidence
    (`mechanism`: facts such as settings before → after, error types, notices), the
    detectors' and correlation rules' messages (`findings`) and the evidence it cites.
    `summary` joins them for people; grading reads `explanation` (or, when no model
    decided, `mechanism`), never `findings` or template text."""

    kind: Literal["pr", "commit", "none", "unknown"]
    pr: int | None = None
    commit: str | None = None
    repo: str | None = None
    file: str | None = None
    line: int | None = None
    category: CauseCategory | None = None
    explanation: str = ""
    mechanism: str = ""
    findings: tuple[str, ...] = ()
    evidence_ids: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # the incident's extracted facts, as the model read them
    none_reasons: tuple[str, ...] = ()  # the evidence that no listed change caused it
    none_category: CauseCategory | None = None  # what kind of cause that evidence suggests
    summary: str
    confidence: float
    decided_by: Literal["model", "ranking"]
    decided_why: str = ""
    candidates: tuple[Candidate, ...] = ()
    partial_evidence: bool = False
    trusted: bool = False  # the summary was written after reading untrusted text
    workloads: tuple[Workload, ...] = ()  # the alert's own deployments, read from the cluster
    changes_since: datetime | None = None  # the change window read (earlier for a build-up)


class Provenance(Frozen):
    """Where a value came from, and whether an attacker could have written it.

    Trusted: alert labels from an authenticated source, GitHub metadata (PR numbers,
    authors, merge times, paths), the service catalog, the pipeline's own rules.
    Untrusted: any free text, and anything a model wrote after reading free text.
    """

    trusted: bool
    source: str


PIPELINE = Provenance(trusted=True, source="pipeline rule")


class ProposedAction(Frozen):
    id: str  # idempotency key: incident, tool and arguments
    tool: str
    args: dict[str, Scalar]
    reason: str
    origin: Provenance = PIPELINE  # who decided to act
    provenance: dict[str, Provenance] = {}  # per argument


class GateDecision(Frozen):
    """The gate's verdict on one action and everything that led to it (also the audit row)."""

    action_id: str
    tool: str
    verdict: Verdict
    rules: tuple[str, ...]  # ids of the rules, checks and escalations that fired
    policy_verdict: Verdict | None = None  # the deterministic verdict before any model spoke
    checks: tuple[str, ...] = ()  # inventory checks, "id: ok|failed: detail"
    answers: dict[str, str] = {}  # quarantined and privileged model answers (enum values)
    args: dict[str, Scalar] = {}
    decided_at: datetime | None = None


class Approval(Frozen):
    """A human's answer to a `needs_approval` action (or the run mode's automatic one)."""

    action_id: str
    approved: bool
    approver: str
    at: datetime
    role: str | None = None  # the role that allowed the answer (docs/roles.md)


class ActionOutcome(Frozen):
    action_id: str
    tool: str
    executed: bool
    status: Literal["success", "error", "skipped"]
    detail: str


class Notification(Frozen):
    """One message to a channel: posted, or an earlier one updated in place (`replaces`),
    or a reply in its thread (`thread_ts`). `posted_at` is the wall clock when Slack took
    it (the first one is how long the owning team waited to hear of the incident)."""

    channel: str
    text: str
    ok: bool
    ts: str | None = None
    error: str | None = None
    thread_ts: str | None = None
    replaces: str | None = None
    posted_at: datetime | None = None


class ModelChoice(Frozen):
    node: str
    role: Role
    model: str
    reason: str


class NodeUsage(Frozen):
    node: str
    model: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    llm_s: float = 0.0
    tool_s: float = 0.0
    duration_s: float = 0.0
    started_at: datetime


class IncidentInput(TypedDict):
    """What a run starts from: the alert as its source posted it.

    In LangGraph Studio both may be left out: `incident_id` defaults to the thread's id
    and the alert comes from the context's `scenario` (see `agents.ingest.node`).
    """

    incident_id: NotRequired[str]
    raw_alert: NotRequired[RawAlert]


class IncidentState(TypedDict, total=False):
    incident_id: str
    raw_alert: RawAlert
    alert: Alert
    triage: Triage
    evidence: Annotated[list[Evidence], operator.add]
    root_cause: RootCause
    actions: list[ProposedAction]
    decisions: Annotated[list[GateDecision], operator.add]
    approvals: Annotated[list[Approval], operator.add]
    outcomes: Annotated[list[ActionOutcome], operator.add]
    notifications: Annotated[list[Notification], operator.add]
    routing: Annotated[list[ModelChoice], operator.add]
    usage: Annotated[list[NodeUsage], operator.add]
    problems: Annotated[list[str], operator.add]


STATE_TYPES: tuple[type[BaseModel], ...] = (
    AlertMapping,
    RawAlert,
    Alert,
    ModelAdvice,
    Triage,
    Evidence,
    Candidate,
    Workload,
    RootCause,
    Provenance,
    ProposedAction,
    GateDecision,
    Approval,
    ActionOutcome,
    Notification,
    ModelChoice,
    NodeUsage,
)
"""Every type the checkpointer may deserialize (LANGGRAPH_STRICT_MSGPACK allowlist)."""
