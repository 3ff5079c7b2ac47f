"""How runs went on each version (`facts.outcomes`) and the bisect by version
(`correlate.first_bad_version`), on pages and outcomes written for these tests."""

from __future__ import annotations

from datetime import datetime

import pytest

from agents.root_cause import correlate
from agents.root_cause.facts.outcomes import verdict, versions_in
from agents.root_cause.facts.pages import page_facts
from agents.root_cause.facts.types import DeployMarker, Outcome
from tests.test_page_facts import ALERT, URL, at, snap, table, text

# --- the verdict of one record --------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "nightly export on 3f9a2c1: FAILED (exit 1)",
        "0 / 912 accepted, ConnectionError",
        "canary 7bd01e4: 41% errors",
        "pod api-7bd01e4 CrashLoopBackOff, 6 restarts",
        "smoke test on v2.8.0 timed out after 30s",
        "HTTP 503 from every replica on 9c4e1a7",
        "0 of 250 delivered",
    ],
)
def test_bad_records(written: str) -> None:
    assert verdict(written) is False


@pytest.mark.parametrize(
    "written",
    [
        "nightly export on 3f9a2c1: succeeded in 4m",
        "412/412 delivered",
        "canary 7bd01e4: 0 errors in 10 min, healthy",
        "smoke test on v2.7.9 passed",
        "no failures since 09:00 on 9c4e1a7",
        "last OK 10:12:04",
    ],
)
def test_good_records(written: str) -> None:
    assert verdict(written) is True


@pytest.mark.parametrize(
    "written",
    [
        "1,100 / 1,284 accepted",  # partial: neither
        "batch on 3f9a2c1 queued",  # no verdict at all
        "image 7bd01e4, 3 replicas",
    ],
)
def test_records_without_a_verdict(written: str) -> None:
    assert verdict(written) is None


def test_versions_named() -> None:
    assert versions_in("runs on 3f9a2c1 and v2.8.0, not on deadbeef") == ("3f9a2c1", "v2.8.0")


# --- extraction from a page -------------------------------------------------------------------


def _runs_page(*run_rows: list[str], deploys: tuple[str, ...] = ()) -> str:
    return snap(
        text(*deploys),
        table(["Run (UTC)", "Build", "Result"], [list(r) for r in run_rows]),
    )


DEPLOYS = (
    "Recent deploys: 08:05 deploy svc-alpha 1c2d3e4 (#201) · 09:40 deploy svc-alpha 5a6b7c8 "
    "(#204) · 10:55 deploy svc-alpha 9e8f7a6 (#207)",
)


def test_outcomes_are_read_from_run_tables() -> None:
    facts = page_facts(
        _runs_page(
            ["08:30 export", "1c2d3e4", "done, 3,100 / 3,100 ok"],
            ["09:50 export", "5a6b7c8", "failed: KeyError 'region'"],
            ["11:00 export", "9e8f7a6", "failed: KeyError 'region'"],
            deploys=DEPLOYS,
        ),
        URL,
        "dashboard:0",
        ALERT,
    )
    assert [(o.ids, o.ok) for o in facts.outcomes] == [
        (("1c2d3e4",), True),
        (("5a6b7c8",), False),
        (("9e8f7a6",), False),
    ]
    assert facts.outcomes[1].at == at("09:50")


def test_a_deploy_record_is_no_outcome() -> None:
    """A change's title may say "failing": a record about the deploy is not how it ran."""
    facts = page_facts(
        snap(
            text("10:20 deployed svc-alpha 5a6b7c8: fix failing retries on timeouts"),
            table(["When", "Change event"], [["10:20", "5a6b7c8 fix error handling"]]),
        ),
        URL,
        "dashboard:0",
        ALERT,
    )
    assert facts.outcomes == ()


def test_a_table_about_deploys_is_no_outcome() -> None:
    facts = page_facts(
        snap(
            table(
                ["Recent changes", "Commit", "Title"],
                [["09:40", "5a6b7c8", "Handle the exporter's errors"]],
            )
        ),
        URL,
        "dashboard:0",
        ALERT,
    )
    assert facts.outcomes == ()


# --- the bisect -------------------------------------------------------------------------------


def _marker(hhmm: str, sha: str | None = None, version: str | None = None) -> DeployMarker:
    return DeployMarker(at=at(hhmm), text=f"deploy {sha or version}", sha=sha, version=version)


def _run(ids: str, ok: bool, hhmm: str | None = None) -> Outcome:
    return Outcome(ids=tuple(ids.split()), ok=ok, at=at(hhmm) if hhmm else None,
                   text=f"run on {ids}: {'ok' if ok else 'failed'}")  # fmt: skip


MARKERS = [_marker("08:05", "1c2d3e4"), _marker("09:40", "5a6b7c8"), _marker("10:55", "9e8f7a6")]


def test_the_first_version_that_only_failed() -> None:
    found = correlate.first_bad_version(
        [
            _run("1c2d3e4", True, "08:30"),
            _run("5a6b7c8 9e8f7a6", False, "09:52"),
            _run("9e8f7a6", False, "11:00"),
        ],  # fmt: skip
        MARKERS,
    )
    assert found is not None
    assert found.bad.sha == "5a6b7c8" and found.good.sha == "1c2d3e4"
    assert found.at == at("09:52")  # its first failure, not its deploy


def test_without_a_timed_failure_the_deploy_is_the_onset() -> None:
    found = correlate.first_bad_version(
        [_run("1c2d3e4", True), _run("5a6b7c8", False)], MARKERS[:2]
    )
    assert found is not None and found.at == at("09:40")


def test_versions_by_tag() -> None:
    markers = [_marker("08:00", version="v2.7.9"), _marker("10:00", version="v2.8.0")]
    found = correlate.first_bad_version([_run("v2.7.9", True), _run("2.8.0", False)], markers)
    assert found is not None and found.bad.version == "v2.8.0"


def test_a_full_sha_names_its_short_marker() -> None:
    full = "5a6b7c8" + "0" * 33
    found = correlate.first_bad_version([_run("1c2d3e4", True), _run(full, False)], MARKERS[:2])
    assert found is not None and found.bad.sha == "5a6b7c8"


@pytest.mark.parametrize(
    "runs",
    [
        [_run("1c2d3e4", True), _run("5a6b7c8", False), _run("9e8f7a6", True)],  # fixed since
        [_run("5a6b7c8", False), _run("9e8f7a6", False)],  # nothing worked: no bisect
        [_run("1c2d3e4", True), _run("5a6b7c8", True)],  # nothing failed
        [_run("1c2d3e4", False), _run("5a6b7c8", True), _run("5a6b7c8", False)],  # flaky
        [_run("0f0f0f1", True), _run("5a6b7c8", False)],  # the good run names no deploy
    ],
)
def test_no_bisect(runs: list[Outcome]) -> None:
    assert correlate.first_bad_version(runs, MARKERS) is None


def test_describe_moves_the_onset_to_the_first_failure() -> None:
    from agents.root_cause.investigate import describe
    from core.state import Alert

    page = page_facts(
        _runs_page(
            ["08:30 export", "1c2d3e4", "done, 3,100 / 3,100 ok"],
            ["09:50 export", "5a6b7c8", "failed: KeyError 'region'"],
            ["11:00 export", "9e8f7a6", "failed: KeyError 'region'"],
            deploys=DEPLOYS,
        ),
        URL,
        "dashboard:0",
        ALERT,
    )
    alert = Alert(name="ExportFailed", starts_at=ALERT, labels={}, annotations={},
                  fingerprint="f", source="generic", status="firing")  # fmt: skip
    incident = describe(alert, [page], "org/svc-alpha", [])
    assert incident.first_bad is not None and incident.onset == at("09:50")
    assert isinstance(incident.onset, datetime)


def test_scoring_credits_the_first_bad_version_and_rules_out_later_ones() -> None:
    """The change deployed as the first failing version earns the bisect's weight; one
    deployed after the failures began is ruled out, saying so."""
    from tests.test_root_cause_decide import CODE, DOCS, change, incident, scored
    from tests.test_root_cause_decide import at as t

    first, later = change(201, -80, DOCS), change(204, -20, CODE)
    markers = (DeployMarker(t(-70), "deploy", sha=first.sha), DeployMarker(t(-10), "deploy",
               sha=later.sha), DeployMarker(t(-300), "deploy", sha="1c2d3e4"))  # fmt: skip
    bad = correlate.FirstBad(markers[0], markers[2], t(-65), _run(first.sha or "", False))
    inc = incident(markers, onset=t(-65), first_bad=bad)
    credited, ruled = scored(first, inc), scored(later, inc)
    assert any(r.startswith("the failures began with its version") for r in credited.reasons)
    assert ruled.ruled_out.startswith("reached production after the onset (the failures began")
    without = scored(first, incident(markers, onset=t(-65)))
    assert credited.score > without.score


def test_a_warning_that_reports_a_failure_is_a_failing_record() -> None:
    from agents.root_cause.facts.types import LogLine, PageFacts
    from agents.root_cause.investigate import describe
    from core.state import Alert

    parked = LogLine("WARN", "parked record inv-7 producer=billing/2026.05.04-4be1c07 "
                     "cause=java.io.EOFException: unexpected end of stream")  # fmt: skip
    slow = LogLine("WARN", "slow query 1.2 s on invoices, plan changed")
    page = PageFacts("dashboard:0", URL, "t", logs=(parked, slow))
    alert = Alert(name="RecordsParked", starts_at=ALERT, labels={}, annotations={},
                  fingerprint="f", source="generic", status="firing")  # fmt: skip
    incident = describe(alert, [page], "org/svc-alpha", [])
    assert parked.text in incident.failing and slow.text not in incident.failing
