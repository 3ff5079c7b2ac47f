"""GitHub's JSON shapes (REST and GraphQL) for the stand-in in `world.github_api`.

Pure builders: scenario data plus the stand-in's base URL in, GitHub wire JSON out.
Ids, node ids and 40-digit SHAs are derived deterministically from names, so a replay
sees the same values every time.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any, Literal

from world.scenario import FileChange, PullRequest, parse_time

WEB = "https://github.com"
DOCS = "https://docs.github.com/rest"
VIEWER = "incident-graph[bot]"
JSONObj = dict[str, Any]
FileStatus = Literal["added", "modified", "removed", "renamed"]


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


def user(api: str, login: str, kind: str | None = None) -> JSONObj:
    return {
        "login": login,
        "id": num_id("user", login),
        "node_id": node_id("U", login),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{num_id('user', login)}?v=4",
        "url": f"{api}/users/{login}",
        "html_url": f"{WEB}/apps/{login[:-5]}" if _is_bot(login) else f"{WEB}/{login}",
        "type": kind or ("Bot" if _is_bot(login) else "User"),
        "site_admin": False,
    }


def _is_bot(login: str) -> bool:
    return login.endswith("[bot]")


def _graphql_actor(rest: JSONObj) -> JSONObj:
    login = rest["login"].removesuffix("[bot]")  # GraphQL names bots without the suffix
    return {"__typename": rest["type"], "login": login, "url": rest["html_url"]}


def repo_json(site: Site, default_branch: str, created: datetime) -> JSONObj:
    owner, name = site.repo.split("/", 1)
    api = site.repo_api
    return {
        "id": num_id("repo", site.repo),
        "node_id": node_id("R", site.repo),
        "name": name,
        "full_name": site.repo,
        "private": False,
        "owner": user(site.api, owner, "Organization"),
        "html_url": site.repo_web,
        "description": None,
        "fork": False,
        "url": api,
        "pulls_url": f"{api}/pulls{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "created_at": iso(created),
        "updated_at": iso(created),
        "pushed_at": iso(created),
        "default_branch": default_branch,
        "visibility": "public",
        "archived": False,
        "disabled": False,
        "has_issues": True,
        "permissions": {"admin": False, "maintain": False, "push": True, "pull": True},
    }


def _branch(site: Site, ref: str, sha: str) -> JSONObj:
    owner = site.repo.split("/", 1)[0]
    return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha, "user": user(site.api, owner)}


def pull_json(site: Site, pr: PullRequest, branch: str, now: datetime, full: bool) -> JSONObj:
    """A pull request as the list endpoint returns it; `full` adds the single-PR fields."""
    created, updated, closed = pr_times(pr, now)
    url, web = f"{site.repo_api}/pulls/{pr.number}", f"{site.repo_web}/pull/{pr.number}"
    base = _branch(site, pr.base or branch, fake_sha(site.repo, pr.number, "base"))
    head = _branch(site, head_ref(pr), fake_sha(site.repo, pr.number))
    data: JSONObj = {
        "url": url,
        "id": num_id("pull", site.repo, pr.number),
        "node_id": node_id("PR", f"{site.repo}#{pr.number}"),
        "html_url": web,
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "issue_url": f"{site.repo_api}/issues/{pr.number}",
        "commits_url": f"{url}/commits",
        "comments_url": f"{site.repo_api}/issues/{pr.number}/comments",
        "number": pr.number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": user(site.api, pr.user),
        "body": pr.body,
        "labels": [],
        "created_at": iso(created),
        "updated_at": iso(updated),
        "closed_at": iso(closed),
        "merged_at": iso(parse_time(pr.merged_at)) if pr.merged_at else None,
        "merge_commit_sha": merge_sha(site.repo, pr) if pr.merged_at else None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "head": {**head, "repo": repo_json(site, branch, created)},
        "base": {**base, "repo": repo_json(site, branch, created)},
        "author_association": "MEMBER",
        "draft": False,
    }
    return {**data, **_pull_details(site, pr)} if full else data


def _pull_details(site: Site, pr: PullRequest) -> JSONObj:
    counts = [f.counts() for f in pr.files]
    return {
        "merged": pr.merged_at is not None,
        "mergeable": None if pr.state == "closed" else True,
        "mergeable_state": "unknown" if pr.state == "closed" else "clean",
        "merged_by": user(site.api, pr.user) if pr.merged_at else None,
        "comments": 0,
        "review_comments": 0,
        "commits": 1,
        "additions": sum(a for a, _ in counts),
        "deletions": sum(d for _, d in counts),
        "changed_files": len(pr.files),
    }


def file_json(site: Site, ref: str, change: FileChange) -> JSONObj:
    added, removed = change.counts()
    data: JSONObj = {
        "sha": fake_sha(ref, change.filename),
        "filename": change.filename,
        "status": change.status,
        "additions": added,
        "deletions": removed,
        "changes": added + removed,
        "blob_url": f"{site.repo_web}/blob/{ref}/{change.filename}",
        "raw_url": f"{site.repo_web}/raw/{ref}/{change.filename}",
        "contents_url": f"{site.repo_api}/contents/{change.filename}?ref={ref}",
    }
    return {**data, "patch": change.patch} if change.patch else data


def commit_json(site: Site, commit: CommitView, full: bool) -> JSONObj:
    url = f"{site.repo_api}/commits/{commit.sha}"
    person = {"name": commit.author, "email": f"{commit.author}@users.noreply.github.com"}
    signed = {**person, "date": iso(commit.date)}
    data: JSONObj = {
        "sha": commit.sha,
        "node_id": node_id("C", f"{site.repo}@{commit.sha}"),
        "commit": {
            "author": signed,
            "committer": signed,
            "message": commit.message,
            "tree": {"sha": fake_sha(commit.sha, "tree"), "url": f"{url}/tree"},
            "url": f"{site.repo_api}/git/commits/{commit.sha}",
            "comment_count": 0,
        },
        "url": url,
        "html_url": f"{site.repo_web}/commit/{commit.sha}",
        "comments_url": f"{url}/comments",
        "author": user(site.api, commit.author),
        "committer": user(site.api, "web-flow"),
        "parents": [{"sha": p, "url": f"{site.repo_api}/commits/{p}"} for p in commit.parents],
    }
    if not full:
        return data
    files = [file_json(site, commit.sha, f) for f in commit.files]
    added, removed = sum(f["additions"] for f in files), sum(f["deletions"] for f in files)
    stats = {"total": added + removed, "additions": added, "deletions": removed}
    return {**data, "stats": stats, "files": files}


def issue_json(site: Site, issue: IssueView, comments: int) -> JSONObj:
    url = f"{site.repo_api}/issues/{issue.number}"
    kind = "pull" if issue.is_pull else "issues"
    data: JSONObj = {
        "url": url,
        "repository_url": site.repo_api,
        "comments_url": f"{url}/comments",
        "html_url": f"{site.repo_web}/{kind}/{issue.number}",
        "id": num_id("issue", site.repo, issue.number),
        "node_id": node_id("I", f"{site.repo}#{issue.number}"),
        "number": issue.number,
        "title": issue.title,
        "user": user(site.api, issue.user),
        "labels": [],
        "state": issue.state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": comments,
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.closed_at or issue.created_at),
        "closed_at": iso(issue.closed_at),
        "author_association": "MEMBER",
        "body": issue.body,
    }
    if issue.is_pull:
        data["pull_request"] = {"url": f"{site.repo_api}/pulls/{issue.number}"}
    return data


def comment_json(site: Site, comment: CommentView, is_pull: bool) -> JSONObj:
    kind = "pull" if is_pull else "issues"
    return {
        "id": comment.id,
        "node_id": node_id("IC", f"{site.repo}#{comment.id}"),
        "url": f"{site.repo_api}/issues/comments/{comment.id}",
        "html_url": f"{site.repo_web}/{kind}/{comment.number}#issuecomment-{comment.id}",
        "issue_url": f"{site.repo_api}/issues/{comment.number}",
        "body": comment.body,
        "user": user(site.api, comment.user),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.created_at),
        "author_association": "MEMBER",
    }


def graphql_pull(site: Site, pr: PullRequest, branch: str, now: datetime) -> JSONObj:
    """A pull request as a GraphQL `PullRequest` object (camelCase, `url` is the web page)."""
    rest = pull_json(site, pr, branch, now, full=True)
    state = "MERGED" if pr.merged_at else pr.state.upper()
    merge_commit = {"__typename": "Commit", "oid": rest["merge_commit_sha"]}
    return {
        "__typename": "PullRequest",
        "id": rest["node_id"],
        "databaseId": rest["id"],
        "number": pr.number,
        "title": pr.title,
        "body": pr.body,
        "url": rest["html_url"],
        "permalink": rest["html_url"],
        "resourcePath": f"/{site.repo}/pull/{pr.number}",
        "state": state,
        "isDraft": False,
        "merged": pr.merged_at is not None,
        "mergedAt": rest["merged_at"],
        "createdAt": rest["created_at"],
        "updatedAt": rest["updated_at"],
        "closedAt": rest["closed_at"],
        "baseRefName": rest["base"]["ref"],
        "headRefName": rest["head"]["ref"],
        "additions": rest["additions"],
        "deletions": rest["deletions"],
        "changedFiles": rest["changed_files"],
        "author": _graphql_actor(rest["user"]),
        "mergeCommit": merge_commit if pr.merged_at else None,
        "repository": {
            "__typename": "Repository",
            "nameWithOwner": site.repo,
            "url": site.repo_web,
        },
    }


def unified_diff(files: list[FileChange] | tuple[FileChange, ...]) -> str:
    """The text GitHub serves for `Accept: application/vnd.github.diff`."""
    return "".join(_file_diff(f) for f in files)


def _file_diff(change: FileChange) -> str:
    name, blob = change.filename, fake_sha(change.filename, change.patch)[:7]
    old, new = f"a/{name}", f"b/{name}"
    head = [f"diff --git a/{name} b/{name}"]
    if change.status == "added":
        head += ["new file mode 100644", f"index 0000000..{blob}"]
        old = "/dev/null"
    elif change.status == "removed":
        head += ["deleted file mode 100644", f"index {blob}..0000000"]
        new = "/dev/null"
    else:
        head += [f"index {fake_sha(name)[:7]}..{blob} 100644"]
    patch = change.patch if change.patch.endswith("\n") or not change.patch else change.patch + "\n"
    return "\n".join([*head, f"--- {old}", f"+++ {new}", ""]) + patch


_FLIP: dict[FileStatus, FileStatus] = {"added": "removed", "removed": "added"}


def inverted(change: FileChange) -> FileChange:
    """The change that undoes `change` (what a revert PR shows)."""
    lines = [_invert_line(ln) for ln in change.patch.splitlines(keepends=True)]
    runs = groupby(lines, key=lambda ln: ln[:1] in ("+", "-") and not ln.startswith("@@"))
    # in each run of changed lines, removals come first, as git prints them
    ordered = [
        ln for changed, run in runs for ln in (sorted(run, key=_is_added) if changed else run)
    ]
    added, removed = change.counts()
    return FileChange(
        filename=change.filename,
        status=_FLIP.get(change.status, change.status),
        additions=removed,
        deletions=added,
        patch="".join(ordered),
    )


def _invert_line(line: str) -> str:
    if line.startswith("@@"):
        parts = line.split(" ")
        if len(parts) >= 3 and parts[1].startswith("-") and parts[2].startswith("+"):
            parts[1], parts[2] = "-" + parts[2][1:], "+" + parts[1][1:]
        return " ".join(parts)
    if line[:1] in ("+", "-"):
        return ("-" if line[0] == "+" else "+") + line[1:]
    return line


def _is_added(line: str) -> bool:
    return line.startswith("+")
