"""The service catalog: which repository, channel, team and tier each service has.

The catalog is trusted inventory (the gate checks targets against it). Replays take it
from the scenario, `graph serve` from `--catalog FILE`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _channel(value: str) -> str:
    if not re.fullmatch(r"#[a-z0-9][a-z0-9._-]{0,79}", value):
        raise ValueError(f"expected a Slack channel like '#oncall-backend'; got {value!r}")
    return value


def _repo(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", value):
        raise ValueError(f"expected a repository as 'owner/name'; got {value!r}")
    return value


Channel = Annotated[str, AfterValidator(_channel)]
RepoName = Annotated[str, AfterValidator(_repo)]


class Service(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    repo: RepoName
    channel: Channel
    team: str
    tier: int = Field(ge=1, le=3)
    depends_on: list[str] = []  # upstream services (catalog names) whose changes can cause ours
    namespace: str | None = None  # where its workloads run (Kubernetes)
