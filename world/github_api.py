"""A GitHub REST + GraphQL stand-in seeded from a scenario's `github` section.

PyGithub works against `GitHubStandIn(scenario, token).app` unchanged. Reads serve the
scenario (merged PRs also appear as merge commits); writes (issues, comments, the GraphQL
`revertPullRequest` mutation) change the stand-in's state and are appended to `writes`,
which `GET /_world/writes` serves without auth for other processes.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from world import github_json as gj
from world.scenario import PullRequest, Repo, Scenario, parse_time

DIFF_TYPES = ("application/vnd.github.diff", "application/vnd.github.v3.diff")
# The operation type and first root field (alias, name) of a GraphQL document.
_GRAPHQL_ROOT = re.compile(r"\s*(query|mutation)?[^{]*\{\s*(?:(\w+)\s*:\s*)?(\w+)")


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
        return {**asdict(self), "at": gj.iso(self.at)}


class _Fail(Exception):
    """Ends a request with GitHub's error JSON."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.response = _error(status, message, **extra)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    body = {"message": message, **extra, "documentation_url": gj.DOCS, "status": str(status)}
    return JSONResponse(body, status_code=status)


class _GraphQLError(Exception):
    """A GraphQL error; GitHub answers these with status 200 and an `errors` list."""

    def __init__(self, message: str, path: list[str] | None = None, kind: str = "") -> None:
        super().__init__(message)
        self.error: dict[str, Any] = {"message": message}
        self.error |= {"type": kind} if kind else {}
        self.error |= {"path": path} if path else {}
        self.field = path[0] if path and kind else None

    def response(self) -> dict[str, Any]:
        data = {"data": {self.field: None}} if self.field else {}
        return {**data, "errors": [self.error]}


def _invalid(resource: str, field: str, code: str = "missing_field") -> _Fail:
    errors = [{"resource": resource, "code": code, "field": field}]
    return _Fail(422, "Validation Failed", errors=errors)


@dataclass
class _RepoState:
    name: str
    spec: Repo
    pulls: dict[int, PullRequest]
    commits: list[gj.CommitView]  # newest first
    issues: dict[int, gj.IssueView]
    comments: dict[int, list[gj.CommentView]]

    @classmethod
    def seed(cls, name: str, spec: Repo) -> _RepoState:
        pulls = {p.number: p for p in spec.pulls}
        return cls(name, spec, pulls, _history(name, spec), {}, {})

    def next_number(self) -> int:
        return max([0, *self.pulls, *self.issues]) + 1

    def issue(self, number: int, now: datetime) -> gj.IssueView | None:
        pr = self.pulls.get(number)
        if pr is None:
            return self.issues.get(number)
        created, _, closed = gj.pr_times(pr, now)
        return gj.IssueView(pr.number, pr.title, pr.body, pr.user, created, pr.state, True, closed)

    def commit(self, ref: str) -> gj.CommitView | None:
        if ref == self.spec.default_branch:
            return self.commits[0] if self.commits else None
        found = [c for c in self.commits if len(ref) >= 4 and c.sha.startswith(ref.lower())]
        return found[0] if len(found) == 1 else None


def _history(name: str, spec: Repo) -> list[gj.CommitView]:
    views = [
        gj.CommitView(gj.full_sha(c.sha), c.message, c.author, parse_time(c.date), tuple(c.files))
        for c in spec.commits
    ]
    views += [
        gj.CommitView(
            gj.merge_sha(name, p), f"{p.title} (#{p.number})", p.user, merged, tuple(p.files)
        )
        for p in spec.pulls
        if p.merged_at and (merged := parse_time(p.merged_at))
    ]
    views.sort(key=lambda c: c.date)
    linked = [replace(c, parents=(views[i - 1].sha,) if i else ()) for i, c in enumerate(views)]
    return linked[::-1]


class _TokenAuth:
    """401 like GitHub unless `Authorization: token|Bearer <token>`; /_world/ is open."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_world/"):
            scheme, _, value = Headers(scope=scope).get("authorization", "").partition(" ")
            if not scheme:
                return await _error(401, "Requires authentication")(scope, receive, send)
            if scheme.lower() not in ("token", "bearer") or value.strip() != self.token:
                return await _error(401, "Bad credentials")(scope, receive, send)
        await self.app(scope, receive, send)


class GitHubStandIn:
    """GitHub's API for the repos of one scenario, served by `app` (Starlette)."""

    def __init__(self, scenario: Scenario, token: str) -> None:
        self._now = scenario.now_dt
        self._repos = {n: _RepoState.seed(n, spec) for n, spec in scenario.github.repos.items()}
        self._lock = threading.Lock()
        self._comment_ids = itertools.count(gj.num_id("comments", scenario.name))
        self.writes: list[GitHubWrite] = []
        self.app = Starlette(
            routes=self._routes(),
            middleware=[Middleware(_TokenAuth, token=token)],
            exception_handlers={_Fail: _fail_response, HTTPException: _http_error},
        )

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

    def _repo(self, request: Request) -> tuple[_RepoState, gj.Site]:
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        state = self._repos.get(name)
        if state is None:
            raise _Fail(404, "Not Found")
        return state, gj.Site(_api(request), name)

    def _pull(self, request: Request) -> tuple[_RepoState, gj.Site, PullRequest]:
        state, site = self._repo(request)
        pr = state.pulls.get(request.path_params["number"])
        if pr is None:
            raise _Fail(404, "Not Found")
        return state, site, pr

    def _issue(self, request: Request) -> tuple[_RepoState, gj.Site, gj.IssueView]:
        state, site = self._repo(request)
        view = state.issue(request.path_params["number"], self._now)
        if view is None:
            raise _Fail(404, "Not Found")
        return state, site, view

    def _record(self, request: Request, body: dict[str, Any], **what: Any) -> None:
        at = datetime.now(UTC)
        self.writes.append(GitHubWrite(request.method, request.url.path, body, at, **what))

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
            raise _invalid("PullRequest", "state", "invalid")
        pulls = [p for p in state.pulls.values() if wanted in ("all", p.state)]
        if base := query.get("base"):
            pulls = [p for p in pulls if (p.base or state.spec.default_branch) == base]
        sort = query.get("sort", "created")
        when = 1 if sort == "updated" else 0
        desc = query.get("direction", "desc" if sort == "created" else "asc") == "desc"
        pulls.sort(key=lambda p: (gj.pr_times(p, self._now)[when], p.number), reverse=desc)
        branch = state.spec.default_branch
        return _page(request, [gj.pull_json(site, p, branch, self._now, False) for p in pulls])

    async def _get_pull(self, request: Request) -> Response:
        state, site, pr = self._pull(request)
        if _wants_diff(request):
            return _diff(gj.unified_diff(pr.files))
        data = gj.pull_json(site, pr, state.spec.default_branch, self._now, full=True)
        data["comments"] = len(state.comments.get(pr.number, []))
        return JSONResponse(data)

    async def _pull_files(self, request: Request) -> Response:
        _, site, pr = self._pull(request)
        head = gj.fake_sha(site.repo, pr.number)
        return _page(request, [gj.file_json(site, head, f) for f in pr.files])

    async def _list_commits(self, request: Request) -> Response:
        state, site = self._repo(request)
        query = request.query_params
        commits = state.commits
        if sha := query.get("sha"):
            start = state.commit(sha)
            commits = commits[commits.index(start) :] if start else []
        since, until = _time_param(query, "since"), _time_param(query, "until")
        commits = [c for c in commits if (not since or c.date >= since)]
        commits = [c for c in commits if (not until or c.date <= until)]
        return _page(request, [gj.commit_json(site, c, full=False) for c in commits])

    async def _get_commit(self, request: Request) -> Response:
        state, site = self._repo(request)
        commit = state.commit(request.path_params["ref"])
        if commit is None:
            raise _Fail(404, "Not Found")
        if _wants_diff(request):
            return _diff(gj.unified_diff(commit.files))
        return JSONResponse(gj.commit_json(site, commit, full=True))

    async def _issues(self, request: Request) -> Response:
        state, site = self._repo(request)
        if request.method == "POST":
            return await self._create_issue(request, state, site)
        wanted = request.query_params.get("state", "open")
        numbers = sorted({*state.pulls, *state.issues}, reverse=True)
        views = [v for n in numbers if (v := state.issue(n, self._now))]
        views = [v for v in views if wanted in ("all", v.state)]
        return _page(request, [self._issue_json(state, site, v) for v in views])

    def _issue_json(self, state: _RepoState, site: gj.Site, view: gj.IssueView) -> Any:
        return gj.issue_json(site, view, len(state.comments.get(view.number, [])))

    async def _create_issue(self, request: Request, state: _RepoState, site: gj.Site) -> Response:
        body = await _json_body(request)
        title, text = body.get("title"), body.get("body") or ""
        if not isinstance(title, str) or not title.strip():
            raise _invalid("Issue", "title")
        if not isinstance(text, str):
            raise _invalid("Issue", "body", "invalid")
        with self._lock:
            issue = gj.IssueView(state.next_number(), title, text, gj.VIEWER, self._now)
            state.issues[issue.number] = issue
            what = {"kind": "create_issue", "number": issue.number, "created": issue.number}
            self._record(request, body, repo=state.name, **what)
        return JSONResponse(self._issue_json(state, site, issue), status_code=201)

    async def _get_issue(self, request: Request) -> Response:
        state, site, view = self._issue(request)
        return JSONResponse(self._issue_json(state, site, view))

    async def _comments(self, request: Request) -> Response:
        state, site, view = self._issue(request)
        if request.method == "POST":
            return await self._create_comment(request, state, site, view)
        found = state.comments.get(view.number, [])
        return _page(request, [gj.comment_json(site, c, view.is_pull) for c in found])

    async def _create_comment(
        self, request: Request, state: _RepoState, site: gj.Site, view: gj.IssueView
    ) -> Response:
        body = await _json_body(request)
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise _invalid("IssueComment", "body")
        kind = "comment_on_pull_request" if view.is_pull else "comment_on_issue"
        with self._lock:
            comment = gj.CommentView(
                next(self._comment_ids), view.number, text, gj.VIEWER, self._now
            )
            state.comments.setdefault(view.number, []).append(comment)
            what = {"kind": kind, "number": view.number, "created": comment.id}
            self._record(request, body, repo=state.name, **what)
        return JSONResponse(gj.comment_json(site, comment, view.is_pull), status_code=201)

    async def _list_writes(self, _: Request) -> Response:
        return JSONResponse([w.as_json() for w in list(self.writes)])

    # --- GraphQL ---------------------------------------------------------------------------

    async def _graphql(self, request: Request) -> Response:
        body = await _json_body(request)
        query, variables = body.get("query"), body.get("variables") or {}
        try:
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise _GraphQLError("A query attribute must be specified and must be a string.")
            operation, alias, name = _root_field(query)
            if operation != "mutation" or name != "revertPullRequest":
                kind = operation.title()
                raise _GraphQLError(f"Field '{name}' doesn't exist on type '{kind}'", [alias])
            given = variables.get(_input_variable(query))
            return JSONResponse({"data": {alias: self._revert(request, alias, given)}})
        except _GraphQLError as exc:
            return JSONResponse(exc.response())

    def _revert(self, request: Request, alias: str, given: Any) -> dict[str, Any]:
        state, pr = self._pull_by_node(given, alias)
        if not pr.merged_at:
            message = f"Pull request #{pr.number} cannot be reverted because it is not merged"
            raise _GraphQLError(message, [alias], "UNPROCESSABLE")
        with self._lock:
            revert = PullRequest(
                number=state.next_number(),
                title=given.get("title") or f'Revert "{pr.title}"',
                body=given.get("body") or f"Reverts {state.name}#{pr.number}",
                user=gj.VIEWER,
                state="open",
                created_at=gj.iso(self._now),
                base=pr.base or state.spec.default_branch,
                head=f"revert-{pr.number}-{gj.head_ref(pr)}",
                files=[gj.inverted(f) for f in pr.files],
            )
            state.pulls[revert.number] = revert
            what = {"kind": "revert_pull_request", "number": pr.number, "created": revert.number}
            self._record(request, dict(given), repo=state.name, **what)
        site, branch = gj.Site(_api(request), state.name), state.spec.default_branch
        return {
            "__typename": "RevertPullRequestPayload",
            "clientMutationId": given.get("clientMutationId"),
            "pullRequest": gj.graphql_pull(site, pr, branch, self._now),
            "revertPullRequest": gj.graphql_pull(site, revert, branch, self._now),
        }

    def _pull_by_node(self, given: Any, alias: str) -> tuple[_RepoState, PullRequest]:
        node = given.get("pullRequestId") if isinstance(given, dict) else None
        if not isinstance(node, str):
            raise _GraphQLError(
                "Variable $input of type RevertPullRequestInput! was provided invalid value"
                " for pullRequestId (Expected value to not be null)"
            )
        repo, _, number = (gj.node_key("PR", node) or "").rpartition("#")
        state = self._repos.get(repo)
        pr = state.pulls.get(int(number)) if state and number.isdigit() else None
        if state is None or pr is None:
            message = f"Could not resolve to a node with the global id of '{node}'"
            raise _GraphQLError(message, [alias], "NOT_FOUND")
        return state, pr


# --- helpers --------------------------------------------------------------------------------


def _api(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _root_field(query: str) -> tuple[str, str, str]:
    """(operation, alias, name) of the first root field of a GraphQL document."""
    root = _GRAPHQL_ROOT.match(query)
    if root is None:
        raise _GraphQLError("Parse error: expected a selection set")
    return root.group(1) or "query", root.group(2) or root.group(3), root.group(3)


def _input_variable(query: str) -> str:
    """The variable a mutation takes its `input` from (PyGithub always sends `$input`)."""
    found = re.search(r"\(\s*input\s*:\s*\$(\w+)\s*\)", query)
    if found is None:
        raise _GraphQLError("The stand-in reads mutation input from a variable: (input: $input)")
    return found.group(1)


def _fail_response(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, _Fail)
    return exc.response


def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):  # GitHub answers an unsupported method with 404
        return _error(404, "Not Found")
    return _error(exc.status_code, exc.detail)


def _wants_diff(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(kind in accept for kind in DIFF_TYPES)


def _diff(text: str) -> Response:
    return Response(text, media_type="application/vnd.github.diff; charset=utf-8")


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _Fail(400, "Problems parsing JSON")
    return body


def _time_param(query: QueryParams, name: str) -> datetime | None:
    value = query.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid("Commit", name, "invalid") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int_param(query: QueryParams, name: str, default: int, most: int) -> int:
    value = query.get(name, "")
    return min(max(int(value), 1), most) if value.isdigit() else default


def _page(request: Request, items: list[Any]) -> Response:
    """One page of `items` with GitHub's `Link` header (`per_page` ≤ 100, `page` from 1)."""
    per_page = _int_param(request.query_params, "per_page", 30, 100)
    page = _int_param(request.query_params, "page", 1, 10**6)
    last = max(1, -(-len(items) // per_page))
    rels = {"next": page + 1, "last": last} if page < last else {}
    rels |= {"first": 1, "prev": min(page - 1, last)} if page > 1 else {}
    links = [f'<{request.url.include_query_params(page=p)}>; rel="{r}"' for r, p in rels.items()]
    headers = {"Link": ", ".join(links)} if links else None
    chunk = items[(page - 1) * per_page : page * per_page]
    return JSONResponse(chunk, headers=headers)
