"""The GitHub stand-in's mutable state: per-repo data, the scenario clock and the write log.

`RepoState` holds one repository (pull requests, commit history newest first, created
issues and comments); `GitHubStore` holds them all, with the lock writers take and the
`GitHubWrite` records of every accepted write.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from world.github_views import (
    CommentView,
    CommitView,
    IssueView,
    full_sha,
    iso,
    merge_sha,
    num_id,
    pr_times,
)
from world.scenario import PullRequest, Repo, Scenario, parse_time


@dataclass(frozen=True)
class GitHubWrite:
    """One accepted write. `kind` is create_issue, comment_on_pull_request,
    comment_on_issue or revert_pull_request; `number` is the issue or PR written to (the
    reverted PR for a revert); `created` the new issue/PR number or comment id. `at` is the
    wall-clock time it was accepted (objects it creates carry the scenario's `now`)."""

    method: str
    path: str
    body: dict[str, Any]
    at: datetime
    kind: str = ""
    repo: str = ""
    number: int | None = None
    created: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": iso(self.at)}


@dataclass
class RepoState:
    name: str
    spec: Repo
    pulls: dict[int, PullRequest]
    commits: list[CommitView]  # newest first
    issues: dict[int, IssueView]
    comments: dict[int, list[CommentView]]

    @classmethod
    def seed(cls, name: str, spec: Repo) -> RepoState:
        pulls = {p.number: p for p in spec.pulls}
        return cls(name, spec, pulls, _history(name, spec), {}, {})

    def next_number(self) -> int:
        return max([0, *self.pulls, *self.issues]) + 1

    def issue(self, number: int, now: datetime) -> IssueView | None:
        pr = self.pulls.get(number)
        if pr is None:
            return self.issues.get(number)
        created, _, closed = pr_times(pr, now)
        return IssueView(pr.number, pr.title, pr.body, pr.user, created, pr.state, True, closed)

    def commit(self, ref: str) -> CommitView | None:
        if ref == self.spec.default_branch:
            return self.commits[0] if self.commits else None
        found = [c for c in self.commits if len(ref) >= 4 and c.sha.startswith(ref.lower())]
        return found[0] if len(found) == 1 else None


def _history(name: str, spec: Repo) -> list[CommitView]:
    views = [
        CommitView(full_sha(c.sha), c.message, c.author, parse_time(c.date), tuple(c.files))
        for c in spec.commits
    ]
    views += [
        CommitView(merge_sha(name, p), f"{p.title} (#{p.number})", p.user, merged, tuple(p.files))
        for p in spec.pulls
        if p.merged_at and (merged := parse_time(p.merged_at))
    ]
    views.sort(key=lambda c: c.date)
    linked = [replace(c, parents=(views[i - 1].sha,) if i else ()) for i, c in enumerate(views)]
    return linked[::-1]


class GitHubStore:
    """All repos of one scenario; writers hold `lock` and call `record` for each write."""

    def __init__(self, scenario: Scenario) -> None:
        self.now = scenario.now_dt
        self.repos = {n: RepoState.seed(n, spec) for n, spec in scenario.github.repos.items()}
        self.lock = threading.Lock()
        self.comment_ids = itertools.count(num_id("comments", scenario.name))
        self.writes: list[GitHubWrite] = []
        self.write_delay_s = 0.0  # a slow GitHub: each write answers this much later

    async def slow_write(self) -> None:
        """Wait `write_delay_s` before a write takes effect (it is recorded even when the
        caller has gone meanwhile, as GitHub would finish a request whose client died)."""
        if self.write_delay_s > 0:
            await asyncio.sleep(self.write_delay_s)

    def record(self, request: Request, body: dict[str, Any], **what: Any) -> None:
        at = datetime.now(UTC)
        self.writes.append(GitHubWrite(request.method, request.url.path, body, at, **what))
