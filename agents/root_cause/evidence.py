"""Gather evidence through the MCP read tools: dashboards (Playwright) as typed page facts,
PRs and commits (GitHub) of the service's repo and its upstreams' as changes with patches.

A tool that fails or a server that dies costs its evidence, never the run: the problem
is recorded and the bundle is marked partial.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from agents.root_cause.change import Change
from agents.root_cause.facts.onset import about_clients
from agents.root_cause.facts.pages import page_facts  # noqa: I001
from agents.root_cause.facts.types import PageFacts
from agents.root_cause.snapshot import page_lines, signal_lines
from core.ports import Tools
from core.state import Alert, Evidence
from core.tools import (
    ChangeDetail,
    CommitList,
    CommitSummary,
    PullRequestList,
    PullRequestSummary,
    R,
    ToolReplyError,
    ToolResult,
    as_text,
)
from core.windows import CHANGE_WINDOW

MAX_PAGES = 4
DETAIL_PRS = 10  # the changes whose patches are read (the rest are ranked on their titles)
BODY_CHARS = 2000  # of a PR body or commit message kept as evidence (the gate's reader reads it)
_URL = re.compile(r"^https?://\S+$")
_MERGED = re.compile(r"\(#(\d+)\)\s*$")  # a pull request's merge commit: `Title (#612)`


@dataclass
class Bundle:
    evidence: list[Evidence] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    pages: list[PageFacts] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.problems)


class ToolFailed(Exception):
    pass


def dashboard_urls(alert: Alert) -> list[str]:
    """Links in the alert's annotations, one per page (query strings ignored), at most
    MAX_PAGES; runbooks last (they say what to do, the other pages what happened)."""
    pages: dict[str, tuple[bool, str]] = {}
    for key, value in alert.annotations.items():
        if _URL.match(value.strip()):
            runbook = bool(_RUNBOOK.search(key) or _RUNBOOK.search(value))
            pages.setdefault(value.strip().split("?")[0], (runbook, value.strip()))
    ordered = sorted(pages.values(), key=lambda page: page[0])  # stable: the alert's order
    return [url for _, url in ordered][:MAX_PAGES]


_RUNBOOK = re.compile(r"runbook|playbook", re.I)


def _queued(urls: list[str], done: int, linked: list[str]) -> list[str]:
    """The pages to read: those read (up to `done`), then the unread ones with the newly
    linked pages before any runbook, at most MAX_PAGES."""
    rest = urls[done + 1 :]
    books = [u for u in rest if _RUNBOOK.search(u)]
    others = [u for u in rest if not _RUNBOOK.search(u)]
    return [*urls[: done + 1], *others, *linked, *books][:MAX_PAGES]


async def call(tools: Tools, tool: str, args: dict[str, Any]) -> ToolResult:
    """The tool's result; ToolFailed when it failed or its server died or hung."""
    try:
        result = await tools.call(tool, args)
    except Exception as exc:  # transport failure: the server died or hung
        raise ToolFailed(f"{tool} unavailable: {type(exc).__name__}: {exc}".strip()) from exc
    if result.status == "error":
        raise ToolFailed(f"{tool} failed: {result.text[:300]}")
    return result


async def read(tools: Tools, tool: str, args: dict[str, Any], model: type[R]) -> R:
    """The tool's reply as `model`; ToolFailed on a failure or a reply of the wrong shape."""
    result = await call(tools, tool, args)
    try:
        return result.parse(model)
    except ToolReplyError as exc:
        raise ToolFailed(str(exc)) from exc


def linked_pages(snapshot: str, read: list[str], base: str | None = None) -> list[str]:
    """The pages a read page links to on the same server as the pages already read (the
    dashboard a panel points at, the node dashboard beside a service's), in page order; a
    link elsewhere (another site, an attacker's host in untrusted text) is never followed.
    A relative link is read against `base`, the URL of the page that holds it."""
    servers = {_server(u) for u in read}
    seen = {u.split("?")[0].split("#")[0] for u in read}
    out: list[str] = []
    for match in _LINK.finditer(snapshot):
        url = match.group(1).strip("'\"")
        page = urljoin(base, url).split("#")[0] if base else url.split("#")[0]
        if _server(page) in servers and page.split("?")[0] not in seen:
            seen.add(page.split("?")[0])
            out.append(page)
    return out


_LINK = re.compile(r"^\s*- /url: (\S+)\s*$", re.M)


def _server(url: str) -> str:
    match = re.match(r"^(https?://[^/?#]+)", url)
    return match.group(1).lower() if match else ""


def searched_pages(
    listing: str,
    index: str,
    read: list[str],
    said: list[str],
    service: str,
    depends: Sequence[str] = (),
    clusters: Sequence[str] = (),
) -> list[str]:
    """Dashboard search: the pages a dashboards list (`listing`, the snapshot of the page at
    `index`) holds that the pages read point an SRE at, the way one searches Grafana for the
    failing dependency's dashboard. First the pages named after something the pages read
    show failing (a name, such as `orders-db`, on a line that also says error, timeout,
    refused...), then the alerting service's own pages (`<service>-logs`), then the pages of
    what the service depends on, as the catalog says (`depends`: the broker or database it
    calls, whose own dashboard shows what its clients only see as timeouts), then the pages
    of the cluster the alert's labels place it in (`gke-<cluster>`: the node pools, upgrades
    and operations under the workload); a page named after nothing failing is not read,
    nor is a runbook (the alert names its own)."""
    failing = [line.lower() for line in said if _FAILING.search(line.lower())]
    deps = [d.lower() for d in depends if len(d) >= 4]
    named: list[str] = []
    own: list[str] = []
    called: list[str] = []
    placed: list[str] = []
    where = [c.lower() for c in clusters if len(c) >= 4]
    for url in linked_pages(listing, read, base=index):
        name = _page_name(url)
        if len(name) < 4 or _RUNBOOK.search(url):
            continue
        tokens = [re.compile(rf"(?<![a-z0-9_-]){re.escape(n)}(?![a-z0-9_-])")
                  for n in {name, page_subject(name)} if len(n) >= 4]  # fmt: skip
        if any(token.search(line) for token in tokens for line in failing):
            named.append(url)
        elif service and (name == service.lower() or name.startswith(service.lower() + "-")):
            own.append(url)
        elif any(page_subject(name) == d or name.startswith(d + "-") for d in deps):
            called.append(url)
        elif any(name == c or name.endswith("-" + c) or name.startswith(c + "-") for c in where):
            placed.append(url)
    return [*named, *own, *called, *placed]


_FAILING = re.compile(
    r"error|fail|timeout|timed out|\boom\b|refused|denied|unavailable|unreachable|5xx|"
    r"exceeded|reset by peer|\bdown\b"
)


def _as_guidance(facts: PageFacts) -> PageFacts:
    """A runbook's facts: it says what to do and what errors mean (a table of error codes, an
    example log line), not what happened, so its errors, log lines, events, notices and
    series are no evidence of this incident; its settings and hosts still are."""
    return replace(facts, errors=(), logs=(), events=(), notices=(), onset=None, series=(),
                   outcomes=(), markers=())  # fmt: skip


_PAGE_KIND = re.compile(r"status|health|overview|dashboards?|logs?|metrics|tables?|events|"
                        r"console|details|incidents")  # fmt: skip


_CLUSTER_LABEL = re.compile(r"(k8s_|kubernetes_)?cluster(_name)?", re.I)


def page_subject(name: str) -> str:
    """What a page is about, without the words that say what kind of page it is: a vendor's
    status page `acme-status` is about `acme`, `orders-db-table-health` about `orders-db`."""
    parts = name.split("-")
    while len(parts) > 1 and _PAGE_KIND.fullmatch(parts[-1]):
        parts.pop()
    while len(parts) > 1 and _PAGE_KIND.fullmatch(parts[0]):
        parts.pop(0)
    subject = "-".join(parts)
    return name if _PAGE_KIND.fullmatch(subject) else subject


def _page_name(url: str) -> str:
    """A page's name as a search would match it: its path's last part, without extension."""
    path = urlsplit(url).path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    return re.sub(r"\.(html?|txt|json)$", "", last, flags=re.I).lower()


async def _search(
    tools: Tools,
    urls: list[str],
    said: list[str],
    service: str,
    depends: Sequence[str],
    clusters: Sequence[str] = (),
) -> list[str]:
    """The pages the dashboards list at the first page's server root points at; nothing
    when that root is not a list or cannot be read (the search is a bonus, never a cost)."""
    index = urljoin(urls[0], "/")
    try:
        await call(tools, "playwright.browser_navigate", {"url": index})
        listing = as_text(await call(tools, "playwright.browser_snapshot", {}))
    except (ToolFailed, ToolReplyError):
        return []
    return searched_pages(listing, index, urls, said, service, depends, clusters)


async def read_dashboards(
    tools: Tools, alert: Alert, bundle: Bundle, service: str = "", depends: Sequence[str] = ()
) -> None:
    """The pages the alert links to, then the pages those link to on the same server, then
    (before any runbook) the pages a search of the dashboards list finds, at most MAX_PAGES
    in all."""
    urls = dashboard_urls(alert)
    said: list[str] = []  # the lines of the pages read
    searched = False
    clients = alert_about_clients(alert)
    for i in range(MAX_PAGES):
        if not searched and i > 0 and (i >= len(urls) or _RUNBOOK.search(urls[i])):
            searched = True
            clusters = [v for k, v in alert.labels.items() if _CLUSTER_LABEL.fullmatch(k)]
            found = await _search(tools, urls, said, service, depends, clusters)
            urls = _queued(urls, i - 1, found)
        if i >= len(urls):
            break
        url = urls[i]
        try:
            await call(tools, "playwright.browser_navigate", {"url": url})
            text = as_text(await call(tools, "playwright.browser_snapshot", {}))
        except (ToolFailed, ToolReplyError) as exc:
            bundle.problems.append(f"dashboard {url}: {exc}")
            bundle.evidence.append(_page(i, url, "unreadable", str(exc), ok=False))
            continue
        urls = _queued(urls, i, linked_pages(text, urls, base=url))
        source = f"dashboard:{i}"
        try:
            facts = page_facts(text, url, source, alert.starts_at, clients)
            bundle.pages.append(_as_guidance(facts) if _RUNBOOK.search(url) else facts)
        except Exception as exc:  # an extractor bug costs this page's facts, not the run
            bundle.problems.append(f"dashboard {url}: facts not extracted: {type(exc).__name__}")
        lines = page_lines(text)
        said += lines
        signals = signal_lines(lines)
        bundle.signals += signals
        title = lines[0] if lines and len(lines[0]) < 100 and lines[0][0] != "…" else url
        bundle.evidence.append(_page(i, url, title, "\n".join(signals)))


async def read_changes(
    tools: Tools, repo: str, start: datetime, bundle: Bundle, since: datetime | None = None
) -> None:
    """The repo's merged pull requests and direct commits from `since` (`CHANGE_WINDOW`
    before the alert unless told) until the alert."""
    since = start - CHANGE_WINDOW if since is None else since
    window = {"repo": repo, "since": iso(since), "until": iso(start)}
    merged_args = {**window, "state": "merged"}
    try:
        pulls = (
            await read(tools, "github.list_pull_requests", merged_args, PullRequestList)
        ).pull_requests
    except ToolFailed as exc:
        bundle.problems.append(f"pull requests of {repo}: {exc}")
        pulls = []
    bundle.changes += [_pull_change(repo, p) for p in pulls if p.merged_at]
    try:
        commits = (await read(tools, "github.list_commits", window, CommitList)).commits
    except ToolFailed as exc:
        bundle.problems.append(f"commits of {repo}: {exc}")
        return
    merged = {p.merge_commit_sha for p in pulls}
    for commit in commits:
        if commit.sha not in merged and not _MERGED.search(_first(commit)):
            bundle.changes.append(_commit_change(repo, commit))


HISTORY = timedelta(days=60)  # how far back the history of a file the errors fail in is read
HISTORY_COMMITS = 3  # the newest changes of that file read


async def read_history(
    tools: Tools, repo: str, paths: list[str], since: datetime, until: datetime, bundle: Bundle
) -> list[Change]:
    """The changes that touched a file in [since, until], newest first: its history, as a
    responder reads it to find who wrote a failing line (`git log -- path`). `paths` are
    the ways the file may be named in the repo (a frame's `/srv/billing/proration.py` is
    `billing/proration.py` there); the first that has a history is it."""
    for path in paths:
        args = {"repo": repo, "since": iso(since), "until": iso(until), "path": path,
                "limit": HISTORY_COMMITS}  # fmt: skip
        try:
            commits = (await read(tools, "github.list_commits", args, CommitList)).commits
        except ToolFailed as exc:
            bundle.problems.append(f"history of {repo}:{path}: {exc}")
            return []
        if commits:
            return [_history_change(repo, c) for c in commits]
    return []


def _history_change(repo: str, commit: CommitSummary) -> Change:
    """A commit of a file's history: a merged pull request where its message says so
    (`Prorate by calendar days (#212)`), else the commit itself."""
    merged = _MERGED.search(_first(commit))
    if merged is None:
        return _commit_change(repo, commit)
    number = int(merged.group(1))
    return Change(kind="pr", repo=repo, ref=f"PR #{number}", number=number, sha=commit.sha,
                  title=_first(commit)[: merged.start()].strip(), author=commit.author or "?",
                  merged_at=parse_time(commit.date), files=())  # fmt: skip


async def read_patches(tools: Tools, changes: list[Change], bundle: Bundle) -> list[Change]:
    """Changes with the patches of the first few fetched (they are ranked again after)."""
    detailed = await asyncio.gather(*(_detail(tools, c, bundle) for c in changes[:DETAIL_PRS]))
    return [*detailed, *changes[DETAIL_PRS:]]


async def _detail(tools: Tools, change: Change, bundle: Bundle) -> Change:
    if change.kind == "pr":
        tool, args = "github.get_pull_request", {"repo": change.repo, "number": change.number}
    else:
        tool, args = "github.get_commit", {"repo": change.repo, "sha": change.sha}
    try:
        data = await read(tools, tool, args, ChangeDetail)
    except ToolFailed as exc:
        bundle.problems.append(f"{change.ref} details: {exc}")
        return change
    patches = {d.filename: d.patch or "" for d in data.file_diffs}
    body = data.body or data.message or ""
    bundle.evidence.append(
        Evidence(
            id=f"{change.repo}:{change.ref}",
            kind="pull_request" if change.kind == "pr" else "commit",
            source=data.url or change.repo,
            title=f"{change.ref}: {change.title}",
            excerpt=(body[:BODY_CHARS] + "\nfiles: " + ", ".join(patches)).strip(),
        )
    )
    return Change(
        **{**change.__dict__, "files": tuple(patches) or change.files, "patches": patches}
    )


def _page(i: int, url: str, title: str, excerpt: str, ok: bool = True) -> Evidence:
    return Evidence(
        id=f"dashboard:{i}", kind="dashboard", source=url, title=title[:120], excerpt=excerpt, ok=ok
    )


def _pull_change(repo: str, pull: PullRequestSummary) -> Change:
    assert pull.merged_at is not None  # only merged pull requests become changes
    return Change(
        kind="pr",
        repo=repo,
        ref=f"PR #{pull.number}",
        number=pull.number,
        sha=pull.merge_commit_sha,
        title=pull.title,
        author=pull.author or "?",
        merged_at=parse_time(pull.merged_at),
        files=tuple(pull.files),
    )


def _commit_change(repo: str, commit: CommitSummary) -> Change:
    return Change(
        kind="commit",
        repo=repo,
        ref=commit.sha[:7],
        number=None,
        sha=commit.sha,
        title=_first(commit),
        author=commit.author or "?",
        merged_at=parse_time(commit.date),
        files=(),
    )


def _first(commit: CommitSummary) -> str:
    return commit.message.splitlines()[0] if commit.message else ""


def parse_time(value: str) -> datetime:
    """An RFC 3339 time as the tools return it (`Z` or an offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def iso(value: datetime) -> str:
    """A time as the tools take it: RFC 3339 in UTC, to the second."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_about_clients(alert: Alert) -> bool:
    """The alert is about answers clients caused (its name or summary names a 4xx)."""
    return about_clients(alert.name, alert.annotations.get("summary", ""))
