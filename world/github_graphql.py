"""The GitHub stand-in's GraphQL endpoint: the `revertPullRequest` mutation only.

GitHub answers GraphQL errors with status 200 and an `errors` list; anything but
`mutation { revertPullRequest(input: $input) { ... } }` is answered that way. A revert
opens a new pull request with the inverted changes and is recorded as a write.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from world.github_diff import inverted
from world.github_http import api_base, json_body
from world.github_json import graphql_pull
from world.github_state import GitHubStore, RepoState
from world.github_views import VIEWER, Site, head_ref, iso, node_key
from world.scenario import PullRequest

# The operation type and first root field (alias, name) of a GraphQL document.
_GRAPHQL_ROOT = re.compile(r"\s*(query|mutation)?[^{]*\{\s*(?:(\w+)\s*:\s*)?(\w+)")


class GraphQLError(Exception):
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


async def graphql(store: GitHubStore, request: Request) -> Response:
    """Answer a `POST /graphql` request against `store`."""
    body = await json_body(request)
    query, variables = body.get("query"), body.get("variables") or {}
    try:
        if not isinstance(query, str) or not isinstance(variables, dict):
            raise GraphQLError("A query attribute must be specified and must be a string.")
        operation, alias, name = _root_field(query)
        if operation != "mutation" or name != "revertPullRequest":
            kind = operation.title()
            raise GraphQLError(f"Field '{name}' doesn't exist on type '{kind}'", [alias])
        given = variables.get(_input_variable(query))
        await store.slow_write()
        return JSONResponse({"data": {alias: _revert(store, request, alias, given)}})
    except GraphQLError as exc:
        return JSONResponse(exc.response())


def _revert(store: GitHubStore, request: Request, alias: str, given: Any) -> dict[str, Any]:
    state, pr = _pull_by_node(store, given, alias)
    if not pr.merged_at:
        message = f"Pull request #{pr.number} cannot be reverted because it is not merged"
        raise GraphQLError(message, [alias], "UNPROCESSABLE")
    with store.lock:
        revert = PullRequest(
            number=state.next_number(),
            title=given.get("title") or f'Revert "{pr.title}"',
            body=given.get("body") or f"Reverts {state.name}#{pr.number}",
            user=VIEWER,
            state="open",
            created_at=iso(store.now),
            base=pr.base or state.spec.default_branch,
            head=f"revert-{pr.number}-{head_ref(pr)}",
            files=[inverted(f) for f in pr.files],
        )
        state.pulls[revert.number] = revert
        what = {"kind": "revert_pull_request", "number": pr.number, "created": revert.number}
        store.record(request, dict(given), repo=state.name, **what)
    site, branch = Site(api_base(request), state.name), state.spec.default_branch
    return {
        "__typename": "RevertPullRequestPayload",
        "clientMutationId": given.get("clientMutationId"),
        "pullRequest": graphql_pull(site, pr, branch, store.now),
        "revertPullRequest": graphql_pull(site, revert, branch, store.now),
    }


def _pull_by_node(store: GitHubStore, given: Any, alias: str) -> tuple[RepoState, PullRequest]:
    node = given.get("pullRequestId") if isinstance(given, dict) else None
    if not isinstance(node, str):
        raise GraphQLError(
            "Variable $input of type RevertPullRequestInput! was provided invalid value"
            " for pullRequestId (Expected value to not be null)"
        )
    repo, _, number = (node_key("PR", node) or "").rpartition("#")
    state = store.repos.get(repo)
    pr = state.pulls.get(int(number)) if state and number.isdigit() else None
    if state is None or pr is None:
        message = f"Could not resolve to a node with the global id of '{node}'"
        raise GraphQLError(message, [alias], "NOT_FOUND")
    return state, pr


def _root_field(query: str) -> tuple[str, str, str]:
    """(operation, alias, name) of the first root field of a GraphQL document."""
    root = _GRAPHQL_ROOT.match(query)
    if root is None:
        raise GraphQLError("Parse error: expected a selection set")
    return root.group(1) or "query", root.group(2) or root.group(3), root.group(3)


def _input_variable(query: str) -> str:
    """The variable a mutation takes its `input` from (PyGithub always sends `$input`)."""
    found = re.search(r"\(\s*input\s*:\s*\$(\w+)\s*\)", query)
    if found is None:
        raise GraphQLError("The stand-in reads mutation input from a variable: (input: $input)")
    return found.group(1)
