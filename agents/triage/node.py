"""Triage node: rules decide severity; the small model advises (escalating when unsure)."""

from __future__ import annotations

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agents.prompting import render
from agents.triage import logic
from agents.triage.advice import TriageAnswer, advice_from, prompt_values
from graphs import routing
from graphs.context import Context
from graphs.meter import metered
from graphs.models.structured import StructuredOutputError
from graphs.resources import Resources, resources
from graphs.state import Alert, IncidentState, ModelAdvice, ModelChoice, Triage
from observability.tracing import incident_triaged


@metered("triage")
async def triage(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    res = resources(runtime.context)
    alert = state["alert"]
    decided = logic.triage(alert, res.catalog)
    incident_triaged(decided.severity)
    first = routing.triage_first(res.model_names)
    advice = [await _advise(res, first, alert, decided)]
    chosen = [first]
    escalation = routing.triage_escalation(decided, advice[0], res.model_names)
    if escalation is not None:
        chosen.append(escalation)
        advice.append(await _advise(res, escalation, alert, decided))
    return {"triage": decided.model_copy(update={"advice": tuple(advice)}), "routing": chosen}


async def _advise(
    res: Resources, choice: ModelChoice, alert: Alert, decided: Triage
) -> ModelAdvice:
    prompt = render("triage", prompt_values(alert, decided))
    try:
        answer = await res.ask(choice.role, TriageAnswer, [HumanMessage(prompt)], max_tokens=48)
    except StructuredOutputError:
        return ModelAdvice(model=choice.model, valid=False)
    return advice_from(choice.model, answer.value)
