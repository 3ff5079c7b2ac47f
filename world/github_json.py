"""GitHub's JSON shapes (REST and GraphQL) for the stand-in in `world.github_api`.

Pure builders: scenario data and the views of `world.github_views` plus the stand-in's
base URL in, GitHub wire JSON out (users, repos, pull requests, files, commits, issues,
comments, and a GraphQL `PullRequest`). Diff text lives in `world.github_diff`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from world.github_views import (
    WEB,
    CommentView,
    CommitView,
    IssueView,
    Site,
    fake_sha,
    head_ref,
    iso,
    merge_sha,
    node_id,
    num_id,
    pr_times,
)
from world.scenario import FileChange, PullRequest, parse_time

JSONObj = dict[str, Any]


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
