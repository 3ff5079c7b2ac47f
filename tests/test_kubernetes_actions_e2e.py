"""Rollbacks end to end: the real graph from the guardian on (gate, human approval through
`interrupt()`, execute, notify) with the project's Kubernetes MCP server over stdio against
the replay world's Kubernetes stand-in, scripted models, SQLite checkpoints and audit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langgraph.runtime import Runtime

from agents.execute.node import execute
from core.actions import action_id
from core.context import Context
from core.state import IncidentState, ProposedAction, Workload
from engine.deps import RunDeps, build_deps
from engine.drive import drive
from engine.options import RunOptions
from graphs.checkpoints import sqlite_checkpointer
from graphs.graph import build_graph, fixed
from mcphost.threaded import ThreadedToolHost
from policies.audit import AuditStore
from runtime.settings import Settings
from runtime.toolset import open_tools
from tests.kubernetes_fixtures import incident, rollback, scale
from tests.policy_fixtures import START
from world.kubernetes_api import KubernetesStandIn
from world.signals_spec import KubernetesSpec

pytestmark = pytest.mark.integration

TOKEN = "kube-actions-token"
NOW = START + timedelta(minutes=8)
JUDGE = json.dumps({"verdict": "needs_approval", "reason": "fits-the-goal"})
READER = json.dumps({"instructions": "no", "asks_for": "nothing"})


def _history(image: str, *at: str) -> list[dict[str, Any]]:
    return [{"revision": n, "image": f"{image}:1.{n}", "at": when, "change_cause": f"deploy 1.{n}"}
            for n, when in enumerate(at, start=1)]  # fmt: skip


SPEC = {
    "namespaces": {
        "prod": {
            "deployments": [
                {"name": "orders-api", "replicas": 3, "ready": 1, "history": _history(
                    "orders-api", "2026-03-10T09:00:00Z", "2026-03-12T09:00:00Z",
                    "2026-03-14T09:52:00Z")},  # revision 3, 20 min before the alert
                {"name": "payments", "replicas": 2, "ready": 2, "history": _history(
                    "payments", "2026-03-11T09:00:00Z", "2026-03-14T08:00:00Z")},
            ]
        }
    }
}  # fmt: skip


@pytest.fixture
def standin() -> Iterator[KubernetesStandIn]:
    spec = KubernetesSpec.model_validate(SPEC, strict=False)
    with KubernetesStandIn(spec, TOKEN, NOW) as running:
        yield running


@pytest.fixture
def host(standin: KubernetesStandIn) -> Iterator[ThreadedToolHost]:
    """The kubernetes server of mcp_servers.yaml, started the way a run starts it."""
    env = {"KUBERNETES_API_URL": standin.url, "KUBERNETES_TOKEN": TOKEN,
           "REPLAY_NOW": NOW.isoformat().replace("+00:00", "Z")}  # fmt: skip
    with ThreadedToolHost(lambda: open_tools(Settings(), env, only=["kubernetes"])) as started:
        yield started


def deps(host: ThreadedToolHost, settings: Settings) -> RunDeps:
    options = RunOptions(
        model_small="small", model_large="large",
        chat_models={"small": FakeListChatModel(responses=[READER]),
                     "large": FakeListChatModel(responses=[JUDGE])},
    )  # fmt: skip
    return build_deps(settings, host, {}, lambda: NOW, options)


async def read_cluster(run: RunDeps, name: str) -> Workload:
    """The deployment as an investigation reads it through the server."""
    target = {"name": name, "namespace": "prod"}
    dep = (await run.tools.call("kubernetes.describe_deployment", target)).data
    history = (await run.tools.call("kubernetes.rollout_history", target)).data
    current = next(r for r in history["revisions"] if r["current"])
    return Workload(
        namespace="prod", name=name, replicas=dep["replicas"], ready=dep["ready"],
        revision=history["current_revision"],
        revisions=tuple(r["revision"] for r in history["revisions"]),
        rolled_out_at=current["created_at"], images=tuple(dep["images"].values()),
    )  # fmt: skip


def proposed(*acts: ProposedAction) -> list[ProposedAction]:
    return [a.model_copy(update={"id": action_id("inc-k8s", a.tool, a.args)}) for a in acts]


Human = Callable[[Any], Any]


async def respond(
    run: RunDeps, settings: Settings, acts: list[ProposedAction], human: Human
) -> IncidentState:
    """The real graph, seeded as if root_cause had just proposed `acts` after reading the
    cluster; every approval question goes to `human`."""
    workloads = [await read_cluster(run, name) for name in ("orders-api", "payments")]
    state = incident(*workloads, actions=acts)
    config: Any = {"configurable": {"thread_id": state["incident_id"]}}
    async with sqlite_checkpointer(settings.checkpoint_db) as saver:
        graph = build_graph(fixed(run), saver)
        await graph.aupdate_state(config, state, as_node="root_cause")
        paused = await drive(graph, None, config, Context(approvals="ask"), RunOptions(ask=human))
        assert not paused
        return cast(IncidentState, (await graph.aget_state(config)).values)


async def execute_again(state: IncidentState, run: RunDeps) -> IncidentState:
    """The execute node once more on the finished incident (a resumed or repeated run)."""
    return await execute(state, run, Runtime(context=Context()))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(checkpoint_db=tmp_path / "checkpoints.sqlite")


def test_an_approved_rollback_runs_once_and_is_audited(
    standin: KubernetesStandIn, host: ThreadedToolHost, settings: Settings
) -> None:
    asked: list[dict[str, Any]] = []

    def dana(question: Any) -> Any:
        asked.append(question)
        return {"approved": True, "approver": "dana"}

    run = deps(host, settings)
    (act,) = proposed(rollback())
    final = asyncio.run(respond(run, settings, [act], dana))

    (question,) = asked
    assert question["tool"] == "rollback_deployment"
    assert "previous-revision: ok: rolls back from revision 3 to 2" in question["checks"]
    decision = next(d for d in final["decisions"] if d.action_id == act.id)
    assert (decision.verdict, decision.policy_verdict) == ("needs_approval", "needs_approval")
    assert decision.rules == ("rollback-needs-approval", "quarantine:instructions-undeterminable")
    assert decision.answers["privileged.reason"] == "fits-the-goal"  # the scripted judge's
    (outcome,) = final["outcomes"]
    assert (outcome.action_id, outcome.executed, outcome.status) == (act.id, True, "success")
    assert "rolled back to revision 2" in outcome.detail
    (write,) = standin.writes
    assert (write.kind, write.namespace, write.name, write.revision) == (
        "rollback_deployment",
        "prod",
        "orders-api",
        4,
    )  # fmt: skip  (revision 2's ReplicaSet comes back as revision 4)
    after = asyncio.run(read_cluster(run, "orders-api"))
    assert (after.revision, after.images) == (4, ("orders-api:1.2",))

    again = asyncio.run(execute_again(final, run))
    assert again["outcomes"] == [] and len(standin.writes) == 1, "executed exactly once"

    rows = AuditStore(settings.audit_db).rows("inc-k8s")
    (audited,) = [r for r in rows if r["action_id"] == act.id]
    answer = (audited["verdict"], audited["approved"], audited["approver"])
    assert answer == ("needs_approval", True, "dana")
    assert audited["args"] == {"name": "orders-api", "namespace": "prod"}
    cluster_check = "deployment-in-cluster: ok: prod/orders-api runs revision 3, 1/3 ready"
    assert cluster_check in audited["checks"]


def test_denied_and_blocked_rollbacks_never_reach_the_cluster(
    standin: KubernetesStandIn, host: ThreadedToolHost, settings: Settings
) -> None:
    asked: list[dict[str, Any]] = []

    def no(question: Any) -> Any:
        asked.append(question)
        return {"approved": False, "approver": "dana"}

    acts = proposed(rollback(), rollback(name="payments"), scale(0))
    final = asyncio.run(respond(deps(host, settings), settings, acts, no))

    assert [q["action_id"] for q in asked] == [acts[0].id]  # only the one the gate let through
    verdicts = {d.action_id: (d.verdict, d.rules[0]) for d in final["decisions"]}
    assert verdicts[acts[0].id] == ("needs_approval", "rollback-needs-approval")
    assert verdicts[acts[1].id] == ("blocked", "inventory:workload-in-alert")
    assert verdicts[acts[2].id] == ("blocked", "inventory:replicas-in-bounds")
    assert final.get("outcomes", []) == []
    assert standin.writes == []
    rows = {r["action_id"]: r for r in AuditStore(settings.audit_db).rows("inc-k8s")}
    assert (rows[acts[0].id]["approved"], rows[acts[0].id]["approver"]) == (False, "dana")
    assert rows[acts[1].id]["verdict"] == rows[acts[2].id]["verdict"] == "blocked"
