"""The scenario contract's optional telemetry sections: `metrics`, `logs` and `kubernetes`.

They describe what a real Prometheus, a Loki-style log API and the Kubernetes API would have
shown during the incident; the replay world serves them (docs/scenario-format.md).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, model_validator

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_DURATION = re.compile(r"^(\d+)(s|m|h)$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G)?$")


def to_time(value: str) -> datetime:
    if not _RFC3339.match(value):
        raise ValueError(
            f"expected an RFC 3339 timestamp with a zone, like 2026-03-14T10:04:00Z; got {value!r}"
        )
    return datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))


def _timestamp(value: str) -> str:
    to_time(value)
    return value


def to_duration(value: str) -> timedelta:
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"expected a duration like 30s, 1m or 1h; got {value!r}")
    unit = {"s": "seconds", "m": "minutes", "h": "hours"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def _duration(value: str) -> str:
    if to_duration(value) <= timedelta(0):
        raise ValueError(f"a step must be positive; got {value!r}")
    return value


def _labels(value: dict[str, str]) -> dict[str, str]:
    bad = [k for k in value if not _LABEL.match(k)]
    if bad:
        raise ValueError(f"label names must match [a-zA-Z_][a-zA-Z0-9_]*; got {bad}")
    return value


def _quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError(
            f"expected a Kubernetes quantity like 512Mi, 2Gi, 500m or 2; got {value!r}"
        )
    return value


Timestamp = Annotated[str, AfterValidator(_timestamp)]
Duration = Annotated[str, AfterValidator(_duration)]
Labels = Annotated[dict[str, str], AfterValidator(_labels)]
Quantity = Annotated[str, AfterValidator(_quantity)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- metrics -------------------------------------------------------------------------------


class Series(_Model):
    """One Prometheus series: explicit `samples`, or `start` + `step` + `values` (None = gap)."""

    name: str
    labels: Labels = {}
    type: Literal["gauge", "counter"] = "gauge"
    help: str = ""
    # YAML writes a pair as a list: each pair is read leniently, its parts strictly
    samples: list[Annotated[tuple[Timestamp, float], Strict(False)]] | None = Field(
        default=None, strict=False
    )
    start: Timestamp | None = None
    step: Duration | None = None
    values: list[float | None] | None = Field(default=None, strict=False)

    @model_validator(mode="after")
    def _one_form(self) -> Series:
        if not _METRIC.match(self.name):
            raise ValueError(f"metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*; got {self.name!r}")
        compact = (self.start, self.step, self.values)
        if self.samples is not None and any(v is not None for v in compact):
            raise ValueError("give either samples or start/step/values, not both")
        if self.samples is None and any(v is None for v in compact):
            raise ValueError("give samples, or all of start, step and values")
        if not self.points():
            raise ValueError("a series needs at least one sample")
        return self

    def points(self) -> list[tuple[datetime, float]]:
        """(time, value) in time order; gaps left out."""
        if self.samples is not None:
            return sorted((to_time(t), v) for t, v in self.samples)
        assert self.start is not None and self.step is not None and self.values is not None
        first, step = to_time(self.start), to_duration(self.step)
        return [(first + i * step, v) for i, v in enumerate(self.values) if v is not None]


class AlertRule(_Model):
    """A Prometheus alerting rule the scenario's Prometheus evaluates (optional)."""

    alert: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    expr: str = Field(min_length=1)
    for_: Duration = Field(default="0s", alias="for")
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class MetricsSpec(_Model):
    series: list[Series] = Field(min_length=1)
    rules: list[AlertRule] = []


# --- logs ----------------------------------------------------------------------------------


def _log_line(value: str) -> str:
    stamp = value.split(" ", 1)[0]
    if not _RFC3339.match(stamp) or " " not in value:
        raise ValueError(
            "a log line starts with its RFC 3339 timestamp and a space, like "
            f"'2026-03-14T10:04:00Z level=error msg=...'; got {value[:80]!r}"
        )
    return value


LogLine = Annotated[str, AfterValidator(_log_line)]


class LogStream(_Model):
    labels: Labels = Field(min_length=1)
    lines: list[LogLine] = Field(min_length=1)

    def entries(self) -> list[tuple[datetime, str]]:
        out = []
        for line in self.lines:
            stamp, text = line.split(" ", 1)
            out.append((to_time(stamp), text))
        return sorted(out, key=lambda e: e[0])


# --- kubernetes ----------------------------------------------------------------------------


class Resources(_Model):
    requests: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = {}
    limits: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = {}


class Termination(_Model):
    reason: str
    exit_code: int
    finished_at: Timestamp
    started_at: Timestamp | None = None
    message: str = ""


class Container(_Model):
    name: str
    image: str
    ready: bool = True
    restarts: int = Field(default=0, ge=0)
    state: Literal["running", "waiting", "terminated"] = "running"
    reason: str | None = None  # of the current state: CrashLoopBackOff, ImagePullBackOff, ...
    message: str = ""
    started_at: Timestamp | None = None
    last_termination: Termination | None = None
    resources: Resources = Resources()


class Condition(_Model):
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str = ""
    message: str = ""
    at: Timestamp | None = None


class Pod(_Model):
    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    deployment: str | None = None  # the owning deployment (its current or an older revision)
    revision: int | None = Field(default=None, ge=1)  # which rollout made it (default: current)
    phase: Literal["Pending", "Running", "Succeeded", "Failed", "Unknown"] = "Running"
    node: str | None = None
    created_at: Timestamp | None = None
    labels: dict[str, str] = {}
    reason: str = ""  # pod-level: Evicted, ...
    message: str = ""
    conditions: list[Condition] = []
    containers: list[Container] = Field(min_length=1)


class Revision(_Model):
    revision: int = Field(ge=1)
    image: str
    at: Timestamp
    change_cause: str = ""
    resources: Resources | None = None  # the pod template's, when they differ by revision
    env: dict[str, str] = {}


class Deployment(_Model):
    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    replicas: int = Field(ge=0)
    ready: int = Field(ge=0)
    updated: int | None = Field(default=None, ge=0)
    available: int | None = Field(default=None, ge=0)
    labels: dict[str, str] = {}
    history: list[Revision] = Field(min_length=1)  # the last one is the current revision
    resources: Resources = Resources()
    conditions: list[Condition] = []

    @model_validator(mode="after")
    def _revisions_ascend(self) -> Deployment:
        numbers = [r.revision for r in self.history]
        if numbers != sorted(set(numbers)):
            raise ValueError(f"history revisions must ascend without repeats; got {numbers}")
        return self


class Event(_Model):
    type: Literal["Normal", "Warning"]
    reason: str
    object: str = Field(pattern=r"^[A-Za-z]+/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")  # Kind/name
    message: str
    count: int = Field(default=1, ge=1)
    first: Timestamp
    last: Timestamp | None = None


class Namespace(_Model):
    deployments: list[Deployment] = []
    pods: list[Pod] = []
    events: list[Event] = []


class Node(_Model):
    name: str
    labels: dict[str, str] = {}
    conditions: list[Condition] = []
    capacity: dict[str, Quantity] = {}
    allocatable: dict[str, Quantity] = {}
    unschedulable: bool = False


class KubernetesSpec(_Model):
    namespaces: dict[str, Namespace] = {}
    nodes: list[Node] = []
