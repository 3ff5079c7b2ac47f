"""Fine-tuning data: secrets redacted, reader labels, expected answers, the split, and the
prompts recorded from real replays (identical to what the pipeline sends)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from agents.root_cause.logic import answer_schema
from agents.root_cause.node import MAX_TOKENS as CAUSE_TOKENS
from agents.shared.alerts import alert_text
from agents.triage.advice import TriageAnswer
from finetune import dataset, gold, incidents, labels, teacher
from finetune.examples import DatasetError, Example, read, write
from finetune.redact import redact
from policies.audit import AuditStore
from policies.gate import ReaderAnswer
from replay.run import RunOptions, replay
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS
from world.loader import load
from world.scenario import alternatives

TOKEN = "ghp_R7kQ2mVx9LcT4nWb8ZsYp3HdJf6Ae1Ug0NiO"  # the made-up token of a scenario


def test_redact_removes_each_kind_of_secret_and_counts_it() -> None:
    text = (
        f"post {TOKEN} now; slack xoxb-1234567890-abcdefghij; key AKIAIOSFODNN7EXAMPLE; "
        "db postgres://app:s3cr3tpass@db:5432/x; Authorization: Bearer abcdefghijklmnop1234; "
        'password = "hunter2hunter2"\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n'
        "-----END RSA PRIVATE KEY-----"
    )
    counts: Counter[str] = Counter()
    clean = redact(text, counts)
    for secret in (TOKEN, "xoxb-1234567890", "AKIAIOSFODNN7EXAMPLE", "s3cr3tpass",
                   "abcdefghijklmnop1234", "hunter2hunter2", "MIIE"):  # fmt: skip
        assert secret not in clean
    assert set(counts) == {"github-token", "slack-token", "aws-access-key", "url-credentials",
                           "bearer-token", "secret-assignment", "private-key"}  # fmt: skip
    assert 'password = "[REDACTED:secret]' in clean


def test_redact_leaves_ordinary_engineering_text_alone() -> None:
    text = (
        "max_tokens=128; refresh token rotation; the pool timeout is 30 s; "
        "revert PR #847 (sha 9f1c2e7) if the pool alarms; https://grafana.example/d/abc"
    )
    counts: Counter[str] = Counter()
    assert redact(text, counts) == text
    assert not counts


def _spec(name: str) -> Any:
    return load(name, SCENARIOS).spec


@pytest.mark.parametrize(
    ("scenario", "asks"),
    [
        ("injection-pr-body-checkout-db-cpu", "merge"),
        ("injection-pr-title-push-queue", "merge"),
        ("injection-commit-auth-redis-clients", "restart"),
        ("injection-code-comment-search-5xx", "reveal_secret"),
        ("injection-annotation-cdn-purge", "revert"),
    ],
)
def test_labels_flag_the_planted_instruction_of_each_scenario(scenario: str, asks: str) -> None:
    spec = _spec(scenario)
    texts = _texts(spec)
    planted = [t for t in texts if labels.planted(t)]
    assert len(planted) >= 1, f"no planted text found in {scenario}"
    answers = {labels.label(t).asks_for for t in planted}
    assert asks in answers
    for text in texts:
        if not labels.planted(text):
            assert labels.label(text) == ReaderAnswer(instructions="no", asks_for="nothing")


def _texts(spec: Any) -> list[str]:
    out = []
    for _, pull in spec.all_pulls():
        out.append(f"PR #{pull.number}: {pull.title}\n{pull.body}")
        out += ["\n".join(ln[1:] for ln in f.patch.splitlines() if ln.startswith("+"))
                for f in pull.files]  # fmt: skip
    out += [c.message for r in spec.github.repos.values() for c in r.commits]
    out += [str(a.get("annotations", {})) for a in spec.alert.payload.get("alerts", [])]
    return [t for t in out if t.strip()]


def test_culprit_prs_carry_no_planted_instructions() -> None:
    for folder in sorted(SCENARIOS.iterdir()):
        spec = _spec(folder.name)
        cause = spec.expect.root_cause
        if cause is None or cause.pr is None:
            continue
        [pull] = [p for _, p in spec.all_pulls() if p.number == cause.pr]
        answer = labels.label(f"PR #{pull.number}: {pull.title}\n{pull.body}")
        assert answer.instructions == "no", folder.name


def test_expected_root_cause_option_and_explanation_for_every_scenario() -> None:
    for folder in sorted(SCENARIOS.iterdir()):
        spec = _spec(folder.name)
        cause = spec.expect.root_cause
        assert cause is not None
        if cause.pr is not None:
            assert gold.cause_option(cause, [f"PR #{cause.pr}", "none"]) == f"PR #{cause.pr}"
            assert gold.cause_option(cause, ["PR #1", "none"]) is None
        text = gold.explanation(spec, cause)
        assert len(text) <= 280
        for keyword in cause.keywords:
            words = alternatives(keyword)
            assert any(w.lower() in text.lower() for w in words), (folder.name, keyword, text)
    spec = _spec("db-pool-exhaustion")
    assert gold.how(spec, spec.expect.root_cause).startswith("A query runs once per item of a loop")
    assert gold.what(spec, spec.expect.root_cause) == next(
        p.title for _, p in spec.all_pulls() if p.number == spec.expect.root_cause.pr
    )


def test_commit_and_none_options() -> None:
    spec = _spec("ssl-cert-expiry")
    assert gold.cause_option(spec.expect.root_cause, ["PR #5", "none"]) == "none"
    commit = spec.expect.root_cause.model_copy(update={"none": False, "commit": "2d7e4a1e96"})
    assert gold.cause_option(commit, ["PR #847", "2d7e4a1", "none"]) == "2d7e4a1"


def _example(group: str, text: str, task: str = "triage") -> Example:
    return Example.model_validate({
        "task": task, "messages": [{"role": "user", "content": text},
                                   {"role": "assistant", "content": "{}"}],
        "json_schema": {}, "max_tokens": 8, "source": "scenario", "group": group,
        "origin": group,
    })  # fmt: skip


def test_finish_redacts_dedupes_and_keeps_each_group_in_one_split() -> None:
    examples = [_example(f"g{i % 5}", f"prompt {i} {TOKEN}") for i in range(20)]
    examples += [examples[0], examples[3]]
    built = dataset.finish(examples, 0.4, None, dataset.Built(examples=[]))
    assert built.duplicates == 2 and len(built.examples) == 20
    assert built.redacted["github-token"] == 20
    assert all(TOKEN not in e.messages[0].content for e in built.examples)
    splits: dict[str, set[str]] = {}
    for e in built.examples:
        splits.setdefault(e.group, set()).add(e.split)
    assert all(len(s) == 1 for s in splits.values())
    assert sum(s == {"eval"} for s in splits.values()) == 2
    again = dataset.finish(examples, 0.4, None, dataset.Built(examples=[]))
    assert [e.split for e in again.examples] == [e.split for e in built.examples]
    chosen = dataset.finish(examples, 0.4, {"g1"}, dataset.Built(examples=[]))
    assert {e.group for e in chosen.examples if e.split == "eval"} == {"g1"}


def test_dataset_file_round_trips_and_names_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    write(path, [_example("a", "x"), _example("b", "y", "reader")])
    assert [e.group for e in read(path, tasks=["reader"])] == ["b"]
    path.write_text(path.read_text() + '{"task": "triage"}\n')
    with pytest.raises(DatasetError, match=r"d\.jsonl:3: not a finetune example"):
        read(path)


class _Recorder(FakeListChatModel):
    seen: list[str] = []

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        self.seen.append("\n".join(str(m.text) for m in messages))
        return super()._call(messages, *args, **kwargs)


TRIAGE = json.dumps({"severity": "critical", "category": "saturation", "confidence": "high"})
CAUSE = json.dumps(
    {
        "cause": "PR #847",
        "category": "code_change",
        "explanation": "N+1 query.",
        "confidence": "high",
    }
)
READER = json.dumps({"instructions": "no", "asks_for": "nothing"})
JUDGE = json.dumps({"verdict": "needs_approval", "reason": "fits-the-goal"})


def _scripted() -> dict[str, Any]:
    return {"small": _Recorder(responses=[TRIAGE, READER], seen=[]),
            "large": _Recorder(responses=[CAUSE, JUDGE], seen=[])}  # fmt: skip


def _run(settings: Settings, **options: Any) -> Any:
    models = _scripted()
    opts = RunOptions(model_small="small", model_large="large", chat_models=models, **options)
    return asyncio.run(replay(load("db-pool-exhaustion", SCENARIOS), settings, opts)), models


@pytest.mark.integration
def test_teacher_records_exactly_the_prompts_the_pipeline_sends(tmp_path: Path) -> None:
    settings = Settings(checkpoint_db=tmp_path / "c.sqlite")
    _, models = _run(settings)
    audit_rows = len(AuditStore(settings.audit_db).rows())
    rec = teacher.record(load("db-pool-exhaustion", SCENARIOS), settings)
    assert len(AuditStore(settings.audit_db).rows()) == audit_rows, "a scratch store is used"
    assert all(rec.done.checks.values()), rec.done.checks
    by_task = {c.task: c for c in rec.calls}
    assert by_task["triage"].messages[0].content == models["small"].seen[0]
    assert by_task["root_cause"].messages[0].content == models["large"].seen[0]
    assert by_task["reader"].messages[0].content == models["small"].seen[1]
    TriageAnswer.model_validate(by_task["triage"].answer)
    options = by_task["root_cause"].json_schema["properties"]["cause"]["enum"]
    assert answer_schema(options).model_validate(by_task["root_cause"].answer).cause == "PR #847"
    assert by_task["triage"].answer["severity"] == "critical"
    assert by_task["triage"].max_tokens == 48 and by_task["root_cause"].max_tokens == CAUSE_TOKENS
    found, skipped = dataset.from_recording(rec)
    assert not skipped
    assert {e.task for e in found} == {"triage", "root_cause", "reader"}


@pytest.mark.integration
def test_confirmed_incidents_are_those_a_person_approved_and_that_ran(tmp_path: Path) -> None:
    stores = {"checkpoint_db": tmp_path / "c.sqlite", "audit_db": tmp_path / "a.sqlite"}
    settings = Settings(**stores)
    approved, _ = _run(settings, approvals="approve", approver="dana")
    _run(settings, approvals="approve")  # automatic: `graph run --approvals approve`
    _run(settings, approvals="deny", approver="sam")
    found = incidents.confirmed_incidents(stores["checkpoint_db"], stores["audit_db"])
    assert [(f.incident_id, f.approver) for f in found] == [(approved.incident_id, "dana")]
    examples = incidents.examples(found[0])
    by_task = {e.task: e for e in examples}
    assert set(by_task) == {"triage", "root_cause", "reader"}
    assert by_task["root_cause"].answer["cause"] == "PR #847"
    assert by_task["root_cause"].answer["explanation"] == "N+1 query."
    assert 'Options for "cause": ["PR #847"' in by_task["root_cause"].prompt[0].content
    assert by_task["triage"].answer["severity"] == "critical"
    assert all(e.source == "incident" and "dana" in e.note for e in examples)
    assert alert_text(approved.state["alert"]) in by_task["triage"].prompt[0].content


@pytest.mark.integration
def test_dataset_command_writes_redacted_examples_and_prints_statistics(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    for name in ("db-pool-exhaustion", "injection-code-comment-search-5xx"):
        shutil.copytree(SCENARIOS / name, scenarios / name)
    out = tmp_path / "data.jsonl"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
           "INCIDENT_GRAPH_CHECKPOINT_DB": str(tmp_path / "user-checkpoints.sqlite")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "finetune", "dataset", "--scenarios", str(scenarios),
         "--out", str(out), "--eval-scenarios", "db-pool-exhaustion", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["scenarios"] == 2 and stats["eval_groups"] == ["db-pool-exhaustion"]
    assert stats["tasks"]["triage"] == {**stats["tasks"]["triage"], "train": 1, "eval": 1}
    assert stats["secrets_redacted"].get("github-token", 0) >= 1
    assert "yes/reveal_secret" in stats["tasks"]["reader"]["answers"]
    assert TOKEN not in out.read_text()
    examples = read(out)
    assert len(examples) == stats["examples"]
    assert not (tmp_path / "user-checkpoints.sqlite").exists(), "the user's store is untouched"
