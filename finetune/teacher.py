"""Record the exact model requests a scenario's replay makes, answered with its expected answers.

The replay is the real one (`replay.run`: the scenario's world on loopback, the MCP
servers, Chromium reading the dashboards, the ranking), with a `TeacherModel` in both
roles. The teacher stands in for the embedded runtime, so it receives what llama.cpp would:
the rendered messages, the JSON schema that constrains the answer and `max_tokens`. It
records each request and answers with the scenario's expected answer (`finetune.gold`), so
the run goes on as a correct run would and later prompts (the gate's reader on the culprit
PR) are the ones a correct run sends.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult

from agents.root_cause.logic import EXPLANATION_CHARS
from core.state import Alert
from finetune import gold, labels
from finetune.errors import FinetuneError
from finetune.examples import Message
from observability.meter import current_node
from replay.run import Replay, RunOptions, replay
from runtime.models.embedded import EmbeddedChatModel, LoadedModel
from runtime.settings import Settings
from world.loader import LoadedScenario
from world.scenario import Scenario

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


@dataclass(frozen=True)
class Call:
    """One model request of the replay and the answer the teacher gave."""

    task: str  # triage | root_cause | reader | judge
    messages: tuple[Message, ...]
    json_schema: dict[str, Any]
    max_tokens: int
    answer: dict[str, Any]
    gold: bool  # the answer is an expected answer (not a stand-in to keep the run going)
    note: str = ""


class TeacherError(FinetuneError):
    """The replay asked for something the teacher cannot answer."""


@dataclass
class Oracle:
    spec: Scenario
    alert: Alert | None = None
    calls: list[Call] = field(default_factory=list)

    def observe(self, node: str, update: Any) -> None:
        if node == "ingest" and isinstance(update, dict) and "alert" in update:
            self.alert = update["alert"]

    def answer(self, role: str, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        schema = (kwargs.get("response_format") or {}).get("schema")
        if not isinstance(schema, dict):
            raise TeacherError("the request carries no JSON schema (response_format)")
        task = _task(current_node(), role)
        prompt = "\n".join(str(m.text) for m in messages)
        value, is_gold, note = self._answer(task, prompt, schema)
        ordered = {k: value[k] for k in schema.get("properties", value) if k in value}
        chat = tuple(
            Message.model_validate({"role": _ROLES[m.type], "content": str(m.text)})
            for m in messages
        )
        limit = int(kwargs.get("max_tokens") or 0)
        self.calls.append(Call(task, chat, schema, limit, ordered, is_gold, note))
        return json.dumps(ordered)

    def _answer(
        self, task: str, prompt: str, schema: dict[str, Any]
    ) -> tuple[dict[str, Any], bool, str]:
        expect = self.spec.expect
        if task == "triage":
            if self.alert is None:
                raise TeacherError("triage was asked before ingest produced the alert")
            return gold.triage_answer(self.spec, self.alert).model_dump(), True, "scenario"
        if task == "root_cause":
            options = list(schema["properties"]["cause"]["enum"])
            if expect.root_cause is None:
                return _cause(options[-1], "no expectation"), False, "no expect.root_cause"
            chosen = gold.cause_option(expect.root_cause, options)
            if chosen is None:
                why = f"expected cause not among the pipeline's options {options}"
                return _cause(options[-1], why), False, why
            text = gold.explanation(self.spec, expect.root_cause)
            kind = gold.category(expect.root_cause, chosen)
            answer = _cause(chosen, text, kind) | {
                "what": gold.what(self.spec, expect.root_cause),
                "how": gold.how(self.spec, expect.root_cause),
            }
            return answer, True, "scenario"
        if task == "reader":
            return labels.label(fenced(prompt)).model_dump(), True, "label rules"
        return _judge(schema), False, "privileged review is not trained"


def _task(node: str | None, role: str) -> str:
    if node in ("triage", "root_cause"):
        return node
    if node in ("guardian", "notify"):
        return "reader" if role == "small" else "judge"
    raise TeacherError(f"a model call from node {node!r} ({role} role) has no expected answer")


def _cause(option: str, explanation: str, category: str = "code_change") -> dict[str, Any]:
    """A root-cause answer in the grammar's fields (the model writes no confidence)."""
    return {"cause": option, "category": category,
            "explanation": explanation[:EXPLANATION_CHARS]}  # fmt: skip


def _judge(schema: dict[str, Any]) -> dict[str, Any]:
    """Keep the current verdict with the first (benign) reason the schema allows."""
    props = schema["properties"]
    return {"verdict": props["verdict"]["enum"][0], "reason": _enum(schema, "reason")[0]}


def _enum(schema: dict[str, Any], name: str) -> list[Any]:
    prop = schema["properties"][name]
    if "$ref" in prop:  # a Literal shared through $defs
        prop = schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
    return list(prop["enum"])


def fenced(prompt: str) -> str:
    """The untrusted text in a prompt: `core.prompting.quote` fences it in <<< >>> and
    escapes any fence inside, so the first block is exactly the quoted data."""
    start = prompt.find("<<<\n")
    end = prompt.find("\n>>>", start)
    if start < 0 or end < 0:
        raise TeacherError("the reader's prompt holds no <<< >>> block")
    return prompt[start + 4 : end]


class TeacherModel(EmbeddedChatModel):
    """Receives what the embedded runtime would receive; answers from the `Oracle`."""

    role: str
    oracle: Any  # Oracle (a plain dataclass: kept out of pydantic's validation)

    def load(self) -> LoadedModel:
        raise TeacherError("the teacher has no weights to load")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,  # noqa: ARG002 (BaseChatModel's)
        run_manager: CallbackManagerForLLMRun | None = None,  # noqa: ARG002
        **kwargs: Any,
    ) -> ChatResult:
        content = self.oracle.answer(self.role, messages, kwargs)
        usage = UsageMetadata(input_tokens=0, output_tokens=0, total_tokens=0)
        message = AIMessage(content=content, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,  # noqa: ARG002
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, None, **kwargs)  # in the node's context


@dataclass
class Recording:
    loaded: LoadedScenario
    calls: list[Call]
    done: Replay


def record(loaded: LoadedScenario, settings: Settings) -> Recording:
    """Replay `loaded` with the teacher in both roles (approvals denied, nothing executes;
    checkpoints and audit rows go to a throw-away folder, not the user's stores)."""
    oracle = Oracle(loaded.spec)
    models = {
        name: TeacherModel(model=name, model_path=Path("/dev/null"), role=role, oracle=oracle)
        for role, name in (("small", "teacher-small"), ("large", "teacher-large"))
    }
    with tempfile.TemporaryDirectory(prefix="incident-graph-teacher-") as tmp:
        scratch = settings.model_copy(
            update={
                "checkpoint_db": Path(tmp) / "checkpoints.sqlite",
                "audit_db": Path(tmp) / "audit.sqlite",
            }
        )
        options = RunOptions(
            approvals="deny",
            model_small="teacher-small",
            model_large="teacher-large",
            chat_models=models,
            observe=oracle.observe,
        )
        done = asyncio.run(replay(loaded, scratch, options))
    return Recording(loaded, oracle.calls, done)
