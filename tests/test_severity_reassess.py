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


def test_failures_another_table_counts_still_out_are_no_recovery() -> None:
    bursts = Onset(at(40), "failed calls", 0, 400, at(42), "b")  # the minute count fell back
    shares = [0.02] * 8 + [0.3, 0.4, 0.3, 0.7, 0.8, 0.75]  # every 5 minutes, out for 25
    ratio = Series("failure ratio 15m", "%", tuple(Point(at(5 * m), v)
                                                   for m, v in enumerate(shares)), "b")  # fmt: skip
    assert not page_impact([page("b", bursts, ratio)]).recovered
    calm = Series("failure ratio 15m", "%", tuple(
        Point(at(5 * m), v) for m, v in enumerate([0.02] * 8 + [0.3, 0.4] + [0.02] * 4)),
        "b")  # fmt: skip
    assert page_impact([page("b", bursts, calm)]).recovered
    # out for less than its own window: it may hold nothing but the one burst
    fresh = Series("failure ratio 15m", "%", tuple(Point(at(m), v)
                                                   for m, v in enumerate(shares)), "b")  # fmt: skip
    assert page_impact([page("b", bursts, fresh)]).recovered


def counts(name: str, values: list[float], caption: str = "api") -> Series:
    return Series(name, "", tuple(Point(at(m), v) for m, v in enumerate(values)), "b", caption)


def test_failures_and_calls_counted_side_by_side_give_the_error_ratio() -> None:
    calls = counts("POST /orders Count", [300, 310, 305, 290, 300, 298])
    failed = counts("POST /orders 5XX", [0, 0, 0, 120, 160, 150])
    assert page_impact([page("b", None, calls, failed)]).error_ratio == 53.33  # 160 / 300
    other = counts("GET /health Count", [300, 310, 305, 290, 300, 298])
    assert page_impact([page("b", None, other, failed)]).error_ratio is None  # not the same calls
    elsewhere = counts("POST /orders Count", [300, 310, 305, 290, 300, 298], caption="other")
    assert page_impact([page("b", None, elsewhere, failed)]).error_ratio is None
    few = counts("POST /orders Count", [3, 2, 4, 2, 3, 2])  # too few calls to say
    assert page_impact([page("b", None, few, counts("POST /orders 5XX", [0, 0, 0, 2, 2, 1]))
                        ]).error_ratio is None  # fmt: skip
