"""Root-cause node: investigate (typed evidence, correlation, scores), let the large model
choose among the plausible changes and none, record who decided and why, propose."""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agents.root_cause import logic
from agents.root_cause.investigate import investigate
from agents.root_cause.severity import reassess
from agents.shared import routing
from core.context import Context
from core.ports import Deps
from core.prompting import render
from core.state import IncidentState, ModelChoice
from core.structured import StructuredOutputError
from observability.meter import metered

MAX_TOKENS = 184
PROMPT = Path(__file__).resolve().parent / "prompt.md.j2"


@metered("root_cause")
async def root_cause(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    choice = routing.root_cause_model(dict(deps.models.names), state["triage"].severity)
    found, bundle = await investigate(deps.tools, state["alert"], state["triage"], deps.catalog)
    answer, problem = await _choose(deps, choice, found, state)
    cause = logic.decide(answer, found)
    problems = bundle.problems + ([problem] if problem else [])
    revised = reassess(state["triage"], state["alert"], bundle.pages, cause)
    return {
        **({"triage": revised} if revised is not state["triage"] else {}),
        "evidence": bundle.evidence,
        "root_cause": cause,
        "actions": logic.propose(state["incident_id"], cause, state["alert"].starts_at),
        "routing": [choice],
        "problems": problems,
    }


async def _choose(
    deps: Deps, choice: ModelChoice, found: logic.Findings, state: IncidentState
) -> tuple[logic.CauseAnswer | None, str | None]:
    values = found.prompt(state["triage"])
    schema = logic.answer_schema(logic.options(found.candidates), found.evidence_ids)
    prompt = render(PROMPT, values)
    try:
        answer = await deps.models.ask(
            choice.role, schema, [HumanMessage(prompt)], max_tokens=MAX_TOKENS
        )
    except StructuredOutputError as exc:
        return None, f"root-cause model output invalid twice ({exc}); used the ranking alone"
    return answer.value, None
