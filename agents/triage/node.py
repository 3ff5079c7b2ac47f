"""Triage node: rules decide severity; the small model advises (escalating when unsure)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agents.shared import routing
from agents.triage import logic
from agents.triage.advice import TriageAnswer, advice_from, prompt_values
from core.context import Context
from core.ports import Deps
from core.prompting import render
from core.state import Alert, IncidentState, ModelAdvice, ModelChoice, Triage
from core.structured import StructuredOutputError
from observability.meter import metered
from observability.tracing import incident_triaged

PROMPT = Path(__file__).resolve().parent / "prompt.md.j2"


@metered("triage")
async def triage(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    alert = state["alert"]
    decided = logic.triage(alert, deps.catalog)
    incident_triaged(decided.severity)
    names = dict(deps.models.names)
    first = routing.triage_first(names)
    advice = [await _advise(deps, first, alert, decided)]
    chosen = [first]
    escalation = routing.triage_escalation(decided, advice[0], names)
    if escalation is not None:
        chosen.append(escalation)
        advice.append(await _advise(deps, escalation, alert, decided))
    return {"triage": decided.model_copy(update={"advice": tuple(advice)}), "routing": chosen}


async def _advise(deps: Deps, choice: ModelChoice, alert: Alert, decided: Triage) -> ModelAdvice:
    prompt = render(PROMPT, prompt_values(alert, decided))
    try:
        answer = await deps.models.ask(
            choice.role, TriageAnswer, [HumanMessage(prompt)], max_tokens=48
        )
    except StructuredOutputError:
        return ModelAdvice(model=choice.model, valid=False)
    return advice_from(choice.model, answer.value)
