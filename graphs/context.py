"""Per-run choices: `graph.ainvoke(x, context=Context(...))`, read as `runtime.context`.

Only plain values live here, so LangGraph Studio can send a context as JSON; the run's
live resources (tool sessions, models, catalog) are found through `resources_key` or,
in Studio, built for `scenario` (see `graphs.resources`).
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
    resources_key: str = ""
