"""The GitHub stand-in's view records and the deterministic ids derived from names.

`CommitView`, `IssueView`, `CommentView` and `Site` are what the JSON builders in
`world.github_json` render. Ids, node ids and 40-digit SHAs are hashes of names, so a
replay sees the same values every time.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from world.scenario import FileChange, PullRequest, parse_time

WEB = "https://github.com"
VIEWER = "incident-graph[bot]"


@dataclass(frozen=True)
class CommitView:
    sha: str
    message: str
    author: str
    date: datetime
    files: tuple[FileChange, ...]
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssueView:
    number: int
    title: str
    body: str
    user: str
    created_at: datetime
    state: str = "open"
    is_pull: bool = False
    closed_at: datetime | None = None


@dataclass(frozen=True)
class CommentView:
    id: int
    number: int
    body: str
    user: str
    created_at: datetime


@dataclass(frozen=True)
class Site:
    """Where one repository lives: `api` is the stand-in's base URL (no trailing slash)."""

    api: str
    repo: str

    @property
    def repo_api(self) -> str:
        return f"{self.api}/repos/{self.repo}"

    @property
    def repo_web(self) -> str:
        return f"{WEB}/{self.repo}"


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def fake_sha(*parts: object) -> str:
    return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()


def full_sha(sha: str) -> str:
    """A scenario's short SHA extended to 40 hex digits (the short one stays a prefix)."""
    return sha + fake_sha(sha)[len(sha) :]


def num_id(*parts: object) -> int:
    return int(fake_sha(*parts)[:8], 16)


def node_id(kind: str, key: str) -> str:
    return f"{kind}_kwDO" + base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def node_key(kind: str, node: str) -> str | None:
    """The key a `node_id(kind, key)` was made from; None for anything else."""
    prefix = f"{kind}_kwDO"
    if not node.startswith(prefix):
        return None
    raw = node[len(prefix) :]
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except ValueError:
        return None


def merge_sha(repo: str, pr: PullRequest) -> str:
    """The PR's merge commit: its scenario SHA made 40 digits long, or a made-up one."""
    return (
        full_sha(pr.merge_commit_sha) if pr.merge_commit_sha else fake_sha(repo, pr.number, "merge")
    )


def head_ref(pr: PullRequest) -> str:
    return pr.head or f"{pr.user}/pr-{pr.number}"


def pr_times(pr: PullRequest, now: datetime) -> tuple[datetime, datetime, datetime | None]:
    """(created_at, updated_at, closed_at) of a pull request, filling what it leaves out."""
    merged = parse_time(pr.merged_at) if pr.merged_at else None
    created = parse_time(pr.created_at) if pr.created_at else (merged or now) - timedelta(hours=1)
    closed = (merged or created) if pr.state == "closed" else None
    return created, merged or created, closed
