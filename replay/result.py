"""A replay as the contract's `--json` result (docs/scenario-format.md, "Result")."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from core.state import IncidentState
from observability.pricing import load_pricing
from observability.telemetry import Pricer
from replay.checks import graded_text, root_cause_detail
from replay.run import Replay
from runtime.settings import load_settings


def to_json(run: Replay, pricing: Pricer | None = None) -> dict[str, Any]:
    """`pricing` defaults to the settings' `pricing_file` (read on each call)."""
    state = run.state
    cause = state.get("root_cause")
    verdicts = {d.action_id: d for d in state.get("decisions", [])}
    ran = {o.action_id: o for o in state.get("outcomes", [])}
    approvals = {a.action_id: a for a in state.get("approvals", [])}
    return {
        "scenario": run.loaded.spec.name,
        "expected_category": _expected_category(run),
        "incident_id": run.incident_id,
        "passed": all(run.checks.values()) and not run.interrupted,
        "checks": run.checks,
        "severity": state["triage"].severity if "triage" in state else None,
        "category": state["triage"].category if "triage" in state else None,
        "root_cause": {
            "pr": cause.pr if cause else None,
            "commit": cause.commit if cause else None,
            "none": bool(cause and cause.kind == "none"),
            "repo": cause.repo if cause else None,
            "file": cause.file if cause else None,
            "line": cause.line if cause else None,
            "category": cause.category if cause else None,
            "explanation": cause.explanation if cause else "",
            "mechanism": cause.mechanism if cause else "",
            "findings": list(cause.findings) if cause else [],
            "evidence": list(cause.evidence_ids) if cause else [],
            "summary": cause.summary if cause else "",
            "decided_by": cause.decided_by if cause else None,
            "decided_why": cause.decided_why if cause else "",
            "graded_on": graded_text(cause)[0] if cause else None,
            "detail": root_cause_detail(run.loaded.spec.expect, state),
            "facts": list(cause.facts) if cause else [],
            "none_reasons": list(cause.none_reasons) if cause else [],
            "candidates": [
                {
                    "ref": c.ref,
                    "repo": c.repo,
                    "score": c.score,
                    "option": c.option,
                    "category": c.category,
                    "ruled_out": c.ruled_out,
                    "reasons": list(c.reasons),
                }
                for c in (cause.candidates if cause else ())
            ],  # fmt: skip
            "partial_evidence": bool(cause and cause.partial_evidence),
        },
        "notifications": [{"channel": m.channel, "text": m.text} for m in run.messages],
        "actions": [
            {
                "tool": a.tool,
                "args": dict(a.args),
                "verdict": verdicts[a.id].verdict if a.id in verdicts else None,
                "executed": bool(a.id in ran and ran[a.id].executed),
                "rules": list(verdicts[a.id].rules) if a.id in verdicts else [],
                "answers": dict(verdicts[a.id].answers) if a.id in verdicts else {},
                "origin": a.origin.model_dump(),
                "approved": approvals[a.id].approved if a.id in approvals else None,
                "approver": approvals[a.id].approver if a.id in approvals else None,
            }
            for a in state.get("actions", [])
        ],
        "models": {r.node: r.model for r in state.get("routing", [])},
        "routing": [r.model_dump() for r in state.get("routing", [])],
        "tokens": tokens(run),
        "cost_usd": costs(run, pricing or load_pricing(load_settings().pricing_file)),
        "timeline": [
            {
                "node": u.node,
                "duration_s": round(u.duration_s, 3),
                "llm_s": round(u.llm_s, 3),
                "tool_s": round(u.tool_s, 3),
                "model": u.model,
            }
            for u in state.get("usage", [])
        ],  # fmt: skip
        "problems": list(state.get("problems", [])),
        "interrupted": run.interrupted,
        "duration_s": round(run.duration_s, 3),
        "first_message_s": first_message_s(state),
        "trace_id": run.trace_id,
    }


def first_message_s(state: IncidentState) -> float | None:
    """Seconds from the pipeline taking the alert (ingest's start) to the first message
    Slack took; None when none went out."""
    usage = state.get("usage", [])
    start = min((u.started_at for u in usage if u.node == "ingest"), default=None)
    sent = [n.posted_at for n in state.get("notifications", []) if n.ok and n.posted_at]
    if start is None or not sent:
        return None
    return round((min(sent) - start).total_seconds(), 3)


def tokens(run: Replay) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"input": 0, "output": 0})
    for u in run.state.get("usage", []):
        out[u.node]["input"] += u.input_tokens
        out[u.node]["output"] += u.output_tokens
    return dict(out)


def costs(run: Replay, pricing: Pricer) -> dict[str, float]:
    """USD per node, each model call priced by its model (see observability/pricing.py)."""
    out = dict.fromkeys(tokens(run), 0.0)
    for u in run.state.get("usage", []):
        if u.model is not None:
            out[u.node] += pricing.cost(u.model, u.input_tokens, u.output_tokens)
    return {node: round(usd, 9) for node, usd in out.items()}


def _expected_category(run: Replay) -> str | None:
    want = run.loaded.spec.expect.root_cause
    return want.category if want else None
