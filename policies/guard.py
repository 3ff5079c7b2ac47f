"""The gate wired to a run: the inventory, the two models, the rate counters and the audit.

`PolicyGuard` is the one entry point every mutation passes (the guardian's proposals and
notify's own message): `review(state, actions)` decides each action (`policies.gate`),
records every decision in the audit store, on the trace and in the log, and says which
models it consulted. It implements `core.ports.Guard`. The audit store is required: the
per-hour rate limits count from it, so a guard without one would fail open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from langchain_core.messages import HumanMessage

from core.catalog import Service
from core.ports import Models, Review
from core.prompting import render
from core.state import (
    Approval,
    GateDecision,
    IncidentState,
    ModelChoice,
    ProposedAction,
    Verdict,
)
from core.structured import StructuredOutputError
from observability.tracing import current_trace_id, gate_decision
from policies import views
from policies.audit import AuditStore
from policies.engine import Policy
from policies.gate import Gate, JudgeAnswer, ReaderAnswer
from policies.inventory import Inventory
from policies.markers import markers

PROMPTS = Path(__file__).resolve().parent / "prompts"
READER_TOKENS = 48
JUDGE_TOKENS = 48


@dataclass(frozen=True)
class PolicyGuard:
    policy: Policy
    audit: AuditStore
    models: Models
    catalog: Mapping[str, Service]
    clock: Callable[[], datetime]

    def inventory(self, state: IncidentState) -> Inventory:
        return views.inventory(state, self.catalog, self.clock(), self.policy.links)

    def links(self, state: IncidentState) -> frozenset[str]:
        return self.inventory(state).links

    async def review(self, state: IncidentState, actions: Sequence[ProposedAction]) -> Review:
        inv = self.inventory(state)
        decisions: list[GateDecision] = []
        gate = self.gate(state, inv, decisions)
        for action in actions:
            decisions.append(await gate.review(action, inv))
        self._record(state, actions, decisions)
        problems = [f"policy: {self.policy.error}"] if self.policy.error and actions else []
        return Review(decisions, self._models_used(decisions), problems)

    def record_approval(self, incident_id: str, approval: Approval) -> None:
        self.audit.record_approval(incident_id, approval)

    def begin_mutation(self, incident_id: str, action: ProposedAction) -> float | None:
        return self.audit.begin_mutation(incident_id, action.id, action.tool)

    def gate(self, state: IncidentState, inv: Inventory, pending: list[GateDecision]) -> Gate:
        """A gate for this incident; `pending` holds this pass's decisions so far, so the
        per-incident limits count them too."""

        def used(rule_id: str) -> tuple[int, int]:
            seen = [*state.get("decisions", []), *pending]
            mine = sum(1 for d in seen if rule_id in d.rules and d.verdict != "blocked")
            return mine, self.audit.let_through(rule_id)

        return Gate(
            self.policy,
            read=partial(self._read, state),
            judge=partial(self._judge, state, inv),
            used=used,
        )

    async def _read(self, state: IncidentState, action: ProposedAction) -> ReaderAnswer | None:
        carrier, text = views.target_text(action, state)
        if not text.strip():
            return views.UNREADABLE
        prompt = render(PROMPTS / "quarantine.md.j2", views.reader_values(carrier, text))
        try:
            answer = await self.models.ask(
                "small", ReaderAnswer, [HumanMessage(prompt)], READER_TOKENS
            )
        except StructuredOutputError:
            return None
        if markers(text):  # a known phrasing: "yes", whatever the small model said
            return answer.value.model_copy(update={"instructions": "yes"})
        return answer.value

    async def _judge(
        self,
        state: IncidentState,
        inv: Inventory,
        action: ProposedAction,
        verdict: Verdict,
        rules: tuple[str, ...],
        read: ReaderAnswer,
    ) -> JudgeAnswer | None:
        values = views.judge_values(action, state, inv, verdict, rules, read)
        prompt = render(PROMPTS / "privileged.md.j2", values)
        schema = views.judge_schema(verdict)
        try:
            answer = await self.models.ask("large", schema, [HumanMessage(prompt)], JUDGE_TOKENS)
        except StructuredOutputError:
            return None
        return answer.value

    def _models_used(self, decisions: list[GateDecision]) -> list[ModelChoice]:
        """Routing records for the gate's model calls (both roles are fixed by design)."""
        out = []
        names = self.models.names
        if any(any(k.startswith("quarantined") for k in d.answers) for d in decisions):
            reason = "quarantined reader: the action's target text is untrusted"
            out.append(ModelChoice(node="guardian", role="small", model=names["small"],
                                   reason=reason))  # fmt: skip
        if any(any(k.startswith("privileged") for k in d.answers) for d in decisions):
            reason = "privileged review of an untrusted decision to act"
            out.append(ModelChoice(node="guardian", role="large", model=names["large"],
                                   reason=reason))  # fmt: skip
        return out

    def _record(
        self,
        state: IncidentState,
        actions: Sequence[ProposedAction],
        decisions: list[GateDecision],
    ) -> None:
        """Each decision to the audit store, the trace and the log."""
        by_id = {a.id: a for a in actions}
        for d in decisions:
            self.audit.record_decision(state["incident_id"], d, current_trace_id())
            action = by_id.get(d.action_id)
            details: dict[str, str | list[str]] = {
                f"gate.answer.{k}": v for k, v in d.answers.items()
            }
            details["gate.checks"] = list(d.checks)
            if action is not None:
                details["gate.origin"] = views.label(action.origin)
                details |= {f"gate.provenance.{k}": views.label(p)
                            for k, p in action.provenance.items()}  # fmt: skip
            gate_decision(d.tool, d.verdict, d.rules, details=details)
