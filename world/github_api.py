"""A GitHub REST + GraphQL stand-in seeded from a scenario's `github` section.

PyGithub works against `GitHubStandIn(scenario, token).app` unchanged. Reads serve the
scenario (merged PRs also appear as merge commits); writes (issues, comments, the GraphQL
`revertPullRequest` mutation) change the stand-in's state and are appended to `writes`,
which `GET /_world/writes` serves without auth for other processes.

This module owns the routes and the REST handlers; the state lives in
`world.github_state`, GraphQL in `world.github_graphql`, request/response plumbing in
`world.github_http` and the wire JSON in `world.github_json`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from world import github_json as gj
from world.github_diff import unified_diff
from world.github_graphql import graphql
from world.github_http import (
    DIFF_TYPES,
    Fail,
    TokenAuth,
    api_base,
    diff_response,
    fail_response,
    http_error,
    invalid,
    json_body,
    page,
    time_param,
    wants_diff,
)
from world.github_state import GitHubStore, GitHubWrite, RepoState
from world.github_views import VIEWER, CommentView, IssueView, Site, fake_sha, pr_times
from world.scenario import PullRequest, Scenario

__all__ = ["DIFF_TYPES", "GitHubStandIn", "GitHubWrite"]


class GitHubStandIn:
    """GitHub's API for the repos of one scenario, served by `app` (Starlette)."""

    def __init__(self, scenario: Scenario, token: str) -> None:
        self._store = GitHubStore(scenario)
        self._now = self._store.now
        self.writes: list[GitHubWrite] = self._store.writes
        self.app = Starlette(
            routes=self._routes(),
            middleware=[Middleware(TokenAuth, token=token)],
            exception_handlers={Fail: fail_response, HTTPException: http_error},
        )

    @property
    def write_delay_s(self) -> float:
        return self._store.write_delay_s

    @write_delay_s.setter
    def write_delay_s(self, seconds: float) -> None:
        self._store.write_delay_s = seconds

    def _routes(self) -> list[Route]:
        repo = "/repos/{owner}/{name}"
        return [
            Route(repo, self._get_repo),
            Route(f"{repo}/pulls", self._list_pulls),
            Route(f"{repo}/pulls/{{number:int}}", self._get_pull),
            Route(f"{repo}/pulls/{{number:int}}/files", self._pull_files),
            Route(f"{repo}/commits", self._list_commits),
            Route(f"{repo}/commits/{{ref}}", self._get_commit),
            Route(f"{repo}/issues", self._issues, methods=["GET", "POST"]),
            Route(f"{repo}/issues/{{number:int}}", self._get_issue),
            Route(
                f"{repo}/issues/{{number:int}}/comments", self._comments, methods=["GET", "POST"]
            ),
            Route("/graphql", self._graphql, methods=["POST"]),
            Route("/_world/writes", self._list_writes),
        ]

    # --- lookups -------------------------------------------------------------------------

    def _repo(self, request: Request) -> tuple[RepoState, Site]:
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        state = self._store.repos.get(name)
        if state is None:
            raise Fail(404, "Not Found")
        return state, Site(api_base(request), name)

    def _pull(self, request: Request) -> tuple[RepoState, Site, PullRequest]:
        state, site = self._repo(request)
        pr = state.pulls.get(request.path_params["number"])
        if pr is None:
            raise Fail(404, "Not Found")
        return state, site, pr

    def _issue(self, request: Request) -> tuple[RepoState, Site, IssueView]:
        state, site = self._repo(request)
        view = state.issue(request.path_params["number"], self._now)
        if view is None:
            raise Fail(404, "Not Found")
        return state, site, view

    # --- REST ------------------------------------------------------------------------------

    async def _get_repo(self, request: Request) -> Response:
        state, site = self._repo(request)
        created = self._now - timedelta(days=365)
        return JSONResponse(gj.repo_json(site, state.spec.default_branch, created))

    async def _list_pulls(self, request: Request) -> Response:
        state, site = self._repo(request)
        query = request.query_params
        wanted = query.get("state", "open")
        if wanted not in ("open", "closed", "all"):
            raise invalid("PullRequest", "state", "invalid")
        pulls = [p for p in state.pulls.values() if wanted in ("all", p.state)]
        if base := query.get("base"):
            pulls = [p for p in pulls if (p.base or state.spec.default_branch) == base]
        sort = query.get("sort", "created")
        when = 1 if sort == "updated" else 0
        desc = query.get("direction", "desc" if sort == "created" else "asc") == "desc"
        pulls.sort(key=lambda p: (pr_times(p, self._now)[when], p.number), reverse=desc)
        branch = state.spec.default_branch
        return page(request, [gj.pull_json(site, p, branch, self._now, False) for p in pulls])

    async def _get_pull(self, request: Request) -> Response:
        state, site, pr = self._pull(request)
        if wants_diff(request):
            return diff_response(unified_diff(pr.files))
        data = gj.pull_json(site, pr, state.spec.default_branch, self._now, full=True)
        data["comments"] = len(state.comments.get(pr.number, []))
        return JSONResponse(data)

    async def _pull_files(self, request: Request) -> Response:
        _, site, pr = self._pull(request)
        head = fake_sha(site.repo, pr.number)
        return page(request, [gj.file_json(site, head, f) for f in pr.files])

    async def _list_commits(self, request: Request) -> Response:
        state, site = self._repo(request)
        query = request.query_params
        commits = state.commits
        if sha := query.get("sha"):
            start = state.commit(sha)
            commits = commits[commits.index(start) :] if start else []
        if path := query.get("path", "").strip("/"):  # a file, or a folder and what is under it
            commits = [c for c in commits
                       if any(f.filename == path or f.filename.startswith(f"{path}/")
                              for f in c.files)]  # fmt: skip
        since, until = time_param(query, "since"), time_param(query, "until")
        commits = [c for c in commits if (not since or c.date >= since)]
        commits = [c for c in commits if (not until or c.date <= until)]
        return page(request, [gj.commit_json(site, c, full=False) for c in commits])

    async def _get_commit(self, request: Request) -> Response:
        state, site = self._repo(request)
        commit = state.commit(request.path_params["ref"])
        if commit is None:
            raise Fail(404, "Not Found")
        if wants_diff(request):
            return diff_response(unified_diff(commit.files))
        return JSONResponse(gj.commit_json(site, commit, full=True))

    async def _issues(self, request: Request) -> Response:
        state, site = self._repo(request)
        if request.method == "POST":
            return await self._create_issue(request, state, site)
        wanted = request.query_params.get("state", "open")
        numbers = sorted({*state.pulls, *state.issues}, reverse=True)
        views = [v for n in numbers if (v := state.issue(n, self._now))]
        views = [v for v in views if wanted in ("all", v.state)]
        return page(request, [self._issue_json(state, site, v) for v in views])

    def _issue_json(self, state: RepoState, site: Site, view: IssueView) -> Any:
        return gj.issue_json(site, view, len(state.comments.get(view.number, [])))

    async def _create_issue(self, request: Request, state: RepoState, site: Site) -> Response:
        body = await json_body(request)
        title, text = body.get("title"), body.get("body") or ""
        if not isinstance(title, str) or not title.strip():
            raise invalid("Issue", "title")
        if not isinstance(text, str):
            raise invalid("Issue", "body", "invalid")
        await self._store.slow_write()
        with self._store.lock:
            issue = IssueView(state.next_number(), title, text, VIEWER, self._now)
            state.issues[issue.number] = issue
            what = {"kind": "create_issue", "number": issue.number, "created": issue.number}
            self._store.record(request, body, repo=state.name, **what)
        return JSONResponse(self._issue_json(state, site, issue), status_code=201)

    async def _get_issue(self, request: Request) -> Response:
        state, site, view = self._issue(request)
        return JSONResponse(self._issue_json(state, site, view))

    async def _comments(self, request: Request) -> Response:
        state, site, view = self._issue(request)
        if request.method == "POST":
            return await self._create_comment(request, state, site, view)
        found = state.comments.get(view.number, [])
        return page(request, [gj.comment_json(site, c, view.is_pull) for c in found])

    async def _create_comment(
        self, request: Request, state: RepoState, site: Site, view: IssueView
    ) -> Response:
        body = await json_body(request)
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise invalid("IssueComment", "body")
        await self._store.slow_write()
        kind = "comment_on_pull_request" if view.is_pull else "comment_on_issue"
        with self._store.lock:
            comment_id = next(self._store.comment_ids)
            comment = CommentView(comment_id, view.number, text, VIEWER, self._now)
            state.comments.setdefault(view.number, []).append(comment)
            what = {"kind": kind, "number": view.number, "created": comment.id}
            self._store.record(request, body, repo=state.name, **what)
        return JSONResponse(gj.comment_json(site, comment, view.is_pull), status_code=201)

    async def _graphql(self, request: Request) -> Response:
        return await graphql(self._store, request)

    async def _list_writes(self, _: Request) -> Response:
        return JSONResponse([w.as_json() for w in list(self.writes)])
