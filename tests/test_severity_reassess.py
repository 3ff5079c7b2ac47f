"""Severity from the evidence (`agents.root_cause.severity`): what the pages measure, and a
recovery only when every problem series the pages show came back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.root_cause.facts.types import Onset, PageFacts, Point, Series
from agents.root_cause.severity import page_impact

T0 = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def page(source: str, onset: Onset | None, *series: Series) -> PageFacts:
    return PageFacts(source, "u", "t", series=series, onset=onset)


DIP = Onset(at(0), "Ready", 6, 3, at(1), "a")  # back within a minute
ERRORS = Onset(at(20), "5xx ratio", 0.2, 93, None, "b")  # still up


def test_a_dip_that_came_back_while_errors_go_on_is_no_recovery() -> None:
    ratio = Series(
        "5xx ratio", "%", tuple(Point(at(m), v) for m, v in ((19, 0.2), (25, 93.0))), "b"
    )
    impact = page_impact([page("a", DIP), page("b", ERRORS, ratio)])
    assert not impact.recovered
    assert impact.error_ratio == 93.0


def test_every_problem_series_back_is_a_recovery() -> None:
    back = Onset(at(20), "5xx ratio", 0.2, 9, at(26), "b")
    assert page_impact([page("a", DIP), page("b", back)]).recovered
    assert page_impact([page("a", DIP)]).recovered
    assert not page_impact([page("b", ERRORS)]).recovered
    assert not page_impact([]).recovered
