"""Per-run choices: `graph.ainvoke(x, context=Context(...))`, read as `runtime.context`.

Only plain values live here, so LangGraph Studio can send a context as JSON. The run's live
dependencies (models, tools, the gate, the catalog) are not in the context: the graph is
built with a provider that finds them (`graphs.graph.build_graph`); LangGraph Studio's
provider builds them for the context's `scenario` (`replay.studio`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Approvals = Literal["deny", "approve", "ask"]


@dataclass(frozen=True)
class Context:
    approvals: Approvals = "ask"
    approver: str = ""
    model_small: str = ""
    model_large: str = ""
    scenario: str = ""
    # whether the graph posts the owning team's first message after triage and updates it
    # in place; `graph serve` says no: its Slack outbox posts the incident's thread root
    # at the triage event and keeps it current (docs/service.md)
    first_message: bool = True
