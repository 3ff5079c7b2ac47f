"""A tool call's outcome as one typed record, and the replies the pipeline reads.

`ToolResult.status` is `success`, `error` (the tool said it failed) or `no_data` (it
succeeded and returned nothing). `parse(Model)` reads the reply as one of the pydantic
models below; a reply that is not JSON, or not of that shape, raises `ToolReplyError`
naming the tool and what was wrong, so a wrong shape is never mistaken for a success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

Status = Literal["success", "error", "no_data"]


class Reply(BaseModel):
    """A tool reply as the pipeline reads it: servers may add fields, known ones are checked."""

    model_config = ConfigDict(extra="ignore", frozen=True)


R = TypeVar("R", bound=Reply)


class ToolReplyError(Exception):
    """A tool's reply could not be read as what the pipeline expected."""


@dataclass(frozen=True)
class ToolResult:
    server: str
    tool: str
    status: Status
    text: str
    data: Any  # the reply's JSON (structured content, or the text parsed), None when not JSON
    duration_s: float

    @property
    def qualified(self) -> str:
        return f"{self.server}.{self.tool}"

    @property
    def ok(self) -> bool:
        return self.status != "error"

    def parse(self, model: type[R]) -> R:
        """The reply as `model`; raises ToolReplyError on an error, no data or a wrong shape."""
        if self.status == "error":
            raise ToolReplyError(f"{self.qualified} failed: {self.text[:300]}")
        if self.data is None:
            what = "nothing" if self.status == "no_data" else f"text, not JSON: {self.text[:120]!r}"
            raise ToolReplyError(f"{self.qualified} replied with {what}")
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                for e in exc.errors()[:3]
            )
            raise ToolReplyError(
                f"{self.qualified} replied with an unexpected shape for {model.__name__}: "
                f"{problems}"
            ) from exc


# --- GitHub ------------------------------------------------------------------------------


class PullRequestSummary(Reply):
    number: int
    title: str
    author: str | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    url: str = ""
    files: list[str] = []


class PullRequestList(Reply):
    pull_requests: list[PullRequestSummary]


class CommitSummary(Reply):
    sha: str
    message: str = ""
    author: str | None = None
    date: str
    url: str = ""


class CommitList(Reply):
    commits: list[CommitSummary]


class FileDiff(Reply):
    filename: str
    patch: str | None = None


class ChangeDetail(Reply):
    """A pull request's or a commit's details: its text and the patch of each file."""

    url: str = ""
    body: str | None = None  # a pull request's
    message: str | None = None  # a commit's
    file_diffs: list[FileDiff]


# --- Slack -------------------------------------------------------------------------------


class PostedMessage(Reply):
    channel: str
    ts: str


# --- Prometheus, logs, Kubernetes (the project's servers: mcpservers/) --------------------


class MetricSeries(Reply):
    labels: dict[str, str] = {}
    points: list[tuple[str, float | str]] = []  # [RFC 3339, value]; NaN and ±Inf as strings


class RangeResult(Reply):
    query: str
    series: list[MetricSeries] = []


class AlertRule(Reply):
    name: str
    type: str
    query: str
    labels: dict[str, str] = {}


class RuleList(Reply):
    rules: list[AlertRule] = []


class MetricNames(Reply):
    label: str
    values: list[str] = []


class LogStream(Reply):
    labels: dict[str, str] = {}
    entries: list[tuple[str, str]] = []  # [RFC 3339, line], oldest first


class LogResult(Reply):
    query: str
    streams: list[LogStream] = []


class KubeEvent(Reply):
    type: str
    reason: str
    object: str  # Kind/name
    message: str = ""
    count: int = 1
    first: str | None = None
    last: str | None = None


class KubeEventList(Reply):
    events: list[KubeEvent] = []


class KubeCondition(Reply):
    type: str
    status: str
    reason: str = ""
    message: str = ""
    since: str | None = None


class KubeTermination(Reply):
    reason: str
    exit_code: int
    finished_at: str | None = None
    message: str = ""


class KubeResources(Reply):
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}


class KubeContainer(Reply):
    name: str
    image: str
    ready: bool
    restarts: int
    state: str
    reason: str = ""
    message: str = ""
    last_termination: KubeTermination | None = None
    resources: KubeResources = KubeResources()


class KubePod(Reply):
    name: str
    phase: str
    status: str
    restarts: int = 0
    node: str | None = None


class KubePodList(Reply):
    pods: list[KubePod] = []


class KubePodDetail(KubePod):
    reason: str = ""
    message: str = ""
    containers: list[KubeContainer] = []
    conditions: list[KubeCondition] = []


class KubeDeployment(Reply):
    name: str
    namespace: str
    replicas: int
    ready: int
    revision: int | None = None
    selector: str = ""
    images: dict[str, str] = {}
    conditions: list[KubeCondition] = []


class KubeRevision(Reply):
    revision: int
    change_cause: str = ""
    images: dict[str, str] = {}
    created_at: str | None = None
    current: bool = False


class KubeRolloutHistory(Reply):
    current_revision: int | None = None
    revisions: list[KubeRevision] = []


class KubeNode(Reply):
    name: str
    ready: str
    unschedulable: bool = False
    conditions: list[KubeCondition] = []


class KubeNodeList(Reply):
    nodes: list[KubeNode] = []


def as_text(result: ToolResult) -> str:
    """A text reply (a page snapshot); raises ToolReplyError on an error or an empty reply."""
    if result.status == "error":
        raise ToolReplyError(f"{result.qualified} failed: {result.text[:300]}")
    if not result.text.strip():
        raise ToolReplyError(f"{result.qualified} replied with nothing")
    return result.text
