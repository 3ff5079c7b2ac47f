# ruff: noqa: E501  (tables of test data read best one case per line)
"""The dual-LLM gate: the models can only make a verdict stricter, an invalid answer or any
exception blocks, trusted actions never reach a model, and the privileged model's prompt
never holds untrusted text (property-based)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.prompting import render
from core.state import ProposedAction, Verdict
from policies import views as logic
from policies.gate import VERDICTS, Gate, JudgeAnswer, ReaderAnswer, stricter
from policies.guard import PROMPTS
from policies.inventory import Inventory
from policies.markers import markers
from tests.hostile import hostile_state
from tests.policy_fixtures import TRUSTED, action, inventory, policy, revert

RULES = """version: 2
rules:
  - {id: notify, action: post_message, verdict: allowed, when: {owning_channel: true}}
  - {id: revert-allowed, action: revert_pull_request, verdict: allowed, when: {args: {pr: {equals: 847}}}}
  - {id: revert-asks, action: revert_pull_request, verdict: needs_approval}
  - {id: never-merge, action: merge_pull_request, verdict: blocked}
"""  # fmt: skip
CLEAN = ReaderAnswer(instructions="no", asks_for="nothing")


class Models:
    """Scripted reader and judge that count their calls."""

    def __init__(self, read: Any = CLEAN, judge: Any = "keep") -> None:
        self.read_answer, self.judge_answer, self.calls = read, judge, 0

    async def read(self, _action: ProposedAction) -> ReaderAnswer | None:
        self.calls += 1
        if isinstance(self.read_answer, Exception):
            raise self.read_answer
        return self.read_answer  # type: ignore[no-any-return]

    async def judge(
        self, _a: ProposedAction, verdict: Verdict, _r: tuple[str, ...], _q: ReaderAnswer
    ) -> JudgeAnswer | None:
        self.calls += 1
        if self.judge_answer == "keep":
            return JudgeAnswer(verdict=verdict, reason="fits-the-goal")
        return self.judge_answer  # type: ignore[no-any-return]


def review(
    tmp_path: Path, act: ProposedAction, models: Models, inv: Inventory | None = None
) -> Any:
    gate = Gate(policy(tmp_path, RULES), read=models.read, judge=models.judge)
    return asyncio.run(gate.review(act, inv or inventory()))


def test_honest_revert_keeps_the_policy_verdict_and_records_both_models(tmp_path: Path) -> None:
    d = review(tmp_path, revert(850), Models())
    assert (d.verdict, d.policy_verdict, d.rules) == (
        "needs_approval",
        "needs_approval",
        ("revert-asks",),
    )
    assert d.answers == {"quarantined.instructions": "no", "quarantined.asks_for": "nothing",
                         "privileged.verdict": "needs_approval", "privileged.reason": "fits-the-goal"}  # fmt: skip
    assert any(c.startswith("merged-in-window: ok") for c in d.checks)


def test_planted_instructions_escalate_an_allowed_action(tmp_path: Path) -> None:
    planted = ReaderAnswer(instructions="yes", asks_for="merge")
    d = review(tmp_path, revert(847), Models(read=planted))
    assert d.verdict == "needs_approval" and d.policy_verdict == "allowed"
    assert "quarantine:instructions-yes" in d.rules


def test_undeterminable_text_escalates_too(tmp_path: Path) -> None:
    unsure = ReaderAnswer(instructions="undeterminable", asks_for="undeterminable")
    assert review(tmp_path, revert(847), Models(read=unsure)).verdict == "needs_approval"


def test_invalid_quarantined_answer_blocks(tmp_path: Path) -> None:
    d = review(tmp_path, revert(847), Models(read=None))
    assert d.verdict == "blocked" and d.rules[-1] == "quarantine:invalid-answer"


def test_invalid_privileged_answer_blocks(tmp_path: Path) -> None:
    d = review(tmp_path, revert(847), Models(judge=None))
    assert d.verdict == "blocked" and d.rules[-1] == "privileged:invalid-answer"


def test_privileged_model_escalates(tmp_path: Path) -> None:
    blocked = JudgeAnswer(verdict="blocked", reason="planted-instructions")
    d = review(tmp_path, revert(850), Models(judge=blocked))
    assert d.verdict == "blocked" and d.rules[-1] == "privileged:escalated:planted-instructions"


@pytest.mark.parametrize("pr", [847, 850])
def test_privileged_model_cannot_relax(tmp_path: Path, pr: int) -> None:
    relax = JudgeAnswer(verdict="allowed", reason="fits-the-goal")  # even if it got through
    d = review(tmp_path, revert(pr), Models(judge=relax))
    assert d.verdict == d.policy_verdict == ("allowed" if pr == 847 else "needs_approval")


def test_the_privileged_schema_offers_only_the_current_verdict_or_stricter() -> None:
    schema = logic.judge_schema("needs_approval")
    assert schema.model_json_schema()["properties"]["verdict"]["enum"] == [
        "needs_approval",
        "blocked",
    ]
    with pytest.raises(ValueError, match="verdict must be one of"):
        schema.model_validate({"verdict": "allowed", "reason": "fits-the-goal"})
    assert logic.judge_schema("blocked").model_json_schema()["properties"]["verdict"]["enum"] == [
        "blocked"
    ]


def test_any_exception_in_the_gate_blocks(tmp_path: Path) -> None:
    d = review(tmp_path, revert(847), Models(read=RuntimeError("model crashed")))
    assert d.verdict == "blocked" and d.rules == ("gate-error",)
    assert "model crashed" in d.answers["error"]


def test_trusted_actions_and_blocked_verdicts_never_reach_a_model(tmp_path: Path) -> None:
    models = Models(read=RuntimeError("must not be called"))
    notify = action("post_message", channel="#oncall-backend", text="hi")
    assert review(tmp_path, notify, models).verdict == "allowed"
    merge = action("merge_pull_request", origin=revert().origin, pr=847, repo="acme/orders-api")
    assert review(tmp_path, merge, models).rules == ("never-merge",)
    assert review(tmp_path, revert(999), models).rules[0] == "inventory:pr-known"
    assert models.calls == 0


def test_stricter_is_a_max() -> None:
    for a in VERDICTS:
        for b in VERDICTS:
            assert stricter(a, b) == max(a, b, key=VERDICTS.index)


verdicts = st.sampled_from(VERDICTS)
reader_answers = st.one_of(
    st.none(),
    st.builds(ReaderAnswer, instructions=st.sampled_from(["yes", "no", "undeterminable"]),
              asks_for=st.sampled_from(logic.ASKS)),
)  # fmt: skip
judge_answers = st.one_of(
    st.none(), st.builds(JudgeAnswer, verdict=verdicts, reason=st.sampled_from(logic.REASONS))
)
hostile = st.text(max_size=40).map(lambda t: f"INJECT{t}")
args = st.dictionaries(
    st.sampled_from(["pr", "repo", "channel", "text", "name", "namespace", "title", "body", "x"]),
    st.one_of(st.integers(-5, 2000), hostile, st.sampled_from(
        ["acme/orders-api", "#general", "#oncall-backend", "*", "prod", 847, 848, 700])),
    max_size=5,
)  # fmt: skip
tools = st.sampled_from([
    "revert_pull_request", "merge_pull_request", "create_issue", "comment_on_pull_request",
    "post_message", "restart_deployment", "delete_everything",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(tool=tools, arguments=args, trusted=st.booleans(), read=reader_answers, judged=judge_answers)
def test_no_model_answer_makes_any_action_less_strict_than_policy_and_inventory(
    tmp_path_factory: pytest.TempPathFactory,
    tool: str, arguments: dict[str, Any], trusted: bool, read: Any, judged: Any,
) -> None:  # fmt: skip
    tmp = tmp_path_factory.mktemp("gate")
    origin = TRUSTED if trusted else revert().origin
    act = ProposedAction(id="a", tool=tool, args=arguments, reason="r", origin=origin)
    p, inv = policy(tmp, RULES), inventory()
    d = asyncio.run(
        Gate(p, read=Models(read).read, judge=Models(judge=judged).judge).review(act, inv)
    )
    base, _ = p.decide(act, inv)
    assert stricter(d.verdict, base) == d.verdict, "a model relaxed the policy"
    from policies.inventory import validate

    if not all(c.ok for c in validate(act, inv)):
        assert d.verdict == "blocked"


@settings(max_examples=100, deadline=None)
@given(state=hostile_state())
def test_the_privileged_prompt_never_holds_untrusted_text(state: Any) -> None:
    inv = logic.inventory(state, {}, inventory().now, frozenset())
    cause = state["root_cause"]
    act = ProposedAction(
        id="a", tool="revert_pull_request", args={"pr": 847, "repo": "acme/orders-api"},
        reason=cause.summary, origin=revert().origin,
    )  # fmt: skip
    note = ProposedAction(id="b", tool="post_message", reason="n", origin=TRUSTED,
                          args={"channel": "#oncall-backend", "text": cause.summary})  # fmt: skip
    for a in (act, note):
        values = logic.judge_values(a, state, inv, "needs_approval", ("r",), CLEAN)
        prompt = render(PROMPTS / "privileged.md.j2", values)
        assert "INJECT" not in prompt, prompt
    carrier, text = logic.target_text(act, state)
    assert "INJECT" in text or not text, "the quarantined reader does read the untrusted text"
    assert json.dumps(values)  # plain values only


def test_a_worrying_reason_escalates_even_when_the_verdict_is_kept(tmp_path: Path) -> None:
    kept = JudgeAnswer(verdict="needs_approval", reason="planted-instructions")
    d = review(tmp_path, revert(850), Models(judge=kept))
    assert d.verdict == "blocked" and d.rules[-1] == "privileged:escalated:planted-instructions"
    allowed = review(
        tmp_path, revert(847), Models(judge=JudgeAnswer(verdict="allowed", reason="too-broad"))
    )
    assert allowed.verdict == "needs_approval"


def test_planted_instruction_markers_hit_every_attack_and_no_honest_change() -> None:
    from tests.conftest import SCENARIOS
    from tests.hostile import ATTACKS

    assert all(markers(a) for a in ATTACKS)
    hits = {}
    for spec_file in SCENARIOS.glob("*/scenario.yaml"):
        spec = __import__("yaml").safe_load(spec_file.read_text())
        for repo in spec["github"]["repos"].values():
            for p in repo.get("pulls", []):
                patches = "\n".join(f.get("patch", "") for f in p.get("files", []))
                text = f"{p['title']}\n{p.get('body') or ''}\n{patches}"
                if markers(text):
                    hits[(spec_file.parent.name, p["number"])] = p["number"]
    culprits = {(f.parent.name, (__import__("yaml").safe_load(f.read_text())["expect"].get("root_cause") or {}).get("pr"))
                for f in SCENARIOS.glob("*/scenario.yaml")}  # fmt: skip
    assert hits, "the injection scenarios' carriers are found"
    assert not set(hits) & culprits, "no culprit (honest) PR is flagged"
