"""The prompt's fact lines: what failed before when deploys went out, each fact once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.root_cause.facts.types import DeployMarker, ErrorSignal, Notice, Onset, PageFacts
from agents.root_cause.investigate import FACT_LINES, fact_lines

T0 = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_onsets_errors_and_notices_come_before_deploys_and_each_deploy_once() -> None:
    cluster = PageFacts("kubernetes", "k", "cluster", markers=tuple(
        DeployMarker(at(-60 * h), "rollout", sha=f"{h:07x}") for h in range(1, 5)))  # fmt: skip
    board = PageFacts(
        "dashboard:0", "u", "board",
        onset=Onset(at(0), "5xx ratio", 0.1, 9.0, None, "dashboard:0"),
        markers=(DeployMarker(at(-60), "deploy", sha="0000001", pr=812),),
        errors=(ErrorSignal("HTTP 503", "request failed"),
                ErrorSignal("RequestLimitExceeded", "calls over the account's limit")),
        notices=(Notice("CloudCo", "cloud", "degraded", "elevated API errors in eu-1"),),
    )  # fmt: skip
    lines, ids = fact_lines([cluster, board])
    assert ids == ["kubernetes", "dashboard:0"]
    assert lines[0].startswith("onset 14:00 UTC: 5xx ratio")
    assert lines[1].startswith("error RequestLimitExceeded") and lines[2].startswith("error HTTP")
    assert lines[3].startswith("notice CloudCo")
    deploys = [line for line in lines if line.startswith("deploy")]
    assert len(deploys) == 4 and "#812" in deploys[0]  # the one naming the PR, not both


def test_the_same_error_on_two_pages_is_one_line_and_errors_leave_room() -> None:
    said = tuple(ErrorSignal(f"E{i}Error", f"failure {i}") for i in range(3))
    pages = [PageFacts(f"dashboard:{n}", "u", "t", errors=said) for n in range(4)]
    lines, _ = fact_lines(pages)
    assert [line.split(":")[0] for line in lines] == ["error E0Error", "error E1Error",
                                                      "error E2Error"]  # fmt: skip
    many = [PageFacts(f"dashboard:{n}", "u", "t", errors=(ErrorSignal(f"P{n}Error", "x"),),
                      notices=(Notice(f"V{n}", "vendor", "outage", "down"),))
            for n in range(8)]  # fmt: skip
    lines, _ = fact_lines(many)
    assert len(lines) == FACT_LINES
    assert sum(line.startswith("error") for line in lines) == 5  # the notices get the rest


def test_an_onset_names_what_moved_with_it_on_its_page() -> None:
    from agents.root_cause.facts.types import Point, Series

    def series(name: str, values: list[float]) -> Series:
        return Series(name, "", tuple(Point(at(5 * i - 60), v) for i, v in enumerate(values)), "d")

    flat = [10.0] * 24
    errors = series("5xx ratio", [0.1] * 12 + [6.0] * 12)
    inodes = series("scratch inodes used", [40.0] * 11 + [99.0] * 13)
    early = series("queue depth", [5.0] * 2 + [900.0] * 22)
    page = PageFacts("dashboard:0", "u", "t",
                     series=(errors, inodes, series("requests/s", flat), early),
                     onset=Onset(at(0), "5xx ratio", 0.1, 6.0, None, "dashboard:0"))  # fmt: skip
    [line], _ = fact_lines([page])
    assert "with it: scratch inodes used 40 → 99" in line
    assert "requests" not in line and "queue depth" not in line


def test_lines_that_would_overflow_the_prompts_budget_are_left_out_whole() -> None:
    from agents.root_cause.logic import FACT_CHARS

    long = tuple(ErrorSignal(f"Long{i}Error", "x" * 85) for i in range(5))
    said = tuple(Notice(f"Vendor{i}", "vendor", "outage", "y" * 100) for i in range(2))
    pages = [PageFacts(f"dashboard:{n}", "u", "t", errors=long, notices=said,
                       markers=(DeployMarker(at(-n), "deploy", sha=f"{n:07x}"),))
             for n in range(3)]  # fmt: skip
    lines, _ = fact_lines(pages)
    assert (
        sum(len(line) + 1 for line in lines)
        <= FACT_CHARS
        < sum(len(f"error Long{i}Error: {'x' * 85} [dashboard:0]") for i in range(5)) + 6 * 140
    )
    assert all(line.endswith("]") for line in lines)  # none cut: each keeps its evidence id
