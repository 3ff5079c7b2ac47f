"""`graph serve --world db-pool-exhaustion` end to end over HTTP: an Alertmanager webhook
runs the incident graph (real MCP servers and Chromium, scripted models), the incident's
Slack thread gets the stages and Approve / Deny buttons, a signed click resumes the graph
and the revert runs once; a denial runs nothing; a resolved alert is posted."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.service_support import Running, kill_all, service_env, start_service, world_json

pytestmark = pytest.mark.integration

SLACK_SECRET = "pipeline-slack-secret"
CHANNEL = "#oncall-backend"


class World:
    def __init__(self, banner: str) -> None:
        found = re.search(r"GitHub (\S+) · Slack \S+ \(messages: (\S+)\)", banner)
        payload = re.search(r"--data @(\S+)", banner)
        assert found and payload, banner
        self.writes_url = f"{found[1]}/_world/writes"
        self.messages_url = found[2]
        self.payload: dict[str, Any] = json.loads(Path(payload[1]).read_text())

    def writes(self) -> list[dict[str, Any]]:
        return list(world_json(self.writes_url))

    def messages(self) -> list[dict[str, Any]]:
        return list(world_json(self.messages_url)["messages"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, World]]:
    state = tmp_path_factory.mktemp("pipeline")
    env = service_env(
        state, INCIDENT_GRAPH_SLACK_SIGNING_SECRET=SLACK_SECRET, INCIDENT_GRAPH_APPROVERS="U42,dana"
    )
    args = ["--world", "db-pool-exhaustion", "--workers", "1"]
    running = start_service(state / "serve.log", args, env)
    try:
        yield running, World(running.banner)
        assert running.stop() == 0
    finally:
        kill_all()


def send(service: Running, payload: dict[str, Any]) -> dict[str, Any]:
    with service.client() as client:
        done = client.post("/alerts/alertmanager", json=payload)
    assert done.status_code == 202, done.text
    return dict(done.json())


def thread(world: World, root_ts: str) -> list[dict[str, Any]]:
    return [m for m in world.messages() if m["thread_ts"] == root_ts]


def wait_for_thread(world: World, root_ts: str, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in m["text"] for m in thread(world, root_ts)):
            return
        time.sleep(0.2)
    raise AssertionError(
        f"no {text!r} in the thread: {[m['text'] for m in thread(world, root_ts)]}"
    )


def press(service: Running, button: dict[str, Any], user: str) -> httpx.Response:
    """What Slack sends when `user` clicks `button`: a signed form with a JSON payload."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "dana", "team_id": "T1"},
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "b",
                "value": button["value"],
                "type": "button",
                "action_ts": "1.2",
            }
        ],
        "container": {"type": "message"},
        "response_url": "https://hooks.slack.invalid/x",
    }
    body = httpx.QueryParams({"payload": json.dumps(payload)}).__str__().encode()
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SLACK_SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": str(signature),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    with httpx.Client(base_url=service.url, timeout=10) as client:
        return client.post("/slack/interactions", content=body, headers=headers)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["action_id"]: e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_a_slack_click_approves_the_revert_which_runs_once(served: tuple[Running, World]) -> None:
    service, world = served
    receipt = send(service, world.payload)
    assert receipt["outcome"] == "new"
    paused = service.wait_for(receipt["incident_id"], lambda i: i["status"] == "awaiting_approval")
    assert paused["channel"] == CHANNEL and paused["summary"]["root_cause"]["pr"] == 847
    assert not world.writes(), "nothing runs before the approval"
    root = service.wait_for(receipt["incident_id"], lambda i: i["slack_ts"] is not None)["slack_ts"]
    wait_for_thread(world, root, "approval needed")
    [message] = [m for m in world.messages() if m["ts"] == root]
    assert message["channel"] == CHANNEL and message["text"].startswith(":red_circle: CRITICAL")
    assert "acme/orders-api PR #847" in json.dumps(message["blocks"])
    stages = [m["text"] for m in thread(world, root)]
    # triage's own call (from the labels), raised by the investigation's evidence of impact
    assert any("*triage*" in t and "severity high" in t for t in stages), stages
    approve = buttons(message)["approve"]
    assert press(service, approve, user="U999").status_code == 403, "not an approver"
    clicked = press(service, approve, user="U42")
    assert clicked.status_code == 200, clicked.text
    done = service.wait_for(receipt["incident_id"], lambda i: i["status"] == "completed")
    [action] = done["summary"]["actions"]
    assert action["executed"] and action["approver"] == "dana (slack U42)"
    assert [w["kind"] for w in world.writes()] == ["revert_pull_request"]
    wait_for_thread(world, root, "approved by dana (slack U42) as approver (slack)")
    [updated] = [m for m in world.messages() if m["ts"] == root]
    assert updated["updated"] and not buttons(updated), "the buttons go once it is answered"
    assert press(service, approve, user="U42").status_code == 409, "answered already"
    assert any(m["thread_ts"] is None and m["ts"] != root for m in world.messages()), "notify"


def test_a_denial_runs_nothing_and_a_resolution_is_posted(served: tuple[Running, World]) -> None:
    service, world = served
    before = len(world.writes())
    payload = copy.deepcopy(world.payload)
    payload["groupKey"] += "/second"
    receipt = send(service, payload)
    iid = receipt["incident_id"]
    paused = service.wait_for(iid, lambda i: i["status"] == "awaiting_approval")
    action_id = paused["approvals"][0]["action_id"]
    with service.client() as client:
        denied = client.post(
            f"/incidents/{iid}/approvals/{action_id}", json={"approved": False, "approver": "dana"}
        )
    assert denied.status_code == 200, denied.text
    done = service.wait_for(iid, lambda i: i["status"] == "completed")
    assert done["summary"]["actions"][0]["executed"] is False
    assert done["summary"]["actions"][0]["approver"] == "dana"
    assert len(world.writes()) == before
    payload["status"] = "resolved"
    for alert in payload["alerts"]:
        alert.update(status="resolved", endsAt="2026-03-10T10:50:00Z")
    gone = send(service, payload)
    assert (gone["outcome"], gone["incident_id"]) == ("resolved", iid)
    resolved = service.wait_for(iid, lambda i: i["resolved"])
    wait_for_thread(world, resolved["slack_ts"], "resolved: the alert stopped firing")
    kinds = [t["kind"] for t in service.incident(iid)["timeline"]]
    assert kinds.count("alert") == 2 and "resolved" in kinds
