"""The audit store on SQLite and on the loopback PostgreSQL (shared by every worker):
decisions and answers once, per-hour counts across processes, and a mutation's idempotency
key written before its tool is called."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.state import Approval, GateDecision
from policies.audit import AuditStore
from tests.service_support import postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[AuditStore, AuditStore]]:
    """Two stores on one database, as two workers see it."""
    if request.param == "sqlite":
        yield AuditStore(tmp_path / "audit.sqlite"), AuditStore(tmp_path / "audit.sqlite")
        return
    with postgres_database() as url:
        yield AuditStore(tmp_path / "unused", url), AuditStore(tmp_path / "unused", url)


def decision(action_id: str, verdict: str, rules: tuple[str, ...]) -> GateDecision:
    return GateDecision(action_id=action_id, tool="revert_pull_request", verdict=verdict,  # type: ignore[arg-type]
                        rules=rules, args={"pr": 1})  # fmt: skip


def test_decisions_answers_and_limits_are_shared(stores: tuple[AuditStore, AuditStore]) -> None:
    one, two = stores
    one.record_decision("inc-1", decision("a1", "allowed", ("revert-ok",)), "t1")
    two.record_decision("inc-1", decision("a1", "blocked", ("other",)), "t2")  # first stands
    two.record_decision("inc-2", decision("a2", "needs_approval", ("revert-ok", "x")), None)
    assert one.let_through("revert-ok") == 1, "the one waiting for approval is not counted"
    at = datetime(2026, 3, 10, tzinfo=UTC)
    one.record_approval("inc-2", Approval(action_id="a2", approved=True, approver="dana",
                                          at=at, role="sre"))  # fmt: skip
    assert two.let_through("revert-ok") == 2 and two.let_through("x") == 1
    assert two.let_through("revert") == 0, "a rule id, not a prefix"
    rows = {r["action_id"]: r for r in two.rows()}
    assert rows["a1"]["verdict"] == "allowed" and rows["a1"]["trace_id"] == "t1"
    assert (rows["a2"]["approver"], rows["a2"]["approver_role"]) == ("dana", "sre")
    assert [r["action_id"] for r in one.rows("inc-2")] == ["a2"]


def test_a_mutation_is_started_at_most_once(stores: tuple[AuditStore, AuditStore]) -> None:
    one, two = stores
    assert one.begin_mutation("inc-1", "a1", "revert_pull_request") is None, "go ahead"
    again = two.begin_mutation("inc-1", "a1", "revert_pull_request")
    assert again is not None and abs(again - datetime.now(UTC).timestamp()) < 60
    assert two.begin_mutation("inc-2", "a1", "revert_pull_request") is None, "another incident"
