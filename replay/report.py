"""The readable report of a replay: timeline, triage, evidence, root cause, actions, Slack."""

from __future__ import annotations

from typing import Any

from replay.result import tokens
from replay.run import Replay


def render(run: Replay, result: dict[str, Any]) -> str:
    state = run.state
    out = [f"incident {run.incident_id} · scenario {run.loaded.spec.name} · trace {run.trace_id}"]
    out += ["", "timeline"]
    for u in state.get("usage", []):
        model = f"  {u.model}: {u.input_tokens} in / {u.output_tokens} out" if u.model else ""
        times = f"{u.duration_s:6.2f}s  llm {u.llm_s:5.2f}s  tools {u.tool_s:5.2f}s"
        out.append(f"  {u.node:<11} {times}{model}")
    if "triage" in state:
        tri = state["triage"]
        out += [
            "",
            f"triage: {tri.severity} · {tri.category} · service {tri.service} · {tri.channel}",
        ]
        out += [f"  - {reason}" for reason in tri.reasons]
        out += [_advice(a) for a in tri.advice]
    out += _evidence(state) + _cause(result) + _actions(result) + _slack(run, result)
    out += [
        "",
        "tokens: " + ", ".join(f"{n} {t['input']}+{t['output']}" for n, t in tokens(run).items()),
    ]
    if state.get("problems"):
        out += ["", "problems"] + [f"  ! {p}" for p in state["problems"]]
    out += ["", _verdict(run, result)]
    return "\n".join(out)


def _advice(a: Any) -> str:
    if not a.valid:
        return f"  - model {a.model}: invalid answer (ignored)"
    return f"  - model {a.model} advised {a.severity}/{a.category} (confidence {a.confidence})"


def _evidence(state: Any) -> list[str]:
    items = state.get("evidence", [])
    if not items:
        return []
    lines = ["", "evidence"]
    for e in items:
        mark = "" if e.ok else " (unavailable)"
        lines.append(f"  [{e.kind}] {e.title}{mark}  <{e.source}>")
    return lines


def _cause(result: dict[str, Any]) -> list[str]:
    rc = result["root_cause"]
    if not rc["summary"]:
        return []
    if rc["pr"]:
        what = f"{rc['repo']} PR #{rc['pr']}"
    elif rc["commit"]:
        what = f"{rc['repo']} commit {rc['commit']}"
    else:
        what = "no code change"
    where = f" · {rc['file']}" + (f":{rc['line']}" if rc["line"] else "") if rc["file"] else ""
    return ["", f"root cause: {what}{where} (decided by {rc['decided_by']})", f"  {rc['summary']}"]


def _actions(result: dict[str, Any]) -> list[str]:
    if not result["actions"]:
        return []
    lines = ["", "actions"]
    for a in result["actions"]:
        ran = "executed" if a["executed"] else "not executed"
        who = ""
        if a["approved"] is not None:
            who = f", {'approved' if a['approved'] else 'denied'} by {a['approver']}"
        lines.append(
            f"  {a['tool']} {a['args']}: {a['verdict']}{who} [{', '.join(a['rules'])}] · {ran}"
        )
    return lines


def _slack(run: Replay, result: dict[str, Any]) -> list[str]:
    first = result.get("first_message_s")
    when = f", the first {first:.1f}s after the alert" if first is not None else ""
    lines = ["", f"slack (received by the stand-in): {len(run.messages)} message(s){when}"]
    for m in run.messages:
        head = m.text.splitlines()[0] if m.text else ""
        how = " (updated in place)" if m.updated else ""
        thread = " (in thread)" if m.thread_ts else ""
        lines.append(f"  {m.channel}: {head}{how}{thread}")
    return lines


def _verdict(run: Replay, result: dict[str, Any]) -> str:
    checks = " ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in run.checks.items())
    status = "PASSED" if result["passed"] else "FAILED"
    if run.interrupted:
        resume = f"graph run --scenario {run.loaded.spec.name} --resume {run.incident_id}"
        status = f"PAUSED for approval (continue with: {resume})"
    return f"{status} in {run.duration_s:.1f}s · {checks}"
