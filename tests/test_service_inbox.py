"""The durable inbox on SQLite (WAL) and on the PostgreSQL running on loopback: what is
acknowledged is stored, groups and duplicates, one claim per incident, approvals once."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.ingest.logic import parse_alert
from core.state import RawAlert
from service.db import DatabaseError, open_database
from service.inbox import Inbox, Receipt
from service.jobs import Jobs, Pending
from service.queries import Queries
from service.queue import Dispatcher
from tests.service_support import alert_body, postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Inbox]:
    if request.param == "sqlite":
        box = Inbox(open_database(tmp_path / "inbox.sqlite", None), window_s=600)
        yield box
        box.close()
        return
    with postgres_database() as url:
        box = Inbox(open_database(tmp_path / "unused.sqlite", url), window_s=600)
        yield box
        box.close()


def send(inbox: Inbox, name: str, **changes: object) -> Receipt:
    body = json.dumps({**alert_body(name), **changes})
    raw = RawAlert.model_validate({"format": name.split("-")[0], "body": body})
    return asyncio.run(inbox.accept(raw, parse_alert(raw)))


def test_a_group_grows_dedups_and_resolves_in_one_incident(inbox: Inbox) -> None:
    first = send(inbox, "alertmanager-group-firing.json")
    again = send(inbox, "alertmanager-group-firing.json")
    grown = send(inbox, "alertmanager-group-grown.json")
    gone = send(inbox, "alertmanager-group-resolved.json")
    assert [r.outcome for r in (first, again, grown, gone)] == [
        "new",
        "duplicate",
        "joined",
        "resolved",
    ]
    assert {r.incident_id for r in (first, again, grown, gone)} == {first.incident_id}
    view = Queries(inbox).incident(str(first.incident_id))
    assert view is not None
    assert (view["alerts"], view["duplicates"], view["resolved"]) == (4, 1, True)
    assert len(view["fingerprints"]) == 3
    kinds = [entry["kind"] for entry in view["timeline"]]
    assert kinds.count("alert") == 4 and "alert_joined" in kinds and "resolved" in kinds
    assert send(inbox, "alertmanager-group-firing.json").incident_id != first.incident_id


def test_concurrent_duplicates_make_one_incident(inbox: Inbox) -> None:
    body = json.dumps(alert_body("grafana-firing.json"))
    raw = RawAlert(format="grafana", body=body)
    alert = parse_alert(raw)

    async def burst() -> list[Receipt]:
        return await asyncio.gather(*(inbox.accept(raw, alert) for _ in range(200)))

    receipts = asyncio.run(burst())
    assert len({r.incident_id for r in receipts}) == 1
    assert sorted(r.outcome for r in receipts).count("new") == 1
    assert len({r.alert_id for r in receipts}) == 200, "every send is stored"
    assert Queries(inbox).counts() == {"queued": 1}


def test_each_incident_is_claimed_by_one_worker_at_a_time(inbox: Inbox) -> None:
    for n in range(20):
        send(inbox, "grafana-firing.json", groupKey=f"group-{n}")
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        jobs = Jobs(inbox, owner=name)
        while (claim := jobs.claim()) is not None:
            with lock:
                claimed.append(claim.incident_id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 20 and len(set(claimed)) == 20
    assert Queries(inbox).counts() == {"running": 20}


def test_an_approval_is_answered_once_and_requeues_the_incident(inbox: Inbox) -> None:
    iid = str(send(inbox, "grafana-firing.json").incident_id)
    jobs = Jobs(inbox, owner="w1")
    assert jobs.claim() is not None
    asked = Pending("int-1", "revert-1", {"action_id": "revert-1", "tool": "revert_pull_request"})
    jobs.finish(iid, "awaiting_approval", {"severity": "high"}, "t" * 32, [asked])
    assert Queries(inbox).counts() == {"awaiting_approval": 1}
    assert asyncio.run(inbox.decide(iid, "nope", True, "dana", "api")) == "unknown"
    assert asyncio.run(inbox.decide(iid, "revert-1", True, "dana", "api")) == "decided"
    assert asyncio.run(inbox.decide(iid, "revert-1", False, "eve", "slack")) == "already_decided"
    claim = jobs.claim()
    assert claim is not None
    assert claim.decisions == {"int-1": {"approved": True, "approver": "dana", "role": None}}
    jobs.finish(iid, "completed", {}, "u" * 32, applied=["int-1"])
    view = Queries(inbox).incident(iid)
    assert view is not None and view["status"] == "completed"
    assert view["approvals"][0]["status"] == "applied"
    assert view["approvals"][0]["approver"] == "dana"
    assert view["trace_ids"] == ["t" * 32, "u" * 32]


def test_what_a_dead_process_left_running_is_queued_again(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite"
    first = Inbox(open_database(path, None), window_s=600)
    iid = send(first, "grafana-firing.json").incident_id
    assert Jobs(first, "old").claim() is not None
    first.close()  # as a crash leaves it: running, owned by a process that is gone
    second = Inbox(open_database(path, None), window_s=600)
    try:
        assert Jobs(second, "new").requeue_orphans() == [iid]
        claim = Jobs(second, "new").claim()
        assert claim is not None and claim.attempts == 2
    finally:
        second.close()


def test_one_sqlite_inbox_serves_one_process(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite"
    held = open_database(path, None)
    try:
        with pytest.raises(DatabaseError, match="in use by another `graph serve`"):
            open_database(path, None)
    finally:
        held.close()
    open_database(path, None).close()


def test_an_unreachable_postgres_is_named_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://someone:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(DatabaseError) as caught:
        open_database(tmp_path / "x.sqlite", url)
    assert "postgresql://someone@127.0.0.1/nowhere" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_postgres_queues_again_only_what_a_dead_service_left_running(tmp_path: Path) -> None:
    with postgres_database() as url:
        box = Inbox(open_database(tmp_path / "unused.sqlite", url), window_s=600)
        try:
            iid = send(box, "grafana-firing.json").incident_id
            alive, other = Jobs(box, owner="alive"), Jobs(box, owner="other")
            assert alive.start() == [] and other.start() == []
            assert alive.claim() is not None
            assert other.requeue_orphans() == [], "its owner still holds its lock"
            alive.stop()  # its connection closes, as when the process dies
            assert other.requeue_orphans() == [iid]
            claim = other.claim()
            assert claim is not None and claim.incident_id == iid
            other.stop()
        finally:
            box.close()


def test_a_task_claims_its_own_incident_only_when_it_may_run(inbox: Inbox) -> None:
    first = str(send(inbox, "grafana-firing.json", groupKey="a").incident_id)
    other = str(send(inbox, "grafana-firing.json", groupKey="b").incident_id)
    one, two = Jobs(inbox, owner="one"), Jobs(inbox, owner="two")
    one.start(), two.start()  # alive (PostgreSQL: each holds its liveness lock)
    claim = one.claim_id(first)
    assert claim is not None and claim.incident_id == first, "queued: this task runs it"
    assert two.claim_id(first) is None, "running under a live lease: a second delivery skips"
    assert one.claim_id("no-such-incident") is None
    one.finish(first, "completed", {}, None)
    assert two.claim_id(first) is None, "settled: nothing to run"
    assert Queries(inbox).counts() == {"completed": 1, "queued": 1}
    assert two.claim_id(other) is not None
    one.stop(), two.stop()


def test_a_dispatcher_sends_each_queued_incident_once_until_it_is_queued_anew(
    inbox: Inbox,
) -> None:
    critical = str(send(inbox, "alertmanager-group-firing.json").incident_id)
    other = str(send(inbox, "grafana-firing.json").incident_id)
    sent: list[tuple[str, str]] = []
    jobs = Jobs(inbox, owner="serve")
    dispatcher = Dispatcher(inbox, jobs, lambda iid, priority: sent.append((iid, priority)))
    assert dispatcher.dispatch() == 2 and dispatcher.dispatch() == 0, "sent once"
    assert dict(sent)[critical] == "critical" and dict(sent)[other] == "default"
    assert jobs.claim_id(critical) is not None
    jobs.release(critical)  # handed back (a stopping worker): queued anew
    assert dispatcher.dispatch() == 1 and sent[-1][0] == critical


def test_a_redelivered_task_takes_over_from_a_dead_worker_at_once(tmp_path: Path) -> None:
    with postgres_database() as url:
        box = Inbox(open_database(tmp_path / "unused.sqlite", url), window_s=600)
        try:
            iid = str(send(box, "grafana-firing.json").incident_id)
            doomed, other, third = (Jobs(box, owner=n) for n in ("doomed", "other", "third"))
            for jobs in (doomed, other, third):
                jobs.start()
            assert doomed.claim_id(iid) is not None
            assert other.claim_id(iid) is None, "its owner is alive, its lease current"
            doomed.stop()  # its connections close, as when the process is killed
            taken = other.claim_id(iid)
            assert taken is not None and taken.attempts == 2, "no wait for the lease to end"
            assert third.claim_id(iid) is None, "one of those who saw the dead owner wins"
            other.stop(), third.stop()
        finally:
            box.close()
