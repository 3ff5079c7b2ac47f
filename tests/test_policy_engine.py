# ruff: noqa: E501  (tables of test data read best one case per line)
"""The policy engine: each condition and limit, inventory checks, deny by default, and
policy files that are missing or invalid blocking everything."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from policies.engine import load_policy, parse_policy
from policies.inventory import validate
from tests.conftest import ROOT
from tests.policy_fixtures import CHOSEN, START, TRUSTED, action, inventory, policy, revert

ONE_RULE = (
    "version: 2\nrules:\n  - id: r\n    action: {action}\n    verdict: allowed\n    when: {when}\n"
)


def decide(tmp_path: Path, when: str, act: object, tool: str = "", **inv: object) -> str:
    text = ONE_RULE.format(action=tool or act.tool, when=when)  # type: ignore[attr-defined]
    verdict, rules = policy(tmp_path, text).decide(act, inventory(**inv))  # type: ignore[arg-type]
    assert rules == (("r",) if verdict == "allowed" else ("default-deny",))
    return verdict


def test_no_matching_rule_is_blocked_by_default_deny(tmp_path: Path) -> None:
    p = policy(tmp_path, ONE_RULE.format(action="post_message", when="{}"))
    assert p.decide(revert(), inventory()) == ("blocked", ("default-deny",))


def test_first_matching_rule_decides_and_is_recorded(tmp_path: Path) -> None:
    text = """version: 2
rules:
  - {id: first, action: revert_pull_request, verdict: needs_approval}
  - {id: second, action: revert_pull_request, verdict: allowed}
"""
    assert policy(tmp_path, text).decide(revert(), inventory()) == ("needs_approval", ("first",))


def test_wildcard_action(tmp_path: Path) -> None:
    p = policy(
        tmp_path, "version: 2\nrules:\n  - {id: all, action: '*', verdict: needs_approval}\n"
    )
    assert p.decide(revert(), inventory())[0] == "needs_approval"


def test_owning_channel(tmp_path: Path) -> None:
    own = action("post_message", channel="#oncall-backend", text="x")
    other = action("post_message", channel="#platform-team", text="x")
    assert decide(tmp_path, "{owning_channel: true}", own) == "allowed"
    assert decide(tmp_path, "{owning_channel: true}", other) == "blocked"


@pytest.mark.parametrize(
    ("match", "allowed"),
    [("{equals: 847}", True), ("{equals: 848}", False), ("{in: [1, 847]}", True),
     ("{not_in: [847]}", False), ("{matches: '8\\d\\d'}", True), ("{matches: '9.*'}", False)],
)  # fmt: skip
def test_argument_conditions(tmp_path: Path, match: str, allowed: bool) -> None:
    verdict = decide(tmp_path, f"{{args: {{pr: {match}}}}}", revert())
    assert verdict == ("allowed" if allowed else "blocked")


def test_argument_condition_on_a_missing_argument_does_not_hold(tmp_path: Path) -> None:
    assert decide(tmp_path, "{args: {title: {equals: x}}}", revert()) == "blocked"


def test_provenance(tmp_path: Path) -> None:
    chosen, ruled = revert(origin=CHOSEN), revert(origin=TRUSTED)
    assert decide(tmp_path, "{provenance: trusted}", chosen) == "blocked"
    assert decide(tmp_path, "{provenance: trusted}", ruled) == "allowed"
    assert decide(tmp_path, "{provenance: untrusted}", chosen) == "allowed"
    tainted_arg = revert(origin=TRUSTED, provenance={"pr": CHOSEN})
    assert decide(tmp_path, "{provenance: trusted}", tainted_arg) == "blocked"


def test_environment_and_tier_from_trusted_inventory(tmp_path: Path) -> None:
    assert decide(tmp_path, "{environment: [prod]}", revert()) == "allowed"
    assert decide(tmp_path, "{environment: [staging]}", revert()) == "blocked"
    assert decide(tmp_path, "{environment: [prod]}", revert(), environment=None) == "blocked"
    unsaid = "{environment: [prod, unknown]}"  # a rule may name alerts that say no environment
    assert decide(tmp_path, unsaid, revert(), environment=None) == "allowed"
    assert decide(tmp_path, unsaid, revert(), environment="staging") == "blocked"
    assert decide(tmp_path, "{tier: [1]}", revert()) == "allowed"
    assert decide(tmp_path, "{tier: [2, 3]}", revert()) == "blocked"


def test_time_window_on_the_incidents_clock(tmp_path: Path) -> None:
    now = START.replace(hour=10, minute=20)  # Saturday 10:20 UTC
    assert decide(tmp_path, "{hours: '09:00-18:00'}", revert(), now=now) == "allowed"
    assert decide(tmp_path, "{hours: '18:00-09:00'}", revert(), now=now) == "blocked"
    night = now.replace(hour=23)
    assert decide(tmp_path, "{hours: '18:00-09:00'}", revert(), now=night) == "allowed"
    assert decide(tmp_path, "{days: [mon, tue, wed, thu, fri]}", revert(), now=now) == "blocked"
    monday = now + timedelta(days=2)
    assert decide(tmp_path, "{days: [mon, tue, wed, thu, fri]}", revert(), now=monday) == "allowed"


def test_blast_radius(tmp_path: Path) -> None:
    assert decide(tmp_path, "{max_blast_radius: 25}", revert(847)) == "allowed"  # 2 files
    assert decide(tmp_path, "{max_blast_radius: 25}", revert(850)) == "blocked"  # 80 files
    one = action("restart_deployment", name="orders-api", namespace="prod")
    every = action("restart_deployment", name="*", namespace="prod")
    assert decide(tmp_path, "{max_blast_radius: 1}", one) == "allowed"
    assert decide(tmp_path, "{max_blast_radius: 1}", every) == "blocked"


def test_rate_limits_per_incident_and_per_hour(tmp_path: Path) -> None:
    text = """version: 2
rules:
  - {id: r, action: revert_pull_request, verdict: allowed, limit: {per_incident: 1, per_hour: 3}}
"""
    p, inv = policy(tmp_path, text), inventory()
    assert p.decide(revert(), inv, lambda _r: (0, 2)) == ("allowed", ("r",))
    assert p.decide(revert(), inv, lambda _r: (1, 0)) == (
        "blocked",
        ("r", "r:rate-limit-per-incident"),
    )
    assert p.decide(revert(), inv, lambda _r: (0, 3)) == ("blocked", ("r", "r:rate-limit-per-hour"))


@pytest.mark.parametrize(
    ("act", "failed"),
    [
        (revert(999), "pr-known"),
        (revert(12, "acme/billing"), "service-repo"),
        (revert(700), "merged-in-window"),
        (action("post_message", channel="#general", text="x"), "channel-in-catalog"),
        (action("restart_deployment", name="payments", namespace="prod"), "workload-in-alert"),
        (action("restart_deployment", name="orders-api", namespace="kube-system"), "namespace-of-alert"),
        (action("create_issue", repo="evil/repo", title="x"), "service-repo"),
        (action("revert_pull_request", pr="847", repo="acme/orders-api"), "arguments"),
        (action("revert_pull_request", pr=True, repo="acme/orders-api"), "arguments"),
        (action("post_message", channel="#oncall-backend"), "arguments"),
        (action("delete_repository", repo="acme/orders-api"), "known-action"),
    ],
)  # fmt: skip
def test_inventory_checks_reject_targets_outside_trusted_inventory(
    act: object, failed: str
) -> None:
    checks = validate(act, inventory())  # type: ignore[arg-type]
    assert [c.id for c in checks if not c.ok][0] == failed


def test_the_culprit_passes_every_inventory_check() -> None:
    checks = validate(revert(), inventory())
    assert [c.id for c in checks] == ["arguments", "pr-known", "service-repo", "merged-in-window"]
    assert all(c.ok for c in checks)


def test_a_revert_in_a_repo_the_service_depends_on_passes_but_nothing_else_there() -> None:
    inv = inventory(upstream={"acme/billing": "billing"})
    checks = validate(revert(12, "acme/billing"), inv)
    repo = next(c for c in checks if c.id == "service-repo")
    assert repo.ok and "acme/billing is the repository of billing, which orders-api depends on" in (
        repo.detail
    )
    merge = action("merge_pull_request", pr=12, repo="acme/billing")
    assert not next(c for c in validate(merge, inv) if c.id == "service-repo").ok
    issue = action("create_issue", repo="acme/billing", title="x")
    assert not next(c for c in validate(issue, inv) if c.id == "service-repo").ok
    assert not next(c for c in validate(revert(12, "acme/billing"), inventory())
                    if c.id == "service-repo").ok  # fmt: skip


def test_missing_policy_file_blocks_everything_and_says_why(tmp_path: Path) -> None:
    p = load_policy(tmp_path / "nope.yaml")
    assert p.error is not None and "not found" in p.error and "every mutation is blocked" in p.error
    notify = action("post_message", channel="#oncall-backend", text="x")
    assert p.decide(notify, inventory()) == ("blocked", ("policy-unavailable",))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("version: 2\nrules: [{id: a, action: post_message, verdict: allowed}]\n  bad: [", "not valid YAML"),
        ("version: 1\nrules: []\n", "version"),
        ("version: 2\nrules:\n  - {id: a, action: merge_pr, verdict: allowed}\n", "rules[0] (id a).action"),
        ("version: 2\nrules:\n  - {id: a, action: post_message, verdict: yes}\n", "rules[0] (id a).verdict"),
        ("version: 2\nrules:\n  - {id: a, action: post_message, verdict: allowed, when: {colour: red}}\n", "colour"),
        ("version: 2\nrules:\n  - {id: a, action: post_message, verdict: allowed, when: {hours: '9-5'}}\n", "hours"),
        ("version: 2\nrules:\n  - {id: a, action: post_message, verdict: allowed, when: {args: {x: {matches: '('}}}}\n", "matches"),
        ("version: 2\nrules:\n  - {id: a, action: post_message, verdict: allowed}\n  - {id: a, action: create_issue, verdict: allowed}\n", "unique"),
    ],
)  # fmt: skip
def test_invalid_policy_blocks_everything_and_names_the_problem(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    p = load_policy(path)
    assert p.error is not None and says in p.error and str(path) in p.error
    assert p.decide(revert(), inventory()) == ("blocked", ("policy-unavailable",))


def test_the_default_policy_is_valid_and_asks_before_reverting_the_culprit() -> None:
    parsed = parse_policy(ROOT / "policies/default.yaml")
    assert {r.action for r in parsed.rules} >= {"post_message", "revert_pull_request"}
    p = load_policy(ROOT / "policies/default.yaml")
    assert p.decide(revert(), inventory())[0] == "needs_approval"
    merge = action("merge_pull_request", pr=847, repo="acme/orders-api")
    assert p.decide(merge, inventory()) == ("blocked", ("never-merge",))


def test_a_revert_reaches_back_as_far_as_the_investigation_read_never_past_the_longest() -> None:
    from core.state import RootCause
    from core.windows import CHANGE_WINDOW, LONGEST_WINDOW
    from policies.views import revert_window_start as window_start

    def cause(since: object) -> RootCause:
        return RootCause(kind="pr", pr=700, summary="s", confidence=0.5, decided_by="ranking",
                         changes_since=since)  # fmt: skip

    assert window_start(START, None) == START - CHANGE_WINDOW
    assert window_start(START, cause(None)) == START - CHANGE_WINDOW
    assert window_start(START, cause(START - timedelta(hours=5))) == START - CHANGE_WINDOW
    back = START - timedelta(days=10)  # a build-up from a deploy ten days before
    assert window_start(START, cause(back)) == back
    assert window_start(START, cause(START - timedelta(days=60))) == START - LONGEST_WINDOW
    older = inventory(window=(back, START))
    assert all(c.ok for c in validate(revert(700), older))  # merged 9 days before
    assert not all(c.ok for c in validate(revert(700), inventory()))
