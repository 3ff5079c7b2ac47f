"""The dual-LLM policy gate: deterministic code decides, the two models can only make it
stricter, and any exception blocks the action.

1. Inventory: the action's arguments have the action's types and its targets exist in
   the trusted inventory; otherwise `blocked` (`inventory:<check>`).
2. Policy: the first matching rule gives `allowed`, `needs_approval` or `blocked`.
3. When the decision to act or an argument is untrusted (a model chose it after reading
   free text) and the verdict is not already `blocked`:
   - the quarantined (small) model reads the target's own free text, has no tools and
     answers only enums; `yes` or `undeterminable` on "instructions" escalates to at
     least `needs_approval`; an invalid answer blocks;
   - the privileged (large) model sees only trusted values, provenance labels and the
     quarantined enums, and picks a verdict from the current one or stricter ones, with
     a reason; a reason other than `fits-the-goal` escalates one step even when the
     verdict it picked is the current one; an invalid answer blocks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.state import GateDecision, ProposedAction, Verdict
from policies.engine import Policy, Usage
from policies.inventory import Inventory, validate

STRICTNESS: dict[Verdict, int] = {"allowed": 0, "needs_approval": 1, "blocked": 2}
VERDICTS: tuple[Verdict, ...] = ("allowed", "needs_approval", "blocked")
ESCALATION: dict[Verdict, Verdict] = {
    "allowed": "needs_approval", "needs_approval": "blocked", "blocked": "blocked",
}  # fmt: skip
Ternary = Literal["yes", "no", "undeterminable"]
Ask = Literal[
    "nothing", "merge", "revert", "restart", "post_message", "approve", "reveal_secret",
    "open_link", "other", "undeterminable",
]  # fmt: skip
Reason = Literal[
    "fits-the-goal", "planted-instructions", "unrelated-target", "too-broad", "cannot-tell"
]


class ReaderAnswer(BaseModel):
    """The quarantined model's whole vocabulary."""

    model_config = ConfigDict(extra="forbid")
    instructions: Ternary  # does the text address instructions to an automated agent?
    asks_for: Ask


class JudgeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Verdict
    reason: Reason


Reader = Callable[[ProposedAction], Awaitable[ReaderAnswer | None]]
"""The quarantined model on the action's target text; None when its answer was invalid."""
Judge = Callable[
    [ProposedAction, Verdict, tuple[str, ...], ReaderAnswer], Awaitable[JudgeAnswer | None]
]  # noqa: E501
"""The privileged model on trusted values only; None when its answer was invalid."""


def stricter(a: Verdict, b: Verdict) -> Verdict:
    return a if STRICTNESS[a] >= STRICTNESS[b] else b


def choices(current: Verdict) -> list[Verdict]:
    """The verdicts the privileged model may answer: the current one or stricter."""
    return [v for v in VERDICTS if STRICTNESS[v] >= STRICTNESS[current]]


def untrusted(action: ProposedAction) -> bool:
    return not action.origin.trusted or any(not p.trusted for p in action.provenance.values())


@dataclass(frozen=True)
class Gate:
    policy: Policy
    read: Reader
    judge: Judge
    used: Usage = lambda _rule: (0, 0)

    async def review(self, action: ProposedAction, inv: Inventory) -> GateDecision:
        """The decision on one action. Fails closed: any exception blocks."""
        try:
            return await self._review(action, inv)
        except Exception as exc:
            return _decision(action, inv.now, "blocked", ("gate-error",), None,
                             answers={"error": f"{type(exc).__name__}: {exc}"[:300]})  # fmt: skip

    async def _review(self, action: ProposedAction, inv: Inventory) -> GateDecision:
        checks = validate(action, inv)
        failed = tuple(f"inventory:{c.id}" for c in checks if not c.ok)
        shown = tuple(str(c) for c in checks)
        if failed:
            return _decision(action, inv.now, "blocked", failed, None, checks=shown)
        verdict, rules = self.policy.decide(action, inv, self.used)
        base = verdict
        answers: dict[str, str] = {}
        if verdict != "blocked" and untrusted(action):
            verdict, rules, answers = await self._models(action, verdict, rules)
        return _decision(action, inv.now, verdict, rules, base, checks=shown, answers=answers)

    async def _models(
        self, action: ProposedAction, verdict: Verdict, rules: tuple[str, ...]
    ) -> tuple[Verdict, tuple[str, ...], dict[str, str]]:
        read = await self.read(action)
        if read is None:
            return "blocked", (*rules, "quarantine:invalid-answer"), {"quarantined": "invalid"}
        answers: dict[str, str] = {
            "quarantined.instructions": read.instructions,
            "quarantined.asks_for": read.asks_for,
        }
        if read.instructions != "no":  # planted or unreadable text: a human looks, at least
            verdict = stricter(verdict, "needs_approval")
            rules = (*rules, f"quarantine:instructions-{read.instructions}")
        judged = await self.judge(action, verdict, rules, read)
        if judged is None:
            answers["privileged"] = "invalid"
            return "blocked", (*rules, "privileged:invalid-answer"), answers
        answers |= {"privileged.verdict": judged.verdict, "privileged.reason": judged.reason}
        final = stricter(verdict, judged.verdict)  # never relaxed, whatever it answered
        if final == verdict and judged.reason != "fits-the-goal":
            final = ESCALATION[verdict]  # it kept the verdict but gave a reason to worry
        if final != verdict:
            rules = (*rules, f"privileged:escalated:{judged.reason}")
        return final, rules, answers


def _decision(
    action: ProposedAction,
    now: datetime,
    verdict: Verdict,
    rules: tuple[str, ...],
    base: Verdict | None,
    checks: tuple[str, ...] = (),
    answers: dict[str, str] | None = None,
) -> GateDecision:
    return GateDecision(
        action_id=action.id,
        tool=action.tool,
        verdict=verdict,
        rules=rules,
        policy_verdict=base,
        checks=checks,
        answers=answers or {},
        args={k: v for k, v in action.args.items() if k != "text"},
        decided_at=now,
    )
