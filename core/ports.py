"""What a node may use during a run, as protocols: the models, the tools, the gate, the
service catalog and the clock.

Agents depend on these and on nothing that implements them: the runtime provides `Models`
and `Tools`, the policies package the `Guard`, and the run engine bundles them into one
`Deps` per run (`engine.deps.build_deps`) that the graph hands to every node.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from core.catalog import Service
from core.context import Context
from core.state import (
    Approval,
    GateDecision,
    IncidentState,
    ModelChoice,
    ProposedAction,
    RawAlert,
    Role,
)
from core.structured import Structured
from core.tools import ToolResult

T = TypeVar("T", bound=BaseModel)


class Models(Protocol):
    """The run's two model roles; `ask` returns a validated answer or raises
    `core.structured.StructuredOutputError` after two invalid ones."""

    @property
    def names(self) -> Mapping[Role, str]: ...

    async def ask(
        self, role: Role, schema: type[T], messages: list[BaseMessage], max_tokens: int
    ) -> Structured[T]: ...


class Tools(Protocol):
    """The run's MCP tools by qualified name (`server.tool`). Tool errors come back as
    results; a transport failure (the server died or hung) raises."""

    async def call(self, qualified: str, args: Mapping[str, Any]) -> ToolResult: ...

    def offers(self, qualified: str) -> bool:
        """Whether a started server offers this tool (a server not configured offers none)."""
        ...


@dataclass(frozen=True)
class Review:
    """The gate's decisions on a batch of actions, the models it consulted, and problems."""

    decisions: list[GateDecision]
    routing: list[ModelChoice] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Guard(Protocol):
    """The security gate (`policies.guard`): every mutation passes `review`, which decides,
    records each decision in the audit store and on the trace, and fails closed."""

    async def review(self, state: IncidentState, actions: Sequence[ProposedAction]) -> Review: ...

    def links(self, state: IncidentState) -> frozenset[str]:
        """Hosts an outgoing message may link to (the policy's and the dashboards read)."""
        ...

    def record_approval(self, incident_id: str, approval: Approval) -> None: ...

    def begin_mutation(self, incident_id: str, action: ProposedAction) -> float | None:
        """Write the action's idempotency key before its tool is called. None: call it; else
        the time an earlier attempt started it (never called twice)."""
        ...


class Deps(Protocol):
    """Everything a node may use during one run."""

    @property
    def catalog(self) -> Mapping[str, Service]: ...

    @property
    def models(self) -> Models: ...

    @property
    def tools(self) -> Tools: ...

    @property
    def guard(self) -> Guard: ...

    @property
    def default_alert(self) -> RawAlert | None:
        """The alert to ingest when the input has none (LangGraph Studio's scenario)."""
        ...

    def now(self) -> datetime: ...


Provide = Callable[[Context], Awaitable[Deps]]
"""How the graph finds a run's dependencies from its context."""
