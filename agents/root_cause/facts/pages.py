"""The typed evidence of one page, from the accessibility snapshot Playwright returns.

`page_facts(snapshot, url, source, alert_start)` reads the snapshot once (`tree`) and hands its
lines and tables to the extractors: time series and the onset (`tables`, `onset`), deploy
markers (`markers`), errors and stack frames (`errors`), log lines (`logs`), configuration
values (`configs`), hosts (`hosts`), status notices (`notices`), events in words
(`events`) and how runs on each version went (`outcomes`). Deterministic and general:
nothing here knows any service, vendor or incident.
"""

from __future__ import annotations

from datetime import datetime

from agents.root_cause.facts.configs import configs
from agents.root_cause.facts.errors import errors
from agents.root_cause.facts.events import events
from agents.root_cause.facts.hosts import hosts
from agents.root_cause.facts.logs import log_lines
from agents.root_cause.facts.markers import markers
from agents.root_cause.facts.notices import notices
from agents.root_cause.facts.onset import page_onset
from agents.root_cause.facts.outcomes import outcomes
from agents.root_cause.facts.tables import series, time_tables
from agents.root_cause.facts.times import clock_for
from agents.root_cause.facts.tree import parse
from agents.root_cause.facts.types import PageFacts


def page_facts(
    snapshot: str, url: str, source: str, alert_start: datetime, clients: bool = False
) -> PageFacts:
    """Everything one page shows that the root-cause step can reason about, typed; `clients`
    when the alert is about answers clients caused (4xx), which then count as its failures."""
    page = parse(snapshot)
    clock = clock_for(page.lines, alert_start)
    tables = time_tables(page, clock)
    found = series(tables, source)
    return PageFacts(
        source=source,
        url=url,
        title=page.title,
        series=tuple(found),
        onset=page_onset(found, clients),
        markers=tuple(markers(page, tables, clock, source)),
        errors=tuple(errors(page, clock, source)),
        logs=tuple(log_lines(page, clock, source)),
        configs=tuple(configs(page, source)),
        hosts=tuple(hosts(page, url)),
        notices=tuple(notices(page, url, clock, source)),
        events=tuple(events(page, tables, clock, source)),
        outcomes=tuple(outcomes(page, clock, source)),
    )
