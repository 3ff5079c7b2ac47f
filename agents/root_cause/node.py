"""Root-cause node: gather evidence, rank candidates, let the large model choose, propose."""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agents.root_cause import evidence, logic
from agents.root_cause.ranking import keywords, rank
from agents.shared import routing
from agents.shared.alerts import alert_text
from core.context import Context
from core.ports import Deps
from core.prompting import render
from core.state import IncidentState, ModelChoice
from core.structured import StructuredOutputError
from core.windows import CHANGE_WINDOW
from observability.meter import metered

MAX_TOKENS = 128
PROMPT = Path(__file__).resolve().parent / "prompt.md.j2"


@metered("root_cause")
async def root_cause(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    choice = routing.root_cause_model(dict(deps.models.names), state["triage"].severity)
    found, bundle = await investigate(deps, state)
    answer, problem = await _choose(deps, choice, found, state)
    cause = logic.decide(answer, found)
    problems = bundle.problems + ([problem] if problem else [])
    return {
        "evidence": bundle.evidence,
        "root_cause": cause,
        "actions": logic.propose(state["incident_id"], cause),
        "routing": [choice],
        "problems": problems,
    }


async def investigate(deps: Deps, state: IncidentState) -> tuple[logic.Findings, evidence.Bundle]:
    alert, tri = state["alert"], state["triage"]
    bundle = evidence.Bundle()
    await evidence.read_dashboards(deps.tools, alert, bundle)
    service = deps.catalog.get(tri.service) if tri.service else None
    repo = service.repo if service else None
    if repo:
        await evidence.read_changes(deps.tools, repo, alert.starts_at, bundle)
    else:
        bundle.problems.append("no repository is mapped to the alerting service")
    signals = "\n".join(bundle.signals)
    kw = keywords([alert.name, alert_text(alert), *alert.labels.values(), signals])
    ranked = rank(bundle.changes, alert.starts_at, repo or "", signals, kw)
    order = {c.ref: i for i, c in enumerate(ranked)}
    changes = sorted(bundle.changes, key=lambda c: order.get(c.ref, len(order)))
    detailed = await evidence.read_patches(deps.tools, changes, bundle)
    ranked = rank(detailed, alert.starts_at, repo or "", signals, kw)
    found = logic.Findings.split(
        ranked,
        alert=alert,
        changes={c.ref: c for c in detailed},
        signals=bundle.signals,
        partial=bundle.partial,
    )
    return found, bundle


async def _choose(
    deps: Deps, choice: ModelChoice, found: logic.Findings, state: IncidentState
) -> tuple[logic.CauseAnswer | None, str | None]:
    lookback_h = int(CHANGE_WINDOW.total_seconds() // 3600)
    values = logic.prompt_values(found, state["triage"], lookback_h)
    schema = logic.answer_schema(logic.options(found.top))
    prompt = render(PROMPT, values)
    try:
        answer = await deps.models.ask(
            choice.role, schema, [HumanMessage(prompt)], max_tokens=MAX_TOKENS
        )
    except StructuredOutputError as exc:
        return None, f"root-cause model output invalid twice ({exc}); used the ranking alone"
    return answer.value, None
