"""Training examples from real incidents whose outcome a human confirmed.

An incident counts as confirmed when its root cause is a PR, a person approved the revert
of exactly that PR (the audit store's approval row, not an automatic `--approvals approve`
or an invalid answer), and the revert ran successfully (the incident's outcome). The
person's approval confirms the root cause; the triage severity and category are the rules'
(the pipeline's authority for severity). Incidents with no code cause are never confirmed
this way and are left out.

The run state comes from the SQLite checkpoints (one thread per incident), the approvals
from the audit store. The prompts are rebuilt from that state with the agents' own
templates and value functions; the root-cause prompt lacks the candidates' added lines,
which the checkpoints do not keep.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from agents.root_cause.logic import (
    EXPLANATION_CHARS,
    HOW_ANSWER_CHARS,
    WHAT_CHARS,
    answer_schema,
    evidence_ids,
    how_and_when,
    options,
)
from agents.root_cause.logic import prompt_values as cause_values
from agents.root_cause.node import MAX_TOKENS as CAUSE_TOKENS
from agents.root_cause.node import PROMPT as CAUSE_PROMPT
from agents.triage.advice import TriageAnswer
from agents.triage.advice import prompt_values as triage_values
from agents.triage.node import PROMPT as TRIAGE_PROMPT
from core.prompting import render
from core.state import Alert, IncidentState, ProposedAction, RootCause
from finetune.dataset import reader_example
from finetune.examples import Example
from graphs.checkpoints import sqlite_checkpointer
from graphs.graph import reader
from policies.audit import AuditStore
from policies.views import target_text

AUTOMATIC = ("graph run --approvals", "invalid approval answer", "unknown approver")
TRIAGE_TOKENS = 48


@dataclass(frozen=True)
class Confirmed:
    incident_id: str
    state: IncidentState
    action: ProposedAction
    approver: str


def confirmed_incidents(checkpoint_db: Path, audit_db: Path) -> list[Confirmed]:
    """Every confirmed incident in the stores, oldest thread first."""
    for path, what in ((checkpoint_db, "checkpoint"), (audit_db, "audit")):
        if not path.is_file():
            raise FileNotFoundError(f"no {what} database at {path}")
    audit = AuditStore(audit_db)
    found = []
    for incident_id, state in asyncio.run(_states(checkpoint_db)):
        approvals = {r["action_id"]: r for r in audit.rows(incident_id) if r["approved"]}
        hit = confirmation(state, approvals)
        if hit is not None:
            found.append(Confirmed(incident_id, state, *hit))
    return found


def confirmation(
    state: IncidentState, approvals: dict[str, dict[str, Any]]
) -> tuple[ProposedAction, str] | None:
    """The approved, executed revert of the root-cause PR, and who approved it."""
    cause = state.get("root_cause")
    if cause is None or cause.kind != "pr" or cause.pr is None:
        return None
    done = {o.action_id for o in state.get("outcomes", []) if o.executed and o.status == "success"}
    for action in state.get("actions", []):
        row = approvals.get(action.id)
        if (action.tool, action.args.get("pr")) != ("revert_pull_request", cause.pr) or not row:
            continue
        approver = str(row["approver"])
        if action.id in done and not approver.startswith(AUTOMATIC):
            return action, approver
    return None


async def _states(db: Path) -> list[tuple[str, IncidentState]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT thread_id, min(rowid) FROM checkpoints GROUP BY thread_id ORDER BY 2"
        ).fetchall()
    out = []
    async with sqlite_checkpointer(db) as saver:
        graph = reader(saver)
        for thread_id, _ in rows:
            snapshot = await graph.aget_state({"configurable": {"thread_id": thread_id}})
            if snapshot.values:
                out.append((str(thread_id), cast(IncidentState, snapshot.values)))
    return out


def examples(found: Confirmed) -> list[Example]:
    """Triage, root cause and the reader on the reverted PR, for one confirmed incident."""
    state, origin = found.state, found.incident_id
    alert, tri, cause = state["alert"], state["triage"], state["root_cause"]
    group = f"incident:{alert.name}:{tri.service or '-'}"
    note = f"confirmed by {found.approver}"
    triage_prompt = render(TRIAGE_PROMPT, triage_values(alert, tri))
    triage_answer = TriageAnswer.model_validate(
        {"severity": tri.severity, "category": tri.category, "confidence": "high"}
    )
    choices = options(cause.candidates)
    ref = f"PR #{cause.pr}"
    out = [
        _example("triage", triage_prompt, json.dumps(triage_answer.model_dump()),
                 TriageAnswer.model_json_schema(), TRIAGE_TOKENS, group, origin, note),
    ]  # fmt: skip
    if ref in choices:
        pages = [e.id for e in state.get("evidence", []) if e.kind == "dashboard"]
        ids = evidence_ids(pages, cause.candidates)
        values = cause_values(alert, tri, cause.candidates, cause.facts, cause.none_reasons, ids,
                              cause.none_category)  # fmt: skip
        prompt = render(CAUSE_PROMPT, values)
        schema = answer_schema(choices, ids)
        answer = schema.model_validate(
            {
                "cause": ref,
                "what": _what(cause, ref),
                "how": _how(cause, ref),
                "category": cause.category or "code_change",
                "explanation": explanation(cause, alert),
            }
        )
        text = json.dumps(answer.model_dump(exclude_none=True))  # the grammar's fields only
        cause_schema = schema.model_json_schema()
        out.append(_example("root_cause", prompt, text, cause_schema, CAUSE_TOKENS, group,
                            origin, note))  # fmt: skip
    carrier, text = target_text(found.action, state)
    if text.strip():
        out.append(reader_example(carrier, text, "incident", group, origin, note))
    return out


def _what(cause: RootCause, ref: str) -> str:
    """What the confirmed answer says the cause is: the chosen change's title, for none the
    kind of cause the evidence suggested."""
    chosen = next((c for c in cause.candidates if c.ref == ref), None)
    text = chosen.title if chosen else (cause.none_category or "").replace("_", " ")
    return " ".join(text.split())[:WHAT_CHARS]


def _how(cause: RootCause, ref: str) -> str:
    """What the confirmed answer restates first: the chosen change's most telling "how"
    line as the prompt showed it, for none the first reason for none."""
    chosen = next((c for c in cause.candidates if c.ref == ref), None)
    lines = how_and_when(chosen.reasons)[0] if chosen else list(cause.none_reasons)
    return lines[0][:HOW_ANSWER_CHARS] if lines else ""


def explanation(cause: RootCause, alert: Alert) -> str:  # noqa: ARG001
    """What the confirmed answer explains: the model's own explanation, else the extracted
    mechanism, else the culprit's title."""
    if cause.explanation:
        return cause.explanation[:EXPLANATION_CHARS]
    if cause.mechanism:
        return cause.mechanism[:EXPLANATION_CHARS]
    best = next((c for c in cause.candidates if c.ref == f"PR #{cause.pr}"), None)
    return (best.title if best else cause.summary)[:EXPLANATION_CHARS]


def _example(
    task: str, prompt: str, answer: str, schema: dict[str, Any], max_tokens: int,
    group: str, origin: str, note: str,
) -> Example:  # fmt: skip
    return Example.model_validate(
        {
            "task": task,
            "messages": [{"role": "user", "content": prompt},
                         {"role": "assistant", "content": answer}],
            "json_schema": schema, "max_tokens": max_tokens, "source": "incident",
            "group": group, "origin": origin, "note": note,
        }
    )  # fmt: skip
