"""GitHub as a stdio MCP server on PyGithub: read PRs and commits, open issues, comment, revert.

Run `python -m mcpservers.github`. Settings come from the environment:

- `GITHUB_TOKEN` (required): the token; the server exits at start without it.
- `GITHUB_API_URL`: the REST base URL (default `https://api.github.com`; GitHub
  Enterprise uses `https://HOST/api/v3`). GraphQL goes to the matching `/graphql`.
- `REPLAY_NOW` (optional, RFC 3339): the clock that default time windows end at; replays
  set it to the scenario's `now`. Empty or unset: the real clock.

GitHub's errors come back as MCP tool errors quoting the status and message, e.g.
`GitHub API 404 Not Found for example/web PR #9999`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

import anyio.to_thread
from github import Auth, Github
from github.GithubException import GithubException
from github.Repository import Repository
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from mcpservers import github_format as fmt
from mcpservers.timeargs import replay_now

DEFAULT_API_URL = "https://api.github.com"
READ = ToolAnnotations(readOnlyHint=True, openWorldHint=True)
WRITE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=True
)
DESTRUCTIVE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True
)
REVERT_OUTPUT = "revertPullRequest { number url title } pullRequest { number }"

RepoArg = Annotated[str, Field(description="the repository as 'owner/name', e.g. example/web")]
WhenArg = Annotated[
    str | None, Field(description="ISO 8601 time, e.g. 2026-03-14T10:04:00Z (UTC if no zone)")
]
LimitArg = Annotated[int, Field(ge=1, le=100, description="at most this many results")]
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    token: str
    api_url: str
    now: datetime | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        token = env.get("GITHUB_TOKEN", "").strip()
        if not token:
            raise ValueError(
                "GITHUB_TOKEN is not set; give a GitHub token (ghp_... or github_pat_...)"
            )
        url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"GITHUB_API_URL must be an http(s) URL like {DEFAULT_API_URL}; got {url!r}"
            )
        return cls(token=token, api_url=url, now=replay_now(env))

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)


def client(settings: Settings) -> Github:
    """PyGithub without retries or throttling (its default pauses cost seconds per call)."""
    return Github(
        base_url=settings.api_url,
        auth=Auth.Token(settings.token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


async def _call(about: str, request: Callable[[], T]) -> T:
    """Run blocking PyGithub calls off the event loop; failures become tool errors."""
    try:
        return await anyio.to_thread.run_sync(request)
    except GithubException as exc:
        raise ToolError(fmt.upstream_error(exc, about)) from exc
    except ValueError as exc:
        raise ToolError(f"{exc} ({about})") from exc
    except OSError as exc:  # requests' connection errors
        raise ToolError(f"GitHub API unreachable for {about}: {exc}") from exc


def _repo(github: Github, name: str) -> Repository:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", name):
        raise ValueError(f"repo must be 'owner/name'; got {name!r}")
    return github.get_repo(name)


def fetch_pulls(
    github: Github,
    now: datetime,
    repo: str,
    since: str | None,
    until: str | None,
    state: str,
    limit: int,
) -> fmt.PullList:
    start, end = fmt.window(since, until, now)
    wanted = {"merged": "closed", "open": "open", "all": "all"}[state]
    found = []
    for pr in _repo(github, repo).get_pulls(state=wanted, sort="updated", direction="desc"):
        if fmt.updated(pr) < start:  # updated_at >= merged_at, and the list is newest first
            break
        if (state != "merged" or pr.merged_at) and start <= fmt.activity(pr) <= end:
            found.append(pr)
    found.sort(key=fmt.activity, reverse=True)
    pulls = [fmt.pull_summary(pr, [f.filename for f in pr.get_files()]) for pr in found[:limit]]
    since_, until_ = fmt.iso(start) or "", fmt.iso(end) or ""
    return fmt.PullList(repo=repo, state=state, since=since_, until=until_, pull_requests=pulls)


def fetch_commits(
    github: Github,
    now: datetime,
    repo: str,
    since: str | None,
    until: str | None,
    limit: int,
    path: str | None = None,
) -> fmt.CommitList:
    start, end = fmt.window(since, until, now)
    where = {"path": path} if path else {}
    commits = _repo(github, repo).get_commits(since=start, until=end, **where)
    found = [fmt.commit_summary(c) for c in islice(commits, limit)]
    since_, until_ = fmt.iso(start) or "", fmt.iso(end) or ""
    return fmt.CommitList(repo=repo, since=since_, until=until_, commits=found)


def fetch_pull(github: Github, repo: str, number: int) -> fmt.PullDetail:
    pr = _repo(github, repo).get_pull(number)
    return fmt.pull_detail(pr, list(pr.get_files()))


def fetch_commit(github: Github, repo: str, sha: str) -> fmt.CommitDetail:
    return fmt.commit_detail(_repo(github, repo).get_commit(sha.strip()))


def open_issue(github: Github, repo: str, title: str, body: str) -> fmt.IssueCreated:
    issue = _repo(github, repo).create_issue(title=title, body=body)
    return fmt.IssueCreated(repo=repo, number=issue.number, title=issue.title, url=issue.html_url)


def post_comment(github: Github, repo: str, number: int, body: str) -> fmt.CommentCreated:
    posted = _repo(github, repo).get_pull(number).create_issue_comment(body)
    return fmt.CommentCreated(repo=repo, number=number, comment_id=posted.id, url=posted.html_url)


def open_revert(
    github: Github, repo: str, number: int, title: str | None, body: str | None
) -> fmt.RevertOpened:
    """GitHub has no REST endpoint for this: the GraphQL `revertPullRequest` mutation."""
    given = {"pullRequestId": _repo(github, repo).get_pull(number).node_id}
    given |= {k: v for k, v in (("title", title), ("body", body)) if v}
    _, data = github.requester.graphql_named_mutation("revertPullRequest", given, REVERT_OUTPUT)
    opened = data.get("revertPullRequest") or {}
    if "number" not in opened:
        raise ValueError(f"GitHub returned no revert pull request: {data!r}")
    return fmt.RevertOpened(
        repo=repo,
        reverted=number,
        number=opened["number"],
        title=opened["title"],
        url=opened["url"],
    )


def _real_clock() -> datetime:
    return datetime.now(UTC)


def build_server(github: Github, clock: Callable[[], datetime] = _real_clock) -> FastMCP:
    """The FastMCP server with the GitHub tools bound to `github`; `clock` is "now"."""
    server = FastMCP("github", log_level="WARNING")

    @server.tool(annotations=READ)
    async def list_pull_requests(
        repo: RepoArg,
        since: WhenArg = None,
        until: WhenArg = None,
        state: Literal["merged", "open", "all"] = "merged",
        limit: LimitArg = 30,
    ) -> fmt.PullList:
        """Pull requests active in [since, until], newest first: merged ones by merged_at,
        others by last update. until defaults to now, since to 24 hours before until.
        Each has number, title, author, state, merged_at, merge_commit_sha, url, files."""
        run = partial(fetch_pulls, github, clock(), repo, since, until, state, limit)
        return await _call(f"{repo} pull requests", run)

    @server.tool(annotations=READ)
    async def list_commits(
        repo: RepoArg,
        since: WhenArg = None,
        until: WhenArg = None,
        limit: LimitArg = 30,
        path: Annotated[
            str | None, Field(description="only commits touching this file or folder")
        ] = None,
    ) -> fmt.CommitList:
        """Commits on the default branch in [since, until], newest first (merged PRs appear
        as their merge commits), only those touching `path` when given (a file's history).
        until defaults to now, since to 24 hours before until."""
        run = partial(fetch_commits, github, clock(), repo, since, until, limit, path)
        return await _call(f"{repo} commits", run)

    @server.tool(annotations=READ)
    async def get_pull_request(repo: RepoArg, number: int) -> fmt.PullDetail:
        """One pull request: metadata, body and every changed file with its patch."""
        return await _call(f"{repo} PR #{number}", partial(fetch_pull, github, repo, number))

    @server.tool(annotations=READ)
    async def get_commit(repo: RepoArg, sha: str) -> fmt.CommitDetail:
        """One commit (full SHA or a unique prefix): message, author, date, files with patches."""
        return await _call(f"{repo} commit {sha}", partial(fetch_commit, github, repo, sha))

    @server.tool(annotations=WRITE)
    async def create_issue(repo: RepoArg, title: str, body: str = "") -> fmt.IssueCreated:
        """Open an issue (e.g. to track an incident); returns its number and URL."""
        run = partial(open_issue, github, repo, title, body)
        return await _call(f"{repo} new issue", run)

    @server.tool(annotations=WRITE)
    async def comment_on_pull_request(repo: RepoArg, number: int, body: str) -> fmt.CommentCreated:
        """Add a comment to a pull request's conversation."""
        return await _call(
            f"{repo} PR #{number}", partial(post_comment, github, repo, number, body)
        )

    @server.tool(annotations=DESTRUCTIVE)
    async def revert_pull_request(
        repo: RepoArg, number: int, title: str | None = None, body: str | None = None
    ) -> fmt.RevertOpened:
        """Open a pull request that reverts merged PR `number` (it is not merged for you);
        returns the new PR's number and URL."""
        run = partial(open_revert, github, repo, number, title, body)
        return await _call(f"{repo} PR #{number}", run)

    return server


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
    except ValueError as exc:
        sys.exit(f"mcpservers.github: {exc}")
    build_server(client(settings), settings.clock).run("stdio")


if __name__ == "__main__":
    main()
