"""The typed evidence records (frozen): every fact keeps the id of the evidence it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# --- what the pages show -------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float


@dataclass(frozen=True)
class Series:
    """One numeric column of a time table (or a metric): its name as shown, its unit."""

    name: str
    unit: str  # "%", "ms", "s", "/s", "GiB", "" ...
    points: tuple[Point, ...]
    source: str  # evidence id ("dashboard:0")
    caption: str = ""  # what stood above its table (what a column named `broker 2` is of)


@dataclass(frozen=True)
class Onset:
    """When a series left its baseline and stayed out (the incident's start as the data saw it)."""

    at: datetime
    series: str
    baseline: float
    peak: float
    recovered_at: datetime | None  # back to baseline and staying there, if it did
    source: str
    abrupt: bool = False  # half the way to its peak within minutes (a step, not a growth)
    step: float = 0.0  # seconds between the series' points: the onset is known to this much
    problem: bool = True  # of a problem series (errors, latency...), not only the likeliest one


@dataclass(frozen=True)
class DeployMarker:
    """A deploy, release or rollout shown on a page, with what identifies it."""

    at: datetime
    text: str
    sha: str | None = None  # 7-40 hex digits
    pr: int | None = None  # "#1234"
    version: str | None = None  # "v2.31.0", "1.42.0", "rev 12"
    source: str = ""


@dataclass(frozen=True)
class Frame:
    """A stack frame; `code` is what the page shows right after it (the source line it points
    at, as a traceback or an error tracker prints it, and the locals), `nulls` the locals it
    shows as None, null, nil or undefined. Neither takes part in equality: the same frame
    shown twice is one."""

    file: str
    line: int | None = None
    function: str | None = None
    code: str = field(default="", compare=False)
    nulls: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ErrorSignal:
    """An error as a page or log shows it: its type or code, its message, where it came from."""

    kind: str  # "ReadTimeout", "SQLTransientConnectionException", "ECONNREFUSED", "HTTP 503"
    message: str
    count: int | None = None
    at: datetime | None = None
    frames: tuple[Frame, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class LogLine:
    level: str  # ERROR, WARN, INFO, FATAL, DEBUG
    text: str
    at: datetime | None = None
    count: int | None = None
    source: str = ""


@dataclass(frozen=True)
class ConfigValue:
    """A setting a page shows (`maximum-pool-size = 10`, `timeout: 1500ms`)."""

    key: str
    value: str
    source: str = ""


NoticeKind = Literal["vendor", "cloud", "dns", "cdn", "internal"]


@dataclass(frozen=True)
class Notice:
    """A status notice: a vendor's or cloud provider's incident, as its status page says."""

    provider: str
    kind: NoticeKind
    status: str  # investigating, identified, monitoring, resolved, degraded, outage, ...
    text: str
    started: datetime | None = None
    components: tuple[str, ...] = ()  # "API", "eu-west-1b", "Payments", host names
    source: str = ""


@dataclass(frozen=True)
class Outcome:
    """How something that ran on a version went: a run, batch, check, canary or pod whose
    record names the commit SHAs or versions it ran (`ids`)."""

    ids: tuple[str, ...]
    ok: bool
    at: datetime | None
    text: str
    source: str = ""


@dataclass(frozen=True)
class PageFacts:
    source: str  # evidence id
    url: str
    title: str
    series: tuple[Series, ...] = ()
    onset: Onset | None = None
    markers: tuple[DeployMarker, ...] = ()
    errors: tuple[ErrorSignal, ...] = ()
    logs: tuple[LogLine, ...] = ()
    configs: tuple[ConfigValue, ...] = ()
    hosts: tuple[str, ...] = ()  # upstream hosts and domains named on the page
    notices: tuple[Notice, ...] = ()
    events: tuple[LogLine, ...] = ()  # level "EVENT": what happened when, in words
    outcomes: tuple[Outcome, ...] = ()  # how runs on each version went


# --- what a change does --------------------------------------------------------------------

SettingFamily = Literal[
    "timeout", "keepalive", "retry", "backoff", "pool", "workers", "memory", "cpu", "replicas",
    "autoscaling", "ttl", "cache_key", "cache_size", "batch", "log_level", "sampling",
    "schedule", "flag", "tls", "rate_limit", "probe", "image", "retention", "breaker", "other",
]  # fmt: skip
Direction = Literal["lowered", "raised", "changed", "added", "removed"]


@dataclass(frozen=True)
class SettingChange:
    """One setting a change sets: `key` as written, its value before and after, the family it
    belongs to, and which way it moved (numbers compared after units: 30s > 1500ms)."""

    file: str
    key: str
    before: str | None
    after: str | None
    family: SettingFamily
    direction: Direction
    line: int | None = None  # in the new file
    before_number: float | None = None  # normalized: seconds, bytes, cores, counts
    after_number: float | None = None


@dataclass(frozen=True)
class DependencyChange:
    file: str
    name: str
    before: str | None
    after: str | None
    line: int | None = None

    @property
    def major(self) -> bool:
        """The first version component changed (or the dependency is new or gone)."""
        head = [v.lstrip("v^~=<> ").split(".")[0] if v else None for v in (self.before, self.after)]
        return head[0] != head[1]


@dataclass(frozen=True)
class Statement:
    """A schema statement a change adds (DDL, or a migration framework's equivalent)."""

    file: str
    text: str
    line: int | None = None


@dataclass(frozen=True)
class Line:
    file: str
    line: int  # in the new file for added lines, in the old file for removed ones
    text: str


@dataclass(frozen=True)
class ChangeFacts:
    """What one change (a PR or a commit) does, from its files and patches."""

    ref: str  # "PR #847" or a short sha
    kind: str  # agents.root_cause.kinds.Kind
    files: tuple[str, ...]
    added: tuple[Line, ...] = ()
    removed: tuple[Line, ...] = ()
    settings: tuple[SettingChange, ...] = ()
    dependencies: tuple[DependencyChange, ...] = ()
    statements: tuple[Statement, ...] = ()
    patches: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """What a detector saw in a change: a risk, the symptom families it would show as, where."""

    detector: str
    message: str
    file: str
    line: int | None
    symptoms: tuple[str, ...]  # symptom families (agents.root_cause.symptoms.FAMILIES)
    strength: float = 0.5  # how sure the detector is that the risk is real (0..1)
