"""The history of a failing file: a change from before the window that wrote the line the
errors fail at (`investigate._blame`), read through GitHub's commit list by path."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.root_cause import correlate, evidence
from agents.root_cause.change import Change
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import DeployMarker, ErrorSignal, Frame
from agents.root_cause.investigate import _blame
from agents.root_cause.score import Incident, score
from tests.test_sources import FakeTools

T0 = datetime(2028, 2, 29, 0, 5, tzinfo=UTC)
SINCE = T0 - timedelta(hours=72)
REPO = "acme/billing"
FILE = "billing/proration.py"
WROTE = (
    "@@ -30,3 +30,6 @@ from decimal import Decimal\n def prorate(amount, start, end):\n"
    "+    days_in_period = (end - start).days - 29 * (start.month == 2)\n"
    "+    days_used = (date.today() - start).days\n"
    "+    share = Decimal(days_used) / days_in_period\n+    return amount * share\n"
)
TOUCHED = "@@ -1,2 +1,3 @@\n from datetime import date\n+from decimal import ROUND_HALF_UP\n"
FRAME = Frame(
    "/srv/billing/proration.py", 35, "prorate", "share = Decimal(days_used) / days_in_period"
)
ERROR = ErrorSignal("ZeroDivisionError", "division by zero", frames=(FRAME,))


def _commit(sha: str, message: str, days: float) -> dict[str, Any]:
    return {"sha": sha, "message": message, "author": "dev",
            "date": (T0 - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip


def tools(history: list[dict[str, Any]]) -> FakeTools:
    def commits(args: dict[str, Any]) -> dict[str, Any]:
        return {"commits": history if args.get("path") == FILE else []}

    details = {212: WROTE, 219: TOUCHED}
    return FakeTools({
        "github.list_commits": commits,
        "github.get_pull_request": lambda a: {"body": "", "file_diffs": [
            {"filename": FILE, "patch": details[a["number"]]}]},
        "github.get_commit": lambda a: {"message": "", "file_diffs": [
            {"filename": FILE, "patch": TOUCHED}]},
    })  # fmt: skip


def incident(**more: Any) -> Incident:
    values: dict[str, Any] = {
        "start": T0, "onset": T0, "symptoms": frozenset({"errors"}), "markers": (),
        "errors": (ERROR,), "texts": ("ZeroDivisionError division by zero",),
        "service_repo": REPO,
    }  # fmt: skip
    return Incident(**{**values, **more})


def blame(fake: FakeTools, changes: list[Change] | None = None) -> list[Change]:
    read = [(c, change_facts(c.ref, list(c.files), c.patches)) for c in changes or []]
    found = asyncio.run(_blame(fake, REPO, incident(), read, SINCE, evidence.Bundle()))  # type: ignore[arg-type]
    assert all(facts == change_facts(c.ref, list(c.files), c.patches) for c, facts in found)
    return [c for c, _ in found]


def test_the_change_that_wrote_the_failing_line_is_found_in_the_files_history() -> None:
    fake = tools([_commit("b" * 40, "Tidy imports (#219)", 12),
                  _commit("a" * 40, "Prorate by calendar days (#212)", 40)])  # fmt: skip
    [found] = blame(fake)
    assert (found.ref, found.number, found.title) == ("PR #212", 212, "Prorate by calendar days")
    asked = fake.asked("github.list_commits")
    assert [a["path"] for a in asked] == ["srv/billing/proration.py", FILE]
    assert asked[0]["until"] == evidence.iso(SINCE)  # before the window: the window was read
    assert asked[0]["since"] == evidence.iso(SINCE - evidence.HISTORY)
    facts = change_facts(found.ref, list(found.files), found.patches)
    tied = score(found, facts, incident())
    assert any(r.startswith(f"the errors fail at a line it wrote ({FILE}:")
               for r in tied.reasons)  # fmt: skip
    assert tied.score >= 0.5


def test_no_history_read_when_a_change_in_the_window_wrote_the_line_or_nothing_wrote_it() -> None:
    fake = tools([_commit("a" * 40, "Prorate by calendar days (#212)", 40)])
    recent = Change("pr", REPO, "PR #230", 230, "c" * 40, "prorate", "dev", T0 - timedelta(hours=5),
                    (FILE,), {FILE: WROTE})  # fmt: skip
    assert blame(fake, [recent]) == [] and fake.asked("github.list_commits") == []
    only_touched = tools([_commit("b" * 40, "Tidy imports (#219)", 12)])
    assert blame(only_touched) == []  # it touched the file, not the failing line
    library = replace(ERROR, frames=(Frame("django/core/handlers/base.py", 197, code="x = y()"),))
    quiet = tools([])
    asyncio.run(_blame(quiet, REPO, incident(errors=(library,)), [], SINCE, evidence.Bundle()))
    assert quiet.asked("github.list_commits") == []  # a library's file has no history here


def test_repo_paths_and_the_line_a_change_wrote_at_a_frame() -> None:
    assert correlate.repo_paths(Frame("src/main/java/acme/Quote.java")) == [
        "src/main/java/acme/Quote.java",
        "main/java/acme/Quote.java",
        "java/acme/Quote.java",
    ]
    assert correlate.repo_paths(Frame("Quote.java")) == []
    assert correlate.repo_paths(Frame("/usr/local/lib/python3.12/site-packages/x/y.py")) == []
    facts = change_facts("PR #212", [FILE], {FILE: WROTE})
    assert correlate.wrote_frame(facts, FRAME).line == 33  # type: ignore[union-attr]
    assert correlate.wrote_frame(facts, replace(FRAME, code="return amount * Decimal(1)")) is None


def test_a_line_that_waited_gives_way_when_a_sudden_onset_came_right_after_another_deploy() -> None:
    old = Change("pr", REPO, "PR #212", 212, "a" * 40, "prorate", "dev", T0 - timedelta(days=3),
                 (FILE,), {FILE: WROTE})  # fmt: skip
    facts = change_facts(old.ref, list(old.files), old.patches)
    other = DeployMarker(T0 - timedelta(minutes=12), "deploy invoices-api 9f8e7d6 (#88)",
                         sha="9f8e7d6")  # fmt: skip
    quiet = score(old, facts, incident(abrupt=True))
    after = score(old, facts, incident(abrupt=True, markers=(other,)))
    slow = score(old, facts, incident(abrupt=False, markers=(other,)))
    assert any(r.startswith("the errors fail at a line it wrote") for r in quiet.reasons)
    assert any(r.startswith("the errors fail at a line it wrote") for r in slow.reasons)
    assert not any(r.startswith("the errors fail at a line it wrote") for r in after.reasons)
    assert any("right after another deploy" in r for r in after.reasons)
    assert after.score < quiet.score
