"""What a vendor's, cloud provider's, DNS provider's or CDN's status page says, as `Notice`s.

A status page (its host starts with `status.`, or its title or first line says status, service
health or health dashboard, and it shows a status the way status pages write one: `Partial
Outage`, `Investigating`) gives one notice for its current incident, read above its history.
Other pages quote status pages: `<Provider> status: Investigating`, `[<Provider>] Identified -
<title>`, `status.<host> (11:20): "Investigating - ..."`. A notice needs a status other than
operational. Its kind comes from what its provider and text talk about (DNS, CDN, cloud
products and zones); its components from "affects" lists, components shown with a status other
than operational, regions and zones, and hosts; its start from "since", "beginning at",
"start time" or "posted".
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlparse

from agents.root_cause.facts.hosts import hosts_in
from agents.root_cause.facts.text import shorten
from agents.root_cause.facts.times import Clock, all_times, first_time
from agents.root_cause.facts.tree import Page
from agents.root_cause.facts.types import Notice, NoticeKind

_WORDS = (
    r"major outage|partial outage|full outage|degraded performance|service disruption"
    r"|elevated error rates?|increased error rates?|increased latency|elevated latency"
    r"|investigating|identified|monitoring|resolved|scheduled maintenance|maintenance in progress"
    r"|under maintenance|outage|degraded"
)
_STATUS = re.compile(r"\b(?:" + _WORDS + r")\b", re.IGNORECASE)
# as status pages write it, capitalized; also right after the update's own label when the
# page's markup runs them together ("In progressScheduled maintenance is ...")
_TITLED = re.compile(r"(?:(?<![\w-])|(?<=[a-z]))(?=[A-Z])(?i:" + _WORDS + r")\b")
_STATUS_PAGE = re.compile(r"\bstatus\b|service health|health dashboard", re.IGNORECASE)
_HISTORY = re.compile(
    r"^(?:past incidents|incident history|recent history|history|previous incidents)\b", re.I
)
_QUOTED = (
    re.compile(r"(?P<p>[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*){0,3}) status: (?P<s>[A-Z][A-Za-z ]{3,30})"),  # noqa: E501
    re.compile(r"\[(?:vendor status\] )?(?P<p>[^\]\[]{2,40})\]:? (?P<s>[A-Z][a-z]+) - ", re.I),
    re.compile(r"\[vendor status\] (?P<p>[\w .&-]{2,40}): (?P<s>[A-Z][a-z]+)", re.I),
)  # fmt: skip
_STATUS_HOST = re.compile(r"\bstatus\.(?:[a-z0-9-]+\.)+[a-z]{2,}\b")
_HOST_REACH = 160  # a quoted status page's status: this close after its host
_START = re.compile(
    r"\b(?:since|beginning at|beginning|starting at|started at|began at|start time|posted(?: at)?)"
    r"\b[\s|:]*(?:approximately\s+)?",
    re.IGNORECASE,
)
_AFFECTS = re.compile(
    r"\b(?:this incident affects|affected components?|affects|components)\s*:?\s+"
    r"(?P<list>.+?)(?:\.\s|\.?$)",
    re.IGNORECASE,
)
_ROW_LIST = re.compile(
    r"^(?:affected )?(?:products|services|locations|regions|zones|components)\s*[:|]\s*"
    r"(?P<list>.+)",
    re.IGNORECASE,
)
_PAIRS = re.compile(
    r"(?P<name>[^:;·]+?)\s*(?::| - )\s*(?P<status>" + _WORDS + r"|operational)\b", re.IGNORECASE
)
_UPDATE = re.compile(r"(?<![\w-])(?=[A-Z])(?i:investigating|identified|update|monitoring) - ")
_WINDOW = 700  # characters of a quoted notice read for its start and components
_REGION = re.compile(
    r"\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn|uk|europe|asia|australia|northamerica|southamerica"
    r"|africa)-[a-z]+(?:-[a-z]+)?-?\d{1,2}[a-z]?(?:-[a-z])?\b|\b[A-Z]{3}\d\b"
)
_KIND_WORDS: dict[NoticeKind, re.Pattern[str]] = {
    "dns": re.compile(
        r"\bdns\b|resolution|resolver|nameserver|authoritative|servfail|nxdomain|dnssec", re.I
    ),
    "cdn": re.compile(r"\bcdn\b|edge network|cache purge|points? of presence|origin pull", re.I),
    # what a cloud provider sells; not what any provider runs on (its load balancers, its
    # regions), which a software vendor's status page names as often
    "cloud": re.compile(
        r"\bcloud\b|compute|service health|\bvms?\b|instances|kubernetes|object storage"
        r"|availability zone|\bzones?\b",
        re.I,
    ),
}


def notices(page: Page, url: str, clock: Clock, source: str) -> list[Notice]:
    found: list[Notice] = []
    if is_status_page(page, url):
        own = _page_notice(page, url, clock)
        found += [own] if own else []
    elif _named_status_page(page, url):
        found += _event_rows(page, url, clock)
    found += _quoted(page.lines, clock)
    merged: list[Notice] = []
    for n in found:
        i = next((i for i, m in enumerate(merged) if _same_provider(m, n)), None)
        if i is None:
            merged.append(replace(n, source=source))
        else:
            merged[i] = _merge(merged[i], n)
    return merged


def is_status_page(page: Page, url: str) -> bool:
    host = urlparse(url).hostname or ""
    heads = [h for h in (page.title, *page.lines[:2]) if len(h) <= 120 and " | " not in h]
    named = host.startswith("status.") or any(_STATUS_PAGE.search(h[:60]) for h in heads)
    return named and any(_TITLED.search(line) for line in _current(page.lines))


def _named_status_page(page: Page, url: str) -> bool:
    """A page that calls itself a status page or a provider's health dashboard (in its title's
    parts, `Open issues | <Cloud> Health Dashboard | Global`), whatever its status words."""
    host = urlparse(url).hostname or ""
    heads = [h for h in page.lines[:2] if len(h) <= 120 and " | " not in h]
    parts = [*re.split(r" \| | · ", page.title), *heads]
    return host.startswith("status.") or any(_STATUS_PAGE.search(p[:60]) for p in parts)


_EVENT_COLUMNS = {
    "event": re.compile(r"event|incident|issue|title|summary", re.I),
    "status": re.compile(r"^\s*(status|state)\s*$", re.I),
    "service": re.compile(r"service|product|component", re.I),
    "where": re.compile(r"region|zone|location|\baz\b", re.I),
    "start": re.compile(r"start|began|since|opened|posted", re.I),
}
_OPEN = re.compile(r"\b(open|ongoing|active|investigating|identified|monitoring|in progress|"
                   r"degraded|outage|disruption)\b", re.I)  # fmt: skip
_CLOSED = re.compile(r"\b(closed|resolved|completed|ended|operational)\b", re.I)


def _event_rows(page: Page, url: str, clock: Clock) -> list[Notice]:
    """A health dashboard's table of events (event, service, region, start time, status):
    one notice per event still open."""
    out: list[Notice] = []
    for table in page.tables:
        cols = {name: next((i for i, h in enumerate(table.header) if pattern.search(h)), None)
                for name, pattern in _EVENT_COLUMNS.items()}  # fmt: skip
        if cols["event"] is None or cols["status"] is None:
            continue
        for row in table.rows:
            status = _cell(row, cols["status"])
            if not _OPEN.search(status) or _CLOSED.search(status):
                continue
            components = tuple(c for c in (_cell(row, cols["service"]), _cell(row, cols["where"]))
                               if c)  # fmt: skip
            text = " · ".join(c for c in (_cell(row, cols["event"]), *components, status) if c)
            start = first_time(_cell(row, cols["start"]), clock)
            provider = _provider(page, url)
            regional = any(_REGION.fullmatch(c) for c in components)
            out.append(Notice(
                provider=provider,
                kind="cloud" if regional else _kind(f"{provider} {page.title} {text}", url),
                status=status.lower(),
                text=shorten(text, 400),
                started=start.at if start else None,
                components=components,
            ))  # fmt: skip
    return out


def status_word(text: str, titled: bool = False) -> str | None:
    """The first status a text gives (not `operational`), normalized."""
    match = (_TITLED if titled else _STATUS).search(text)
    if not match:
        return None
    word = match.group(0).lower()
    return word + "s" if word.endswith("error rate") else word


def _page_notice(page: Page, url: str, clock: Clock) -> Notice | None:
    lines = _current(page.lines)
    at = next((i for i, line in enumerate(lines) if status_word(line, titled=True)), None)
    if at is None:
        return None
    provider = _provider(page, url)
    text = " ".join(lines[max(0, at - 1) : at + 3])
    listed = [line for line in lines if _AFFECTS.search(line) or _ROW_LIST.match(line)]
    return Notice(
        provider=provider,
        kind=_kind(" ".join([provider, page.title, text]), url),
        status=status_word(lines[at], titled=True) or "",
        text=shorten(text, 400),
        started=_page_started(lines, clock),
        components=_components(text, listed, _component_lines(lines)),
    )


# a maintenance's announcement, posted before it began
_ANNOUNCED = re.compile(r"^(?:Scheduled|scheduled|SCHEDULED)(?![a-z])")
_UPDATE_LINE = re.compile(
    r"^(?:in progress|update|verifying|completed|investigating|identified|monitoring|resolved)",
    re.I,
)


def _page_started(lines: list[str], clock: Clock) -> datetime | None:
    """A status page's start: an explicit one (`since 11:05`), else its earliest update; an
    announcement of maintenance (`Scheduled - ... Posted Apr 29`) says when it was posted,
    not when the maintenance began: with no update after it, its window's first time is the
    start (a maintenance announced for a later day is no notice of today's failures)."""
    live = [line for line in lines if not _ANNOUNCED.match(line)]
    explicit = _started(" ".join(live), clock)
    if explicit is not None:
        return explicit
    updates = [f.at for line in live if _UPDATE_LINE.match(line) for f in all_times(line, clock)]
    window = [_first(line, clock) for line in lines if _ANNOUNCED.match(line)]  # when it is due
    return (min(updates, default=None) or next((w for w in window if w), None)
            or _started(" ".join(lines), clock))  # fmt: skip


def _first(line: str, clock: Clock) -> datetime | None:
    """The first time an announcement gives, its window's start (not when it was posted)."""
    text = re.split(r"\bposted\b", line, maxsplit=1, flags=re.I)[0]
    text = re.sub(r"(?<=[a-z])(?=[A-Z][a-z]{2,8}\.? \d)", " ", text)  # markup ran "onlyJun 5" on
    found = first_time(text, clock)
    return found.at if found else None


def _current(lines: list[str]) -> list[str]:
    """The lines above the page's history section."""
    end = next((i for i, line in enumerate(lines) if _HISTORY.match(line)), len(lines))
    return lines[:end]


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def _quoted(lines: list[str], clock: Clock) -> list[Notice]:
    out: list[Notice] = []
    for i, line in enumerate(lines):
        for pattern in _QUOTED:
            for m in pattern.finditer(line):
                status = status_word(m["s"], titled=True)
                if status:
                    text = line[m.start() : m.start() + _WINDOW]
                    out.append(_quoted_notice(m["p"].strip(" ·:"), status, text, clock))
        for m in _STATUS_HOST.finditer(line):
            text = " ".join(lines[i : i + 3])[line.index(m.group(0)) :][:_WINDOW]
            status = status_word(text[:_HOST_REACH], titled=True)
            if status:
                out.append(_quoted_notice(_host_provider(m.group(0)), status, text, clock))
    return out


def _quoted_notice(provider: str, status: str, text: str, clock: Clock) -> Notice:
    return Notice(
        provider=provider,
        kind=_kind(f"{provider} {text}", ""),
        status=status,
        text=shorten(text, 400),
        started=_started(text, clock),
        components=_components(text, [], []),
    )


def _provider(page: Page, url: str) -> str:
    heads = (page.title, *page.lines[:2])
    for head in (*heads, *(p for h in heads for p in re.split(r" \| | · ", h)[1:])):
        match = re.match(
            r"^\s*(?P<p>[^·|]+?)[\s·|-]*(?:status|service health|health dashboard)\b", head, re.I
        )
        if match and len(match["p"]) <= 40:
            return match["p"].strip(" ·|-")
    return _host_provider(urlparse(url).hostname or "") or page.title


def _host_provider(host: str) -> str:
    labels = [x for x in host.split(".") if x and x != "status"]
    if len(labels) < 2 or all(x.isdigit() for x in labels):
        return ""
    core = labels[:-1]
    if len(core) > 1 and core[-1] in ("co", "com", "net", "org", "ac", "gov"):
        core = core[:-1]
    return core[-1]


def _same_provider(a: Notice, b: Notice) -> bool:
    x, y = a.provider.lower(), b.provider.lower()
    return x in y or y in x


def _merge(a: Notice, b: Notice) -> Notice:
    started = min((t for t in (a.started, b.started) if t is not None), default=None)
    components = tuple(dict.fromkeys(a.components + b.components))
    return replace(a, started=started, components=components)


def _kind(text: str, url: str) -> NoticeKind:
    host = urlparse(url).hostname or ""
    if host.endswith((".internal", ".local", ".corp", ".lan")) or "internal status" in text.lower():
        return "internal"
    scores = {
        k: len({m.group(0).lower() for m in p.finditer(text)}) for k, p in _KIND_WORDS.items()
    }
    if scores["dns"] >= 2:
        return "dns"
    if re.search(r"\bcloud\b", text, re.I) and scores["cloud"] >= scores["cdn"]:
        return "cloud"
    if scores["cdn"] >= 1 and scores["cdn"] >= scores["cloud"]:
        return "cdn"
    return "cloud" if scores["cloud"] >= 2 else "vendor"


def _started(text: str, clock: Clock) -> datetime | None:
    """An explicit start (`since 11:05 UTC`); else the earliest update (`Identified - 11:20`)."""
    for m in _START.finditer(text):
        found = first_time(text[m.end() : m.end() + 40], clock)
        if found is not None and found.start == 0:
            return found.at
    updates = [first_time(text[m.end() : m.end() + 30], clock) for m in _UPDATE.finditer(text)]
    return min((f.at for f in updates if f is not None and f.start == 0), default=None)


def _component_lines(lines: list[str]) -> list[str]:
    """Components shown with a status other than operational: `Name | Status`, or a name on
    one line and its status alone on the next."""
    names: list[str] = []
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.split(" | ")]
        cells = cells if len(cells) == 2 else [c.strip() for c in line.rsplit(" - ", 1)]
        if len(cells) == 2 and status_word(cells[1]) and not status_word(cells[0]):
            names.append(cells[0])
        elif i and _STATUS.fullmatch(line.strip()) and not status_word(lines[i - 1]):
            names.append(lines[i - 1])
    return names


def _components(text: str, lists: list[str], shown: list[str]) -> tuple[str, ...]:
    """From "affects" lists (in text and in `lists`), components `shown` with a status,
    regions and zones, hosts other than the status page's own."""
    names: list[str] = []
    for line in [text, *lists]:
        for m in [*_AFFECTS.finditer(line), *_ROW_LIST.finditer(line)]:
            names += _listed(m["list"])
    names += shown + _REGION.findall(text)
    names += [h for h in hosts_in(text) if not h.startswith("status.")]
    kept = [n.strip(" .:\"'") for n in names if len(n) <= 80]
    return tuple(dict.fromkeys(n for n in kept if n and not re.search("operational", n, re.I)))


def _listed(items: str) -> list[str]:
    """The names in an affects list: `A - Major outage; B - Operational` keeps A; else all."""
    pairs = list(_PAIRS.finditer(items))
    if pairs:
        return [p["name"].strip(" ·;,") for p in pairs if p["status"].lower() != "operational"]
    return [_strip_status(x) for x in re.split(r" · |, |; | and ", items)]


def _strip_status(item: str) -> str:
    return re.sub(r"\s*[-:]\s*[A-Za-z ]+$", "", item).strip() if status_word(item) else item.strip()
