"""Pure helpers for the GitHub MCP server: time windows, result shapes, error text.

Results are frozen pydantic models, so FastMCP publishes an output schema for every tool.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from github.Commit import Commit
from github.File import File
from github.GithubException import GithubException
from github.PullRequest import PullRequest
from pydantic import BaseModel, ConfigDict

DEFAULT_WINDOW = timedelta(hours=24)


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class PullSummary(_Result):
    number: int
    title: str
    author: str | None
    state: str  # open | closed | merged
    created_at: str | None
    merged_at: str | None
    merge_commit_sha: str | None
    url: str
    files: list[str]


class PullList(_Result):
    repo: str
    state: str
    since: str
    until: str
    pull_requests: list[PullSummary]


class FileDiff(_Result):
    filename: str
    status: str
    additions: int
    deletions: int
    patch: str | None


class PullDetail(PullSummary):
    body: str
    base: str
    head: str
    updated_at: str | None
    closed_at: str | None
    additions: int
    deletions: int
    changed_files: int
    file_diffs: list[FileDiff]


class CommitSummary(_Result):
    sha: str
    message: str
    author: str | None
    date: str | None
    url: str


class CommitList(_Result):
    repo: str
    since: str
    until: str
    commits: list[CommitSummary]


class CommitDetail(CommitSummary):
    additions: int
    deletions: int
    file_diffs: list[FileDiff]


class IssueCreated(_Result):
    repo: str
    number: int
    title: str
    url: str


class CommentCreated(_Result):
    repo: str
    number: int
    comment_id: int
    url: str


class RevertOpened(_Result):
    repo: str
    reverted: int
    number: int
    title: str
    url: str


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def parse_when(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 argument as an aware datetime (UTC when it names no zone)."""
    if value is None or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{name} must be an ISO 8601 time like 2026-03-14T10:04:00Z; got {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def window(since: str | None, until: str | None, now: datetime) -> tuple[datetime, datetime]:
    """[since, until]; until defaults to `now`, since to 24 hours before until."""
    end = parse_when(until, "until") or now
    start = parse_when(since, "since") or end - DEFAULT_WINDOW
    if start > end:
        raise ValueError(f"since ({iso(start)}) is after until ({iso(end)})")
    return start, end


def activity(pr: PullRequest) -> datetime:
    """When a pull request last counted: merged_at if merged, else updated_at/created_at."""
    when: datetime = pr.merged_at or pr.updated_at or pr.created_at
    return when


def updated(pr: PullRequest) -> datetime:
    when: datetime = pr.updated_at or pr.created_at
    return when


def pull_summary(pr: PullRequest, files: list[str]) -> PullSummary:
    return PullSummary(**_pull_fields(pr, files))


def _pull_fields(pr: PullRequest, files: list[str]) -> dict[str, Any]:
    return {
        "number": pr.number,
        "title": pr.title,
        "author": pr.user.login if pr.user else None,
        "state": "merged" if pr.merged_at else pr.state,
        "created_at": iso(pr.created_at),
        "merged_at": iso(pr.merged_at),
        "merge_commit_sha": pr.merge_commit_sha if pr.merged_at else None,
        "url": pr.html_url,
        "files": files,
    }


def pull_detail(pr: PullRequest, files: list[File]) -> PullDetail:
    return PullDetail(
        **_pull_fields(pr, [f.filename for f in files]),
        body=pr.body or "",
        base=pr.base.ref,
        head=pr.head.ref,
        updated_at=iso(pr.updated_at),
        closed_at=iso(pr.closed_at),
        additions=pr.additions,
        deletions=pr.deletions,
        changed_files=pr.changed_files,
        file_diffs=[file_diff(f) for f in files],
    )


def file_diff(f: File) -> FileDiff:
    return FileDiff(
        filename=f.filename,
        status=f.status,
        additions=f.additions,
        deletions=f.deletions,
        patch=f.patch,
    )


def commit_summary(c: Commit) -> CommitSummary:
    return CommitSummary(**_commit_fields(c))


def _commit_fields(c: Commit) -> dict[str, Any]:
    return {
        "sha": c.sha,
        "message": c.commit.message,
        "author": c.author.login if c.author else c.commit.author.name,
        "date": iso(c.commit.author.date),
        "url": c.html_url,
    }


def commit_detail(c: Commit) -> CommitDetail:
    return CommitDetail(
        **_commit_fields(c),
        additions=c.stats.additions,
        deletions=c.stats.deletions,
        file_diffs=[file_diff(f) for f in c.files],
    )


def upstream_error(exc: GithubException, what: str) -> str:
    """`GitHub API 404 Not Found for example/web PR #9999`, from REST or GraphQL errors."""
    return f"GitHub API {exc.status} {_message(exc)} for {what}"


def _message(exc: GithubException) -> str:
    data: Any = exc.data
    if exc.message:
        return exc.message
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    if isinstance(data, dict) and data.get("errors"):
        return "; ".join(str(e.get("message", e)) for e in data["errors"])
    return str(data)
