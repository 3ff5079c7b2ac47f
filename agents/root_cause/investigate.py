"""The investigation: read the evidence, extract typed facts, correlate and score, and lay
out what the model chooses among (`logic.Findings`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from agents.root_cause import correlate, evidence
from agents.root_cause.change import Change
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.onset import classify, departure
from agents.root_cause.facts.text import gist
from agents.root_cause.facts.types import ChangeFacts, ErrorSignal, Onset, PageFacts
from agents.root_cause.logic import FACT_CHARS, Findings
from agents.root_cause.score import (
    Incident,
    Scored,
    hours_before,
    in_effect,
    none_evidence,
    score,
)
from agents.root_cause.sources import read_sources, target
from agents.root_cause.symptoms import families
from agents.shared.alerts import alert_text
from core.catalog import Service
from core.ports import Tools
from core.state import Alert, Triage

FACT_LINES = 10
ERROR_LINES = 5  # of the fact lines, for errors at most
_PLACE = re.compile(r"\b[a-z]{2,}-[a-z]+-?\d[a-z]?\b|\bzone\b|\bregion\b|\b[A-Z]{3}\d\b", re.I)
BLIP = timedelta(minutes=20)
EVENTS_BEFORE, EVENTS_AFTER = timedelta(minutes=30), timedelta(minutes=10)


async def investigate(
    tools: Tools, alert: Alert, tri: Triage, catalog: Mapping[str, Service]
) -> tuple[Findings, evidence.Bundle]:
    bundle = evidence.Bundle()
    service = catalog.get(tri.service) if tri.service else None
    depends = service.depends_on if service else ()
    await evidence.read_dashboards(tools, alert, bundle, tri.service or "", depends)
    workloads = await read_sources(tools, alert, target(alert, service, tri.service), bundle)
    upstream = _upstream_repos(service, catalog)
    repos = [service.repo, *upstream] if service else []
    if not repos:
        bundle.problems.append("no repository is mapped to the alerting service")
    since = correlate.changes_since(bundle.pages, alert.starts_at)
    await asyncio.gather(
        *(evidence.read_changes(tools, r, alert.starts_at, bundle, since) for r in repos)
    )
    incident = describe(alert, bundle.pages, service.repo if service else "", upstream)
    notices = [n for p in bundle.pages for n in p.notices]
    matched = correlate.matching_notices(
        notices, incident.onset, [h for p in bundle.pages for h in p.hosts], incident.texts
    )
    said = [*incident.texts, *_events_near(bundle.pages, incident.onset, alert.starts_at),
            *_departures(bundle.pages, incident.onset, alert.starts_at)]  # fmt: skip
    platform = correlate.platform_signals(said)
    events = _events(bundle.pages, incident.onset)
    outside = correlate.outside_change(events, incident.onset)
    series = [s for p in bundle.pages for s in p.series]
    rise, rising = correlate.rising_load(series, incident.onset)
    numbers = {c.number for c in bundle.changes if c.number is not None}
    happened = correlate.event_at(events, incident.onset, numbers)
    trigger = f"load rising {rise:.1f}x" if rise else (
        f"a platform event ({platform[0][0][:80]})" if platform else
        f"what happened ({' '.join(happened.split())[:80]})" if happened else "")  # fmt: skip
    expiry = correlate.expired_at(events, incident.onset)
    incident = replace(incident, explained=bool(matched or platform or outside or expiry),
                       trigger=trigger)  # fmt: skip
    first = sorted(bundle.changes, key=lambda c: _preliminary(c, incident))
    detailed = [(c, _facts(c)) for c in await evidence.read_patches(tools, first, bundle)]
    if service is not None:
        detailed += await _blame(tools, service.repo, incident, detailed, since, bundle)
    live = [m for c, facts in detailed if (m := in_effect(c, facts, incident))]
    incident = replace(incident, markers=(*incident.markers, *live))
    scored = [score(c, facts, incident) for c, facts in detailed]
    onset = correlate.onset_of(bundle.pages, alert.starts_at, evidence.alert_about_clients(alert))
    recovered = correlate.recovered(onset, bundle.pages)
    # the failures outlasting it: over well before the last data the pages show, not only
    # before the alert fired (an alert may fire within a minute of a brief event)
    shown = max((p.at for s in series for p in s.points), default=alert.starts_at)
    until = _naive(max(shown, _naive(alert.starts_at, shown)), incident.onset)
    ended = correlate.platform_ended(platform[0][0], said, incident.onset, until) if (
        platform and not recovered) else None  # fmt: skip
    facts_read = [s.facts for s in scored if s.facts]  # the changes whose patches were read
    found_none = none_evidence(
        scored, matched, rise, recovered, platform, load_signal=rising,
        blip=recovered and _blip(onset, scored), expired=correlate.expiries(said),
        probe=bool(correlate.PROBE.search(f"{alert.name} {alert_text(alert)}")),
        at_onset=happened,
        platform_over=(platform[0][0], ended) if ended else None,
        growth=None if incident.abrupt else correlate.steady_growth(series),
        not_renewed=correlate.renewal_failure(_logs_and_errors(bundle.pages)),
        outside=outside,
        exhausted=correlate.exhausted(said),
        quota=correlate.vendor_quota(said),
        rejected=correlate.rejected_credentials(said, facts_read),
        retired=correlate.retired_api(said, facts_read),
    )  # fmt: skip
    lines, ids = fact_lines(bundle.pages, incident.first_bad)
    seen = _errors_seen(bundle.pages)
    found = Findings.split(
        scored,
        alert=alert,
        none=found_none,
        facts_lines=lines,
        pages=ids,
        partial=bundle.partial,
        mechanism_none="; ".join([*found_none.reasons[:2], *seen]),
        errors_seen=tuple(seen),
        signals=bundle.signals,
        workloads=tuple(workloads),
        changes_since=since,
        ongoing=correlate.ongoing(bundle.pages),
    )
    return found, bundle


BLAME_FILES = 2  # the files of failing frames whose history is read


async def _blame(
    tools: Tools,
    repo: str,
    incident: Incident,
    read: list[tuple[Change, ChangeFacts | None]],
    since: datetime,
    bundle: evidence.Bundle,
) -> list[tuple[Change, ChangeFacts | None]]:
    """The changes from before the change window that wrote a line the errors fail at, where
    no change in the window wrote it: a responder reads the failing file's history (`git
    log -- proration.py`) when the stack points at code nobody touched this week (a date
    helper merged weeks ago fails on the first leap day). Only changes whose patch added the
    very line the page shows at the frame are kept; each with its facts, as `read` gives the
    changes already read."""
    written = [f for e in correlate.major_errors(incident.errors) for f in e.frames if f.code]
    frames = [f for f in written if not any(correlate.wrote_frame(x, f) for _, x in read)]
    files = list(dict.fromkeys(f.file for f in frames if correlate.repo_paths(f)))[:BLAME_FILES]
    known = {(c.repo, c.ref) for c, _ in read}
    found: list[tuple[Change, ChangeFacts | None]] = []
    for file in files:
        frame = next(f for f in frames if f.file == file)
        history = await evidence.read_history(
            tools, repo, correlate.repo_paths(frame), since - evidence.HISTORY, since, bundle
        )
        fresh = [c for c in history if (c.repo, c.ref) not in known]
        for change in await evidence.read_patches(tools, fresh, bundle):
            facts = _facts(change)
            if any(correlate.wrote_frame(facts, f) for f in frames):
                found.append((change, facts))
                known.add((change.repo, change.ref))
                break
    return found


def _window(onset: datetime, start: datetime) -> tuple[datetime, datetime]:
    """From shortly before the onset until shortly after the alert (or the onset)."""
    return onset - EVENTS_BEFORE, max(start, onset) + EVENTS_AFTER


def _departures(pages: list[PageFacts], onset: datetime, start: datetime) -> list[str]:
    """Each page's own onset from shortly before the incident's until the alert, in words:
    what its table is of, the series, from → to ("Clock offset vs NTP ams1-w07: 0.0003 →
    -63.3 s"), for what they say of the platform underneath."""
    early, late = _window(onset, start)
    out = []
    for page in pages:
        went = page.onset
        if went is None or not early <= _naive(went.at, onset) <= late:
            continue
        shown = next((s for s in page.series if s.name == went.series), None)
        out.append(correlate.went(went, shown))
    return out


def _events_near(pages: list[PageFacts], onset: datetime, start: datetime) -> list[str]:
    """What the pages say happened from shortly before the onset until the alert."""
    early, late = _window(onset, start)
    return [e.text for p in pages for e in p.events
            if e.at and early <= _naive(e.at, onset) <= late]  # fmt: skip


def _logs_and_errors(pages: list[PageFacts]) -> list[str]:
    """Every log line and error the pages show, log lines first (records of what happened,
    at any level: a renewal's failure may be logged at info by the controller that retries
    it; an error may come from a runbook's prose)."""
    errors = [f"{e.kind}: {e.message}" for p in pages for e in p.errors]
    return [*(line.text for p in pages for line in p.logs), *errors]


def _events(pages: list[PageFacts], like: datetime) -> list[tuple[datetime, str]]:
    return [(_naive(e.at, like), e.text) for p in pages for e in p.events if e.at]


def _naive(at: datetime, like: datetime) -> datetime:
    if (at.tzinfo is None) == (like.tzinfo is None):
        return at
    return at.replace(tzinfo=like.tzinfo)


# a warning that reports a failure (a consumer logs each record it dead-letters, with the
# exception that failed it, at WARN): a failing record like an ERROR line
_FAILED = re.compile(r"\b[A-Z]\w*(?:Exception|Error)\b|\bfail(?:ed|ure|s)\b")


def describe(alert: Alert, pages: list[PageFacts], repo: str, upstream: list[str]) -> Incident:
    """The incident as the pages show it; its onset is the earliest of the data's departure
    and the first failure on the version the failures began with (the alert's start when
    neither is shown)."""
    clients = evidence.alert_about_clients(alert)
    onset = correlate.onset_of(pages, alert.starts_at, clients)
    markers = tuple(m for p in pages for m in p.markers)
    bad = correlate.first_bad_version([o for p in pages for o in p.outcomes], markers)
    if bad is not None and bad.at > alert.starts_at + correlate.DEPLOY_SLACK:
        bad = None
    errors = tuple(e for p in pages for e in p.errors)
    failing = [line for p in pages for line in p.logs if line.level in ("ERROR", "FATAL")
               or (line.level == "WARN" and _FAILED.search(line.text))]  # fmt: skip
    at = alert.starts_at
    if onset is not None:
        timed = [
            _naive(t, onset.at) for t in (*(e.at for e in errors), *(f.at for f in failing)) if t
        ]
        flat = correlate.flat_before(onset, pages)
        at = correlate.failures_began(onset, timed, markers, flat)
    if bad is not None and bad.at < at:
        at = bad.at
    logs = [line.text for p in pages for line in p.logs if line.level in ("ERROR", "FATAL", "WARN")]
    said = [f"{e.kind} {e.message}" for e in errors]
    texts = (alert.name, alert_text(alert), *said, *logs)
    series = [s for p in pages for s in p.series]
    named = [*texts, *(onset.series for onset in [onset] if onset)]
    answers = _answers_alerted(alert, errors) if clients else []
    about = [alert.name, alert.annotations.get("summary", ""), *answers]
    return Incident(
        start=alert.starts_at,
        onset=at,
        symptoms=frozenset(families(named)),
        primary=frozenset(families(about)),
        markers=markers,
        errors=errors,
        texts=tuple(texts),
        service_repo=repo,
        upstream_repos=frozenset(upstream),
        first_bad=bad,
        abrupt=bool(
            onset and onset.abrupt and onset.at <= at <= onset.at + timedelta(seconds=onset.step)
        ),
        ceilings=correlate.ceilings(series, at),
        buildups=correlate.buildups(series, markers, at),
        configs=tuple(c for p in pages for c in p.configs),
        durations=correlate.durations(series),
        steps=correlate.steps(series),
        failing=(*said, *(f.text for f in failing)),
    )


def _answers_alerted(alert: Alert, errors: Sequence[ErrorSignal]) -> list[str]:
    """What the pages say of the answers an alert about clients' answers counts (`400 ratio`:
    the messages of the pages' HTTP 400s): what the alert is about, in the failures' words."""
    said = f"{alert.name} {alert.annotations.get('summary', '')}"
    codes = {f"HTTP {c}" for c in re.findall(r"(?<![\d.])4\d\d(?![\d.%])", said)}
    return [e.message for e in errors if e.kind in codes]


def fact_lines(
    pages: list[PageFacts], first_bad: correlate.FirstBad | None = None
) -> tuple[list[str], list[str]]:
    """The incident's facts in a few compact lines for the prompt, and the evidence ids: the
    first bad version, the onsets, the errors (those that name what failed first, one line
    for an error two pages show), the notices, then the deploys (one line for a deploy two
    sources show, the one that names its PR): the options' own lines say when each change
    went live, so deploys come last where the lines run out."""
    onsets: list[str] = []
    errors: dict[tuple[str, str], str] = {}
    deploys: dict[str, str] = {}
    notices: list[str] = []
    for page in pages:
        if page.onset:
            o = page.onset
            back = f", back to baseline at {o.recovered_at:%H:%M}" if o.recovered_at else ""
            also = "; ".join(_moved_with(page, o))
            with_it = f"; with it: {also}" if also else ""
            onsets.append(f"onset {o.at:%H:%M} UTC: {o.series} {o.baseline:g} → {o.peak:g}{back}"
                          f"{with_it} [{page.source}]")  # fmt: skip
        for e in _telling_first(page.errors)[:3]:
            frames = ", ".join(f"{f.file}:{f.line}" for f in e.frames[:2])
            count = f" ×{e.count}" if e.count else ""
            said = gist(e.message, 90)
            errors.setdefault((e.kind, said), (
                f"error {e.kind}{count}: {said}"
                + (f" (at {frames})" if frames else "") + f" [{page.source}]"))  # fmt: skip
        for m in page.markers[:4]:
            names = " ".join(x for x in (m.sha, f"#{m.pr}" if m.pr else None, m.version) if x)
            line = f"deploy {m.at:%H:%M} UTC {names} [{page.source}]"
            key = m.sha or (f"#{m.pr}" if m.pr else line)
            if key not in deploys or (m.pr and "#" not in deploys[key]):
                deploys[key] = line
        for n in page.notices[:2]:
            start = f" since {n.started:%H:%M} UTC" if n.started else ""
            where = sorted(n.components, key=lambda c: not _PLACE.search(c))
            parts = f" affecting {', '.join(where[:4])}" if where else ""
            notices.append(f"notice {n.provider} ({n.kind}) {n.status}{start}{parts}: "
                           f"{n.text[:100]} [{page.source}]")  # fmt: skip
    out: list[str] = []
    if first_bad is not None:
        bad, failed = first_bad.bad, first_bad.failed
        out.append(f"failures began {first_bad.at:%H:%M} UTC on {correlate.label(bad)} "
                   f"(deployed {bad.at:%H:%M}); runs on {correlate.label(first_bad.good)} "
                   f"worked: {failed.text[:90]} [{failed.source}]")  # fmt: skip
    out += [*onsets, *list(errors.values())[:ERROR_LINES], *notices, *deploys.values()]
    kept: list[str] = []
    for line in _dedupe(out)[:FACT_LINES]:
        if sum(len(k) + 1 for k in kept) + len(line) <= FACT_CHARS:
            kept.append(line)  # whole lines only: a cut line would lose its evidence id
    return kept, [p.source for p in pages]


MOVED_WITH = 3  # other series named beside an onset, at most
MOVED_NAME = 28  # characters of each one's name
MOVED_NEAR = timedelta(minutes=30)


def _moved_with(page: PageFacts, onset: Onset) -> list[str]:
    """The page's other series that left their baseline within half an hour of its onset,
    by name with their values (`Scratch inodes used 0.41 → 1`): what a dashboard's own words
    say moved with the failures (a resource, a count at a limit)."""
    out: list[str] = []
    for s in page.series:
        if s.name == onset.series or len(out) >= MOVED_WITH:
            continue
        values = [p.value for p in s.points]
        found = departure(values, classify(s.name)[1])
        if found is None or abs(s.points[found.index].at - onset.at) > MOVED_NEAR:
            continue
        out.append(f"{' '.join(s.name.split())[:MOVED_NAME]} {found.base:g} → {found.peak:g}")
    return out


def _telling_first(errors: Sequence[ErrorSignal]) -> list[ErrorSignal]:
    """A page's errors with those that name what failed (an exception, a code, an errno)
    before bare HTTP statuses, which say only that a request failed; otherwise as shown."""
    return sorted(errors, key=lambda e: e.kind.startswith("HTTP "))


def _blip(onset: Onset | None, scored: list[Scored]) -> bool:
    """A short excursion that recovered by itself, with nothing deployed in the hour before."""
    if onset is None or onset.recovered_at is None:
        return False
    short = onset.recovered_at - onset.at <= BLIP
    recent = any(
        not s.ruled_out and hours_before(s.timing, s.change, onset.at) <= 1 for s in scored
    )
    return short and not recent


def _upstream_repos(service: Service | None, catalog: Mapping[str, Service]) -> list[str]:
    if service is None:
        return []
    repos = [catalog[name].repo for name in service.depends_on if name in catalog]
    return [r for r in dict.fromkeys(repos) if r != service.repo]


def _preliminary(change: Change, incident: Incident) -> tuple[int, float]:
    """Which changes to read in detail first: those a deploy marker names, then those merged
    before the onset, the most recent first, then those merged after it (ruled out unless a
    marker says they went out earlier; read only when slots are left)."""
    if correlate.marker_for(change.sha, change.number, incident.markers) is not None:
        return (0, abs((incident.onset - change.merged_at).total_seconds()))
    before = (incident.onset + correlate.DEPLOY_SLACK - change.merged_at).total_seconds()
    return (1, before) if before >= 0 else (2, -before)


def _facts(change: Change) -> ChangeFacts | None:
    return change_facts(change.ref, change.files, change.patches) if change.patches else None


def _errors_seen(pages: list[PageFacts]) -> list[str]:
    """The first errors the evidence shows, as extracted (type and message)."""
    return list(dict.fromkeys(f"{e.kind}: {gist(e.message, 80)}" for p in pages
                              for e in p.errors))[:2]  # fmt: skip


def _dedupe(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


__all__ = ["Scored", "describe", "fact_lines", "investigate"]
