"""page_facts: reading a snapshot, times, time series and the onset.

Every snapshot here is written for the test (invented services and hosts), in the shape the
Playwright MCP server's `browser_snapshot` returns. The builders are shared with the other
`test_page_facts_*` modules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.root_cause.facts.numbers import quantity
from agents.root_cause.facts.onset import classify, client_side, departure, page_onset
from agents.root_cause.facts.pages import page_facts
from agents.root_cause.facts.tables import series, time_tables
from agents.root_cause.facts.times import Clock, all_times, clock_for, first_time
from agents.root_cause.facts.tree import parse
from agents.root_cause.facts.types import Point, Series

ALERT = datetime(2025, 6, 3, 11, 30, tzinfo=UTC)  # a Tuesday
URL = "https://grafana.example.net/d/svc-alpha"


def q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def snap(*blocks: str, title: str = "") -> str:
    """A browser_snapshot reply: optional page header, then the ```yaml tree."""
    head = f"### Page\n- Page URL: {URL}\n- Page Title: {title}\n" if title else ""
    body = "\n".join(["- generic [active] [ref=e1]:", *blocks])
    return f"{head}### Snapshot\n```yaml\n{body}\n```\n"


def text(*lines: str) -> str:
    return "\n".join(f"  - generic [ref=x{i}]: {q(line)}" for i, line in enumerate(lines))


def heading(title: str, level: int = 2) -> str:
    return f"  - heading {q(title)} [level={level}] [ref=h1]"


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["  - table [ref=t1]:", "    - rowgroup [ref=t2]:"]
    if header:
        out.append("      - row [ref=t3]:")
        out += [f"        - columnheader {q(h)} [ref=c{i}]" for i, h in enumerate(header)]
    out.append("    - rowgroup [ref=t4]:")
    for r, row in enumerate(rows):
        out.append(f"      - row [ref=r{r}]:")
        for c, cell in enumerate(row):
            out.append(
                f"        - cell {q(cell)} [ref=r{r}c{c}]"
                if cell
                else f"        - cell [ref=r{r}c{c}]"
            )
    return "\n".join(out)


def minutes(start: str, values: list[str], step: int = 1) -> list[str]:
    """Row times HH:MM from start, step minutes apart, one per value."""
    hour, minute = map(int, start.split(":"))
    out = []
    for i in range(len(values)):
        total = hour * 60 + minute + i * step
        out.append(f"{total // 60 % 24:02d}:{total % 60:02d}")
    return out


def rows(start: str, *columns: list[str], step: int = 1) -> list[list[str]]:
    times = minutes(start, columns[0], step)
    return [[t, *(col[i] for col in columns)] for i, t in enumerate(times)]


def at(hhmm: str, day: int = 3) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2025, 6, day, hour, minute, tzinfo=UTC)


def make_series(name: str, values: list[float], unit: str = "") -> Series:
    points = tuple(
        Point(at(t), v) for t, v in zip(minutes("10:00", [""] * len(values)), values, strict=True)
    )
    return Series(name=name, unit=unit, points=points, source="dashboard:0")


# --- the snapshot tree ----------------------------------------------------------------------


def test_tree_keeps_quoted_cells_and_empty_cells() -> None:
    yaml = "\n".join(
        [
            "  - table [ref=t1]:",
            "    - rowgroup [ref=t2]:",
            "      - row [ref=t3]:",
            '        - columnheader "Time" [ref=c1]',
            '        - columnheader "Note" [ref=c2]',
            '        - columnheader "Errors" [ref=c3]',
            "      - row [ref=t4]:",
            '        - cell "11:00" [ref=a]',
            "        - cell [ref=b]",
            '        - cell "3" [ref=c]',
            "      - row [ref=t5]:",
            '        - cell "11:01" [ref=d]',
            "        - 'cell \"deploy: svc-alpha ''blue''\" [ref=e]'",
            "        - cell [ref=f]:",
            '          - link "12" [ref=g]',
        ]
    )
    page = parse(snap(yaml))
    assert page.tables[0].header == ["Time", "Note", "Errors"]
    assert page.tables[0].rows == [["11:00", "", "3"], ["11:01", "deploy: svc-alpha 'blue'", "12"]]


def test_tree_title_and_inline_text() -> None:
    yaml = "\n".join(
        [
            "  - generic [ref=p]:",
            "    - text: Read from",
            "    - code [ref=c]: cache.example.net",
            '    - text: "for: 5m"',
        ]
    )
    page = parse(snap(yaml, title="svc-alpha overview"))
    assert page.title == "svc-alpha overview"
    assert page.texts == ["Read from cache.example.net for: 5m"]


def test_tree_title_falls_back_to_the_top_heading() -> None:
    page = parse(snap(text("Dashboards / alpha"), heading("Alpha incident", level=1)))
    assert page.title == "Alpha incident"


# --- times ----------------------------------------------------------------------------------


def test_lone_time_takes_the_alert_date_or_the_day_before() -> None:
    clock = Clock(ALERT)
    assert first_time("10:06 deploy", clock).at == at("10:06")  # type: ignore[union-attr]
    assert first_time("at 23:40", clock).at == at("23:40", day=2)  # type: ignore[union-attr]


def test_page_range_decides_the_date() -> None:
    clock = clock_for(["Dash", "2025-06-02 21:00:00 to 2025-06-03 11:35:00 UTC"], ALERT)
    assert clock.start == datetime(2025, 6, 2, 21, 0, tzinfo=UTC)
    assert first_time("22:15", clock).at == at("22:15", day=2)  # type: ignore[union-attr]
    assert first_time("09:15", clock).at == at("09:15")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-06-01 08:10", datetime(2025, 6, 1, 8, 10, tzinfo=UTC)),
        ("2025-06-01T08:10:05.120+02:00", datetime(2025, 6, 1, 6, 10, 5, 120000, tzinfo=UTC)),
        ("06-02 18:31", datetime(2025, 6, 2, 18, 31, tzinfo=UTC)),
        ("Jun 2, 18:31", datetime(2025, 6, 2, 18, 31, tzinfo=UTC)),
        ("Mon 2 Jun 18:31", datetime(2025, 6, 2, 18, 31, tzinfo=UTC)),
        ("Sun 09:12", datetime(2025, 6, 1, 9, 12, tzinfo=UTC)),
        ("Thu 29 06:00-12:00", datetime(2025, 5, 29, 6, 0, tzinfo=UTC)),  # weekday, day of month
        ("Fri 30th 23:10", datetime(2025, 5, 30, 23, 10, tzinfo=UTC)),
        ("Tue 03 11:02", datetime(2025, 6, 3, 11, 2, tzinfo=UTC)),
    ],
)
def test_dated_times(written: str, expected: datetime) -> None:
    assert first_time(written, Clock(ALERT)).at == expected  # type: ignore[union-attr]


def test_a_weekday_and_day_of_month_no_recent_month_has_are_no_date() -> None:
    from agents.root_cause.facts.times import date_only

    clock = Clock(ALERT)
    assert date_only("Sat 31 | 14 tickets", clock) == datetime(2025, 5, 31, tzinfo=UTC)
    assert not first_time("Mon 31 10:00", clock).has_date  # type: ignore[union-attr]  # no Monday 31st lately
    assert date_only("Mon 3 | 2 GiB", clock) is None  # the 3rd was a Tuesday: not this form


def test_not_times() -> None:
    clock = Clock(ALERT)
    assert all_times("10.1.2.3:6379 and 2h 41m and 1:5 and 25:61", clock) == []
    ranged = [f.at for f in all_times("11:00-11:05", clock)]
    assert ranged == [at("11:00"), at("11:05")]  # a range, not a UTC offset


def test_a_lone_time_ending_a_dated_range_is_on_its_date() -> None:
    clock = Clock(ALERT)
    found = all_times("Tue 05-27 09:40-09:52 deploy 4be1f0c · 05-29 23:50 to 00:10 apply", clock)
    assert [(f.at.month, f.at.day, f.at.hour, f.at.minute, f.has_date) for f in found] == [
        (5, 27, 9, 40, True), (5, 27, 9, 52, True), (5, 29, 23, 50, True),
        (5, 30, 0, 10, True)]  # fmt: skip
    apart = all_times("05-27 09:40 deploy; 09:52 rollback", clock)  # no range: a lone time
    assert apart[1].has_date is False


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "unit"),
    [
        ("95%", 95.0, "%"),
        ("1,250 ms", 1250.0, "ms"),
        ("120/s", 120.0, "/s"),
        ("3,400 req/s", 3400.0, "/s"),
        ("12.5k", 12500.0, ""),
        ("1.5M", 1500000.0, ""),
        ("900 MiB", 900.0, "MiB"),
        ("4m 10s", 250.0, "s"),
        ("12 / 40", 12.0, ""),
        ("5,000 ms (timeout)", 5000.0, "ms"),
    ],
)
def test_quantities(cell: str, value: float, unit: str) -> None:
    found = quantity(cell)
    assert found is not None and (found.value, found.unit) == (value, unit)


@pytest.mark.parametrize("cell", ["OK", "v1.2.3", "2025-06-01", "11:00 (so far)", "0 / 3 Waiting"])
def test_not_quantities(cell: str) -> None:
    assert quantity(cell) is None


# --- series ---------------------------------------------------------------------------------


def test_one_series_per_numeric_column_with_units() -> None:
    data = rows(
        "11:00",
        ["120", "121", "119", "122"],
        ["850 ms", "900 ms", "1.25 s", "2.5 s"],
        ["0.1%", "0.1%", "0.2%", "4.0%"],
        ["", "", "deploy x", ""],
    )
    page = parse(snap(table(["Time (UTC)", "Requests/s", "p99", "5xx", "Annotation"], data)))
    found = series(time_tables(page, Clock(ALERT)), "dashboard:1")
    assert [(s.name, s.unit) for s in found] == [("Requests/s", ""), ("p99", "ms"), ("5xx", "%")]
    p99 = found[1]
    assert [p.value for p in p99.points] == [850.0, 900.0, 1250.0, 2500.0]
    assert p99.points[0].at == at("11:00") and p99.source == "dashboard:1"


def test_daily_table_and_iso_times() -> None:
    daily = table(
        ["Day", "Peak MiB"], [["2025-05-31", "700"], ["2025-06-01", "710"], ["Mon 06-02", "720"]]
    )
    iso = table(
        ["UTC", "Lag"],
        [[f"2025-06-03T11:0{i}:00Z", f"{i}s"] for i in range(4)],
    )
    found = series(time_tables(parse(snap(daily, iso)), Clock(ALERT)), "d")
    assert found[0].points[2].at == datetime(2025, 6, 2, tzinfo=UTC)
    assert found[1].points[3] == Point(at("11:03"), 3.0)


def test_headerless_table_continues_the_one_above() -> None:
    first = table(["Time", "Queue depth"], rows("10:00", ["1", "2", "3"], step=20))
    second = table([], rows("11:00", ["3", "40", "90"], step=5))
    found = series(time_tables(parse(snap(first, second)), Clock(ALERT)), "d")
    assert len(found) == 1 and len(found[0].points) == 6


def test_tables_without_times_or_numbers_give_no_series() -> None:
    routes = table(["Route", "Requests", "5xx"], [["GET /a", "10", "1"], ["GET /b", "20", "0"]] * 2)
    words = table(["Time", "Event"], rows("11:00", ["started", "stopped", "started"]))
    assert series(time_tables(parse(snap(routes, words)), Clock(ALERT)), "d") == []


# --- the onset ------------------------------------------------------------------------------


def test_classify_by_header_words() -> None:
    assert classify("HTTP 5xx") == (1, 1)
    assert classify("Checkout wait p99") == (2, 1)
    assert classify("Pool utilisation") == (3, 1)
    assert classify("Cache hit ratio") == (4, -1)
    assert classify("Requests/s") == (0, 0)
    assert classify("p99 yesterday") == (0, 0)


def test_step_change_is_an_onset_with_baseline_and_peak() -> None:
    values = [0.1, 0.12, 0.09, 0.11, 0.1, 0.1, 0.11, 2.5, 4.0, 5.5, 5.2, 5.4]
    onset = page_onset([make_series("5xx", values, "%")])
    assert onset is not None
    assert onset.at == at("10:07") and onset.series == "5xx"
    assert onset.baseline == pytest.approx(0.1, abs=0.01) and onset.peak == 5.5
    assert onset.recovered_at is None


def test_a_step_is_abrupt_and_a_ramp_is_not() -> None:
    step = page_onset([make_series("5xx", [0.1, 0.1, 0.12, 0.1, 0.1, 9.0, 9.5, 9.8, 9.6], "%")])
    heap = [40, 41, 40, 40, 41, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 94]  # 5-minutely: a leak
    ramp = Series("Heap used", "%", tuple(Point(at("09:00") + timedelta(minutes=5 * i), v)
                                          for i, v in enumerate(heap)), "dashboard:0")  # fmt: skip
    rollout = make_series("5xx", [0.0, 0.1, 0.0, 0.1, 0.0, 17, 34, 57, 83, 100, 100], "%")
    slow, rolled = page_onset([ramp]), page_onset([rollout])
    assert step is not None and step.abrupt
    assert rolled is not None and rolled.abrupt  # a rollout's ramp over minutes is sudden
    assert slow is not None and not slow.abrupt


def test_recovered_series_sets_recovered_at() -> None:
    values = [0, 0, 1, 0, 0, 0, 0, 0, 0, 86, 32, 0, 0, 1, 0, 0]
    onset = page_onset([make_series("5xx in minute", [float(v) for v in values])])
    assert onset is not None
    assert (onset.at, onset.recovered_at) == (at("10:09"), at("10:11"))


def test_fewer_failures_while_nothing_succeeds_is_no_recovery() -> None:
    """A batch's run rejected whole, then a trickle of retries rejected too: fewer attempts,
    every one failing. Where successes go on beside the trickle, it recovered."""
    rejected = make_series("rejected", [0, 0, 0, 0, 0, 1210, 5, 3, 41, 9, 22, 17])
    accepted = make_series("accepted", [0.0] * 12)
    onset = page_onset([rejected, accepted])
    assert onset is not None and onset.at == at("10:05") and onset.recovered_at is None
    served = make_series("accepted", [0, 0, 0, 0, 0, 0, 1190, 1205, 1198, 1202, 1187, 1210])
    onset = page_onset([rejected, served])
    assert onset is not None and onset.recovered_at is not None
    onset = page_onset([rejected])  # nothing says how the attempts went
    assert onset is not None and onset.recovered_at is not None


def test_falling_series_counts_when_lower_is_worse() -> None:
    values = [96.0, 95.8, 96.1, 95.9, 96.0, 61.0, 31.0, 30.5, 30.0]
    onset = page_onset([make_series("Listing cache hit", values, "%")])
    assert onset is not None and onset.at == at("10:05") and onset.peak == 30.0


def test_earliest_problem_series_wins() -> None:
    latency = make_series("p99", [200, 210, 190, 205, 200, 900, 1500, 2000, 2100], "ms")
    errors = make_series("Errors", [0, 0, 0, 0, 0, 0, 0, 9, 30])
    onset = page_onset([errors, latency])
    assert onset is not None and onset.series == "p99" and onset.at == at("10:05")


def test_answers_clients_caused_start_an_incident_only_when_nothing_else_departs() -> None:
    declines = make_series("402 (card declined)", [12, 12, 13, 12, 12, 19, 20, 12, 12, 12, 12, 12])
    failures = make_series("failed calls", [0, 0, 0, 0, 0, 0, 0, 40, 60, 80, 80, 80])
    onset = page_onset([declines, failures])
    assert onset is not None and onset.series == "failed calls" and onset.at == at("10:07")
    onset = page_onset([declines])
    assert onset is not None and onset.series == "402 (card declined)"


@pytest.mark.parametrize(
    ("name", "client"),
    [("Login 401/s", True), ("402 (card declined)", True), ("404 not found", True),
     ("4xx ratio", True), ("429 Too Many Requests", False), ("408 timeouts", False),
     ("5xx ratio", False), ("Errors 500/s", False), ("403 and 503 /s", False)],
)  # fmt: skip
def test_client_side_series(name: str, client: bool) -> None:
    assert client_side(name) is client


def test_most_anomalous_other_series_when_no_problem_series_moves() -> None:
    traffic = make_series("Requests/s", [100, 102, 99, 101, 100, 400, 420, 410, 415])
    small = make_series("Logins/s", [50, 51, 49, 50, 50, 70, 72, 71, 70])
    flat = make_series("Errors", [1, 0, 1, 1, 0, 1, 0, 1, 1])
    onset = page_onset([flat, small, traffic])
    assert onset is not None and onset.series == "Requests/s" and onset.at == at("10:05")


def test_flat_noisy_series_has_no_onset() -> None:
    values = [31.0, 32.0, 33.0, 31.0, 33.0, 31.0, 31.0, 30.0, 32.0, 29.0, 32.0, 31.0, 33.0, 30.0]
    assert page_onset([make_series("CPU", values, "%")]) is None


def test_single_spike_is_not_an_onset() -> None:
    values = [180.0, 175.0, 190.0, 185.0, 180.0, 4870.0, 182.0, 178.0, 181.0, 185.0]
    assert page_onset([make_series("p99", values, "ms")]) is None


def test_printed_resolution_noise_is_not_an_onset() -> None:
    values = [0.02, 0.03, 0.02, 0.03, 0.02, 0.03, 0.03, 0.02, 0.03, 0.03, 0.02]
    assert page_onset([make_series("5xx ratio", values, "%")]) is None


def test_an_early_blip_gone_again_before_a_far_larger_departure_is_not_its_start() -> None:
    values = [0, 0, 0, 0, 0, 0, 0.01, 0.01, 0, 0, 0, 0, 0, 0, 49.8, 73.8, 72.4, 64.5]
    found = departure([float(v) for v in values], 1)
    assert found is not None and found.index == 14


def test_an_early_run_that_stays_up_or_is_a_tenth_of_the_peak_is_the_start() -> None:
    stays = [0, 0, 0, 0, 0, 0, 0.5, 0.6, 0.7, 0.9, 1.2, 8.0, 40.0, 70.0]
    found = departure([float(v) for v in stays], 1)
    assert found is not None and found.index == 6
    sizable = [0, 0, 0, 0, 0, 0, 9.0, 10.0, 0, 0, 0, 0, 60.0, 70.0]
    found = departure([float(v) for v in sizable], 1)
    assert found is not None and found.index == 6
    alone = [0, 0, 0, 0, 0, 0, 0.01, 0.01, 0, 0, 0, 0, 0, 0]  # nothing larger came after it
    found = departure([float(v) for v in alone], 1)
    assert found is not None and found.index == 6


def test_comparison_columns_are_not_candidates() -> None:
    series_yesterday = make_series("p99 yesterday", [1, 1, 1, 1, 1, 50, 60, 70, 80])
    assert page_onset([series_yesterday]) is None


def test_short_series_has_no_departure() -> None:
    assert departure([1.0, 1.0, 9.0, 9.0], 1) is None


# --- the entry point ------------------------------------------------------------------------


def test_page_facts_reads_a_dashboard() -> None:
    data = rows(
        "11:00",
        ["20%", "21%", "19%", "20%", "22%", "20%", "55%", "80%", "92%", "95%"],
        ["0", "0", "0", "0", "0", "0", "0", "4", "19", "30"],
        ["", "", "", "", "", "", "deploy svc-alpha 4c1d2e9 (#6021)", "", "", ""],
    )
    snapshot = snap(
        text("Dashboards / Team / svc-alpha", "2025-06-03 11:00:00 to 2025-06-03 11:10:00 UTC"),
        table(["Time (UTC)", "Pool utilisation", "Timeouts /min", "Annotation"], data),
        text(
            "2025-06-03T11:08:12.204Z ERROR svc-alpha db pool exhausted: TimeoutError: pool timeout"
        ),
        title="svc-alpha pool",
    )
    facts = page_facts(snapshot, URL, "dashboard:3", ALERT)
    assert (facts.source, facts.url, facts.title) == ("dashboard:3", URL, "svc-alpha pool")
    assert [s.name for s in facts.series] == ["Pool utilisation", "Timeouts /min"]
    assert facts.onset is not None and facts.onset.at == at("11:06")
    assert [(m.at, m.sha, m.pr) for m in facts.markers] == [(at("11:06"), "4c1d2e9", 6021)]
    assert [e.kind for e in facts.errors] == ["TimeoutError"]
    assert facts.logs[0].level == "ERROR" and facts.logs[0].source == "dashboard:3"


def test_page_facts_of_an_empty_page() -> None:
    facts = page_facts("### Snapshot\n```yaml\n```\n", URL, "dashboard:0", ALERT)
    assert facts.series == () and facts.onset is None and facts.markers == ()
    assert facts.errors == () and facts.notices == () and facts.hosts == ()


# --- events in words ---------------------------------------------------------------------------


def test_event_rows_notes_cells_and_stamped_lines_without_a_level_are_events() -> None:
    notes = [["11:10", "120", "0.1%", ""], ["11:11", "118", "0.2%", ""],
             ["11:12", "121", "6.0%", "primary host unhealthy · failover started"],
             ["11:13", "119", "0.3%", "failover completed"]]  # fmt: skip
    snapshot = snap(table(["UTC", "req/s", "5xx", "Notes"], notes),
                    text("2025-06-03 11:12:40 cache cluster maintenance window began",
                         "2025-06-03 11:12:41 ERROR upstream reset"))  # fmt: skip
    facts = page_facts(snapshot, URL, "dashboard:0", ALERT)
    said = {(e.at, e.text) for e in facts.events}
    assert (at("11:12"), "primary host unhealthy · failover started") in said
    assert (at("11:13"), "failover completed") in said
    assert any("maintenance window" in t for _, t in said)
    assert not any("upstream reset" in t for _, t in said), "a levelled record is a log line"
    assert not any(t in ("120", "0.1%") for _, t in said), "numbers are no event"


def test_a_record_written_as_a_definition_list_is_one_event() -> None:
    snapshot = snap(text("Audit log", "Event", "7001", "Changed at", "2025-06-03 11:12:40",
                         "Changed by", "ana@example.com via Admin UI", "Flag", "checkout.v2",
                         "Event", "6990", "Changed at", "2025-06-02 09:00:00", "Changed by",
                         "bo@example.com via Admin UI"))  # fmt: skip
    facts = page_facts(snapshot, URL, "dashboard:0", ALERT)
    blocks = {e.at: e.text for e in facts.events}
    first = blocks[at("11:12").replace(second=40)]
    assert "Changed by ana@example.com via Admin UI Flag checkout.v2" in first
    assert "bo@example.com" not in first
    assert "bo@example.com" in blocks[at("09:00", day=2)]
    lone = page_facts(snap(text("Updated", "2025-06-03 11:12:40")), URL, "d", ALERT)
    assert all("Updated" not in e.text or e.at == at("11:12").replace(second=40)
               for e in lone.events)  # fmt: skip


def test_a_burst_then_a_gap_then_a_lasting_departure_began_with_the_burst() -> None:
    values = [0, 0, 0, 0, 0, 0, 0, 0, 107, 0, 111, 120, 93, 98, 104]
    found = departure([float(v) for v in values], 1)
    assert found is not None and found.index == 8


def test_a_small_blip_ahead_of_a_departure_does_not_start_it() -> None:
    values = [0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 111, 120, 93, 98, 104]
    found = departure([float(v) for v in values], 1)
    assert found is not None and found.index == 10


def quarter_hours(name: str, start: datetime, values: list[float]) -> Series:
    return Series(name, "", tuple(Point(start + timedelta(minutes=15 * i), v)
                                  for i, v in enumerate(values)), "dashboard:0")  # fmt: skip


def test_a_coarser_table_departing_a_bucket_earlier_and_still_out_sets_the_onset() -> None:
    fine = make_series("Connections in use", [30, 31, 30, 30, 29, 31, 30, 30, 80, 90, 95, 96])
    # the same failures every quarter hour since 08:15, the minute table only shows 10:00 on
    coarse = quarter_hours("Failed requests", at("07:00"), [0, 0, 0, 0, 0, 40, 45, 42, 44, 41, 46,
                                                             43, 47])  # fmt: skip
    onset = page_onset([fine, coarse])
    assert onset is not None and (onset.at, onset.series) == (at("08:15"), "Failed requests")


def test_a_coarser_tables_departure_that_recovered_or_came_later_does_not_set_it() -> None:
    fine = make_series("Connections in use", [30, 31, 30, 30, 29, 31, 30, 30, 80, 90, 95, 96])
    over = quarter_hours("Failed requests", at("07:00"), [0, 0, 0, 0, 0, 40, 45, 0, 0, 0, 0, 0,
                                                           0])  # fmt: skip
    onset = page_onset([fine, over])
    assert onset is not None and (onset.at, onset.series) == (at("10:08"), "Connections in use")


def test_a_latency_creeping_up_day_by_day_began_days_before_the_fine_tables_peak() -> None:
    fine = make_series("read IOPS", [900, 910, 905, 900, 920, 915, 905, 910, 2100, 2500, 2900,
                                     2950])  # fmt: skip
    daily = Series("p99", "ms", tuple(Point(at("00:00") - timedelta(days=7 - i), v) for i, v in
                                      enumerate([190, 205, 198, 290, 410, 560, 700, 860])),
                   "dashboard:0")  # fmt: skip
    onset = page_onset([fine, daily])
    assert onset is not None and (onset.at, onset.series) == (at("00:00") - timedelta(days=4),
                                                              "p99")  # fmt: skip
    # the fine table's own latency saying when it began wins over a daily summary
    fine_latency = make_series("p99", [190, 200, 195, 190, 205, 198, 190, 200, 700, 800, 860,
                                       870])  # fmt: skip
    onset = page_onset([fine_latency, daily])
    assert onset is not None and onset.at == at("10:08")


def test_errors_departing_in_the_fine_table_say_when_they_began_whatever_the_summary() -> None:
    fine = make_series("5xx", [0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9])
    coarse = quarter_hours("Failed requests", at("07:00"), [0, 0, 0, 0, 0, 0.1, 0.2, 0.1, 0.2,
                                                             0.1, 0.2, 0.1, 9])  # fmt: skip
    onset = page_onset([fine, coarse])
    assert onset is not None and (onset.at, onset.series) == (at("10:08"), "5xx")


def test_a_fine_table_that_begins_after_the_errors_did_cannot_say_when_they_began() -> None:
    # the minute table starts at 10:00 with the failures already there, and jumps at 10:08
    fine = make_series("failed records", [30, 33, 31, 32, 30, 31, 33, 32, 290, 310, 320, 330])
    coarse = quarter_hours("failed records", at("07:00"), [0, 0, 0, 0, 0, 30, 31, 33, 32, 30,
                                                            31, 32, 300])  # fmt: skip
    onset = page_onset([fine, coarse])
    assert onset is not None and onset.at == at("08:15")
    # a fine table that shows the zero before its own departure says when they began
    zero = make_series("failed records", [0, 0, 0, 0, 0, 0, 0, 0, 290, 310, 320, 330])
    onset = page_onset([zero, coarse])
    assert onset is not None and onset.at == at("10:08")
    # a summary that did not depart from zero (errors every day) says nothing earlier
    steady = quarter_hours("failed records", at("07:00"), [20, 22, 21, 20, 23, 30, 31, 33, 32,
                                                            30, 31, 32, 300])  # fmt: skip
    onset = page_onset([fine, steady])
    assert onset is not None and onset.at == at("10:08")


def test_an_expiry_column_makes_each_row_an_event_at_its_expiry() -> None:
    page = snap(
        text("Signing keys · rotate before expiry"),
        table(["Name", "Created", "Expires at", "Status"],
              [["partner-2024", "2024-06-01 09:00", "2025-06-03T11:02:00Z", "Expired"],
               ["partner-2025", "2025-05-20 10:00", "2026-05-20T10:00:00Z", "Active"]]),
    )  # fmt: skip
    events = [(e.at, e.text) for e in page_facts(page, URL, "dashboard:0", ALERT).events]
    assert (at("11:02"), "Signing keys partner-2024: expires 2025-06-03T11:02:00Z") in events
    assert any(text.startswith("Signing keys partner-2025: expires") for _, text in events)


def test_no_expiry_event_without_an_expiry_column_or_a_dated_cell() -> None:
    page = snap(
        table(["Name", "Created", "Owner"], [["partner-2024", "2024-06-01 09:00", "ops"]]),
        table(["Name", "Valid until"], [["partner-2025", "when rotated"]]),
    )
    events = page_facts(page, URL, "dashboard:0", ALERT).events
    assert not any("expires" in e.text for e in events)
