"""Roles enforced by `graph serve` (a real process, scripted models, the scenario's world):
personal tokens for the API, view-only people, approvers per environment for the API and
Slack's buttons, the role recorded with the answer; a broken roles file stops every answer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service_support import Running, kill_all, service_env, start_service
from tests.test_service_pipeline import SLACK_SECRET, World, buttons, press, send

pytestmark = pytest.mark.integration

TOKENS = {"olly": "olly-token", "stan": "stan-token", "pat": "pat-token", "bot": "bot-token"}


def sha(person: str) -> str:
    return hashlib.sha256(TOKENS[person].encode()).hexdigest()


ROLES = f"""\
roles:
  observer: {{view: true}}
  hidden: {{view: false}}
  staging-dev: {{approve: ["*"]}}
  production: {{approve: [revert_pull_request]}}
people:
  olly: {{slack: U10, token_sha256: {sha("olly")}, environments: {{"*": observer}}}}
  stan: {{slack: U11, token_sha256: {sha("stan")}, environments: {{staging: staging-dev}}}}
  pat: {{slack: U12, token_sha256: {sha("pat")}, environments: {{production: production}}}}
  bot: {{token_sha256: {sha("bot")}, environments: {{"*": hidden}}}}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, World, Path]]:
    state = tmp_path_factory.mktemp("roles")
    roles = state / "roles.yaml"
    roles.write_text(ROLES)
    env = service_env(state, INCIDENT_GRAPH_SLACK_SIGNING_SECRET=SLACK_SECRET,
                      INCIDENT_GRAPH_ROLES_FILE=str(roles))  # fmt: skip
    running = start_service(state / "serve.log", ["--world", "db-pool-exhaustion"], env)
    try:
        yield running, World(running.banner), roles
        assert running.stop() == 0
    finally:
        kill_all()


def as_person(service: Running, person: str) -> httpx.Client:
    auth = {"Authorization": f"Bearer {TOKENS[person]}"}
    return httpx.Client(base_url=service.url, timeout=10, headers=auth)


def test_roles_decide_who_sees_and_who_approves_where(served: tuple[Running, World, Path]) -> None:
    service, world, _ = served
    assert "approvals: 4 person(s) in" in service.banner
    receipt = send(service, world.payload)
    iid = receipt["incident_id"]
    paused = service.wait_for(iid, lambda i: i["status"] == "awaiting_approval")
    [asked] = paused["approvals"]
    assert asked["request"]["environment"] == "production"
    path = f"/incidents/{iid}/approvals/{asked['action_id']}"

    with as_person(service, "olly") as olly, as_person(service, "bot") as bot:
        assert olly.get(f"/incidents/{iid}").status_code == 200, "observers see incidents"
        hidden = bot.get("/incidents")
        assert hidden.status_code == 403 and "may not view" in hidden.json()["detail"]
        refused = olly.post(path, json={"approved": True})
        assert refused.status_code == 403
        assert "olly's role in production (observer) may not approve" in refused.json()["detail"]
    with httpx.Client(base_url=service.url, headers={"Authorization": "Bearer guess"}) as anon:
        assert anon.get("/incidents").status_code == 401
    with as_person(service, "stan") as stan:
        elsewhere = stan.post(path, json={"approved": True})
        assert elsewhere.status_code == 403 and "stan has no role in production" in elsewhere.text
        posing = stan.post(path, json={"approved": True, "approver": "pat"})
        assert posing.status_code == 403 and "cannot answer as 'pat'" in posing.text
    root = service.incident(iid)["slack_ts"]
    message = next(m for m in world.messages() if m["ts"] == root)
    assert press(service, buttons(message)["approve"], user="U10").status_code == 403
    assert service.incident(iid)["status"] == "awaiting_approval", "nothing was recorded"

    with as_person(service, "pat") as pat:
        answered = pat.post(path, json={"approved": True})
    assert answered.status_code == 200, answered.text
    assert (answered.json()["approver"], answered.json()["role"]) == ("pat", "production")
    done = service.wait_for(iid, lambda i: i["status"] == "completed")
    [action] = done["summary"]["actions"]
    assert action["executed"] and (action["approver"], action["role"]) == ("pat", "production")
    assert done["approvals"][0]["role"] == "production" and done["approvals"][0]["via"] == "api"
    assert [w["kind"] for w in world.writes()] == ["revert_pull_request"]


def test_a_broken_roles_file_means_nobody_may_approve(tmp_path: Path) -> None:
    (tmp_path / "roles.yaml").write_text(
        "roles:\n  sre: {}\npeople:\n  al: {environments: {'*': sre-typo}}\n"
    )
    env = service_env(tmp_path, INCIDENT_GRAPH_ROLES_FILE=str(tmp_path / "roles.yaml"),
                      INCIDENT_GRAPH_APPROVERS="dana")  # fmt: skip
    catalog = str(Path(__file__).parents[1] / "scenarios/db-pool-exhaustion/scenario.yaml")
    running = start_service(tmp_path / "serve.log", ["--catalog", catalog, "--workers", "0"], env)
    try:
        assert "approvals: NOBODY may approve or deny actions" in running.banner
        assert "roles.yaml:4: people.al: unknown role 'sre-typo'" in running.banner
        with running.client() as client:
            answer = client.post("/incidents/x/approvals/y", json={"approved": True,
                                                                   "approver": "dana"})  # fmt: skip
        assert answer.status_code == 403 and "unknown role 'sre-typo'" in answer.json()["detail"]
        assert running.stop() == 0
    finally:
        running.kill()
