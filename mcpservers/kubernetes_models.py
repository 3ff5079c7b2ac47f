"""Result shapes of the Kubernetes MCP server.

Results are frozen pydantic models, so FastMCP publishes an output schema for every tool.
Times are RFC 3339 in UTC.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Resources(_Result):
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}


class Termination(_Result):
    reason: str
    exit_code: int
    signal: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str = ""


class Condition(_Result):
    type: str
    status: str
    reason: str = ""
    message: str = ""
    since: str | None = Field(default=None, description="the last transition")


class Event(_Result):
    type: str = Field(description="Normal or Warning")
    reason: str
    object: str = Field(description="Kind/name")
    message: str
    count: int
    first: str | None
    last: str | None


class ContainerInfo(_Result):
    name: str
    image: str
    init: bool = False
    ready: bool
    restarts: int
    state: str = Field(description="running, waiting, terminated or unknown")
    reason: str = Field(default="", description="of the current state, e.g. CrashLoopBackOff")
    message: str = ""
    started_at: str | None = None
    last_termination: Termination | None = None
    resources: Resources


class PodSummary(_Result):
    name: str
    namespace: str
    phase: str
    status: str = Field(description="as kubectl's STATUS column: Running, CrashLoopBackOff...")
    ready: str = Field(description="ready containers / containers, e.g. 1/2")
    restarts: int
    node: str | None
    created_at: str | None
    owner: str | None = Field(description="Kind/name of the controller, e.g. ReplicaSet/api-7c9d")


class PodList(_Result):
    namespace: str
    label_selector: str | None
    pods: list[PodSummary]
    total: int
    truncated: bool


class PodDetail(PodSummary):
    reason: str
    message: str
    started_at: str | None
    labels: dict[str, str]
    qos_class: str | None
    conditions: list[Condition]
    containers: list[ContainerInfo]
    events: list[Event]


class PodLogs(_Result):
    pod: str
    namespace: str
    container: str | None
    previous: bool
    lines: list[str]
    truncated: bool = Field(description="true when lines were cut to the size limit")


class EventList(_Result):
    namespace: str
    object_name: str | None
    warnings_only: bool
    since: str | None
    events: list[Event]
    total: int
    truncated: bool


class DeploymentSummary(_Result):
    name: str
    namespace: str
    replicas: int
    ready: int
    updated: int
    available: int
    revision: int | None
    images: dict[str, str] = Field(description="container name -> image")
    created_at: str | None


class DeploymentList(_Result):
    namespace: str
    label_selector: str | None
    deployments: list[DeploymentSummary]


class ContainerSpec(_Result):
    name: str
    image: str
    resources: Resources


class DeploymentDetail(DeploymentSummary):
    unavailable: int
    change_cause: str
    strategy: str
    selector: str
    paused: bool
    labels: dict[str, str]
    conditions: list[Condition]
    containers: list[ContainerSpec]
    events: list[Event]


class Revision(_Result):
    revision: int
    change_cause: str
    images: dict[str, str]
    created_at: str | None
    replicas: int
    ready: int
    current: bool


class RolloutHistory(_Result):
    deployment: str
    namespace: str
    current_revision: int | None
    revisions: list[Revision] = Field(description="oldest first")


class NodeInfo(_Result):
    name: str
    ready: str = Field(description="the Ready condition's status: True, False or Unknown")
    unschedulable: bool
    conditions: list[Condition]
    allocatable: dict[str, str]
    capacity: dict[str, str]
    taints: list[str]
    kubelet_version: str | None
    created_at: str | None
    labels: dict[str, str]


class NodeList(_Result):
    nodes: list[NodeInfo]


class Restarted(_Result):
    deployment: str
    namespace: str
    restarted_at: str
    revision: int | None = Field(description="the revision whose pods are being replaced")
    message: str


class RolledBack(_Result):
    deployment: str
    namespace: str
    changed: bool
    from_revision: int | None
    to_revision: int
    images_before: dict[str, str]
    images_after: dict[str, str]
    change_cause: str
    message: str


class Scaled(_Result):
    deployment: str
    namespace: str
    replicas_before: int
    replicas: int
    message: str
