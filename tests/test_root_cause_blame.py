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
from agents.root_cause.facts.types import ErrorSignal, Frame
from agents.root_cause.investigate import _blame
from agents.root_cause.score import Incident, score
from tests.test_sources import FakeTools

T0 = datetime(2026, 3, 31, 0, 6, tzinfo=UTC)
SINCE = T0 - timedelta(hours=72)
REPO = "acme/permits"
WROTE = (
    "@@ -8,3 +8,6 @@ from datetime import date\n def add_months(d, months):\n"
    "+    month_index = d.month - 1 + months\n+    year = d.year + month_index // 12\n"
    "+    month = month_index % 12 + 1\n+    return d.replace(year=year, month=month)\n"
)
TOUCHED = "@@ -1,2 +1,3 @@\n from datetime import date\n+from decimal import Decimal\n"
FRAME = Frame(
    "/app/permits/periods.py", 15, "add_months", "return d.replace(year=year, month=month)"
)
ERROR = ErrorSignal("ValueError", "day is out of range for month", frames=(FRAME,))


def _commit(sha: str, message: str, days: float) -> dict[str, Any]:
    return {"sha": sha, "message": message, "author": "dev",
            "date": (T0 - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip


def tools(history: list[dict[str, Any]]) -> FakeTools:
    def commits(args: dict[str, Any]) -> dict[str, Any]:
        return {"commits": history if args.get("path") == "permits/periods.py" else []}

    details = {612: WROTE, 619: TOUCHED}
    return FakeTools({
        "github.list_commits": commits,
        "github.get_pull_request": lambda a: {"body": "", "file_diffs": [
            {"filename": "permits/periods.py", "patch": details[a["number"]]}]},
        "github.get_commit": lambda a: {"message": "", "file_diffs": [
            {"filename": "permits/periods.py", "patch": TOUCHED}]},
    })  # fmt: skip


def incident(**more: Any) -> Incident:
    values: dict[str, Any] = {
        "start": T0, "onset": T0, "symptoms": frozenset({"errors"}), "markers": (),
        "errors": (ERROR,), "texts": ("ValueError day is out of range for month",),
        "service_repo": REPO,
    }  # fmt: skip
    return Incident(**{**values, **more})


def blame(fake: FakeTools, changes: list[Change] | None = None) -> list[Change]:
    return asyncio.run(_blame(fake, REPO, incident(), changes or [], SINCE, evidence.Bundle()))


def test_the_change_that_wrote_the_failing_line_is_found_in_the_files_history() -> None:
    fake = tools([_commit("b" * 40, "Tidy imports (#619)", 19),
                  _commit("a" * 40, "Calendar-month periods (#612)", 26)])  # fmt: skip
    [found] = blame(fake)
    assert (found.ref, found.number, found.title) == ("PR #612", 612, "Calendar-month periods")
    asked = fake.asked("github.list_commits")
    assert [a["path"] for a in asked] == ["app/permits/periods.py", "permits/periods.py"]
    assert asked[0]["until"] == evidence.iso(SINCE)  # before the window: the window was read
    assert asked[0]["since"] == evidence.iso(SINCE - evidence.HISTORY)
    facts = change_facts(found.ref, list(found.files), found.patches)
    tied = score(found, facts, incident())
    assert any(r.startswith("the errors fail at a line it wrote (permits/periods.py:")
               for r in tied.reasons)  # fmt: skip
    assert tied.score >= 0.5


def test_no_history_read_when_a_change_in_the_window_wrote_the_line_or_nothing_wrote_it() -> None:
    fake = tools([_commit("a" * 40, "Calendar-month periods (#612)", 26)])
    recent = Change("pr", REPO, "PR #640", 640, "c" * 40, "periods", "dev", T0 - timedelta(hours=5),
                    ("permits/periods.py",), {"permits/periods.py": WROTE})  # fmt: skip
    assert blame(fake, [recent]) == [] and fake.asked("github.list_commits") == []
    only_touched = tools([_commit("b" * 40, "Tidy imports (#619)", 19)])
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
    facts = change_facts("PR #612", ["permits/periods.py"], {"permits/periods.py": WROTE})
    assert correlate.wrote_frame(facts, FRAME).line == 12  # type: ignore[union-attr]
    assert correlate.wrote_frame(facts, replace(FRAME, code="return d + timedelta(days=1)")) is None
