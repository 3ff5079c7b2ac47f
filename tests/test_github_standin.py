"""The GitHub stand-in, driven by the real PyGithub over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from github import Auth, Github
from github.GithubException import BadCredentialsException, GithubException, UnknownObjectException

from mcpservers.github import REVERT_OUTPUT, open_revert
from world.github_api import GitHubStandIn
from world.http import LoopbackServers
from world.scenario import Scenario

TOKEN = "ghp_standin_test"
REPO = "acme/orders-api"
HISTORY_PATCH = (
    "@@ -10,3 +10,6 @@ def history(customer_id):\n"
    "-    return Order.query.filter_by(customer_id=customer_id).all()\n"
    "+    orders = Order.query.filter_by(customer_id=customer_id).all()\n"
    "+    for order in orders:\n"
    "+        order.items = Item.query.filter_by(order_id=order.id).all()\n"
    "+    return orders\n"
)
ADDED_PATCH = "@@ -0,0 +1 @@\n+x\n"
CONF_PATCH = "@@ -1 +1 @@\n-workers = 4\n+workers = 8\n"


def standin_scenario() -> Scenario:
    """A small world: a culprit PR (#847), two older merged PRs, an open one, a commit."""
    pulls: list[dict[str, Any]] = [
        {
            "number": 847,
            "title": "Load order items for the order history page",
            "body": "Shows items on the history page.",
            "user": "dana",
            "state": "closed",
            "merged_at": "2026-03-14T10:04:00Z",
            "merge_commit_sha": "9f1c2e7",
            "files": [
                {"filename": "app/orders/history.py", "patch": HISTORY_PATCH},
                {"filename": "tests/test_history.py", "status": "added", "patch": ADDED_PATCH},
            ],
        },
        {"number": 846, "title": "Tune logging", "user": "eli", "state": "closed",
         "merged_at": "2026-03-13T16:00:00Z", "files": [{"filename": "app/log.py"}]},
        {"number": 845, "title": "Old change", "user": "eli", "state": "closed",
         "merged_at": "2026-03-11T09:00:00Z"},
        {"number": 848, "title": "WIP: cache order totals", "user": "fay", "state": "open",
         "created_at": "2026-03-14T09:30:00Z"},
    ]  # fmt: skip
    commits = [
        {"sha": "1a2b3c4", "message": "bump gunicorn workers", "author": "ops-bot",
         "date": "2026-03-14T09:00:00Z",
         "files": [{"filename": "deploy/gunicorn.conf.py", "patch": CONF_PATCH}]},
    ]  # fmt: skip
    return Scenario.model_validate(
        {
            "name": "github-standin-test",
            "title": "GitHub stand-in test",
            "now": "2026-03-14T10:20:00Z",
            "alert": {"format": "generic", "payload": {}},
            "services": {},
            "github": {"repos": {REPO: {"pulls": pulls, "commits": commits}}},
        }
    )


@pytest.fixture
def standin() -> GitHubStandIn:
    return GitHubStandIn(standin_scenario(), TOKEN)


@pytest.fixture
def url(standin: GitHubStandIn) -> Iterator[str]:
    with LoopbackServers([standin.app]) as servers:
        yield servers.urls[0]


def client(url: str, token: str = TOKEN, per_page: int = 30) -> Github:
    auth = Auth.Token(token)
    return Github(
        base_url=url, auth=auth, retry=None, per_page=per_page,
        seconds_between_requests=0, seconds_between_writes=0,
    )  # fmt: skip


@pytest.fixture
def gh(url: str) -> Iterator[Github]:
    github = client(url)
    yield github
    github.close()


def test_repo_points_pygithub_back_at_the_stand_in(gh: Github, url: str) -> None:
    repo = gh.get_repo(REPO)
    assert (repo.full_name, repo.default_branch) == (REPO, "main")
    assert repo.url == f"{url}/repos/{REPO}"
    assert repo.html_url == f"https://github.com/{REPO}"


def test_pulls_paginate_through_link_headers(url: str) -> None:
    github = client(url, per_page=2)
    pulls = github.get_repo(REPO).get_pulls(state="all", sort="created", direction="desc")
    assert [p.number for p in pulls] == [848, 847, 846, 845]
    first = httpx.get(
        f"{url}/repos/{REPO}/pulls",
        params={"state": "closed", "per_page": 2},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert len(first.json()) == 2
    assert 'page=2>; rel="next"' in first.headers["link"]
    assert 'rel="last"' in first.headers["link"]
    assert [p.number for p in github.get_repo(REPO).get_pulls(state="open")] == [848]


def test_merged_pull_request_has_merge_facts(gh: Github) -> None:
    pr = gh.get_repo(REPO).get_pull(847)
    assert pr.merged and pr.state == "closed"
    assert pr.merged_at == datetime(2026, 3, 14, 10, 4, tzinfo=UTC)
    assert pr.merge_commit_sha.startswith("9f1c2e7") and len(pr.merge_commit_sha) == 40
    assert (pr.user.login, pr.base.ref, pr.additions, pr.deletions) == ("dana", "main", 5, 1)
    assert pr.html_url == f"https://github.com/{REPO}/pull/847"


def test_files_carry_their_patches(gh: Github) -> None:
    files = list(gh.get_repo(REPO).get_pull(847).get_files())
    assert [(f.filename, f.status) for f in files] == [
        ("app/orders/history.py", "modified"),
        ("tests/test_history.py", "added"),
    ]
    assert files[0].patch == HISTORY_PATCH
    assert (files[0].additions, files[0].deletions, files[0].changes) == (4, 1, 5)


def test_diff_media_type_returns_a_unified_diff(gh: Github) -> None:
    pr = gh.get_repo(REPO).get_pull(847)
    accept = {"Accept": "application/vnd.github.v3.diff"}
    _, data = gh.requester.requestJsonAndCheck("GET", pr.url, headers=accept)
    diff = data["data"]
    assert diff.startswith("diff --git a/app/orders/history.py b/app/orders/history.py\n")
    assert "--- a/app/orders/history.py\n+++ b/app/orders/history.py\n" + HISTORY_PATCH in diff
    assert "new file mode 100644" in diff
    assert "--- /dev/null\n+++ b/tests/test_history.py\n" in diff


def test_commits_in_a_window_include_merge_commits(gh: Github) -> None:
    repo = gh.get_repo(REPO)
    since, until = datetime(2026, 3, 13, 12, tzinfo=UTC), datetime(2026, 3, 14, 10, 20, tzinfo=UTC)
    commits = list(repo.get_commits(since=since, until=until))
    assert [c.commit.message for c in commits] == [
        "Load order items for the order history page (#847)",
        "bump gunicorn workers",
        "Tune logging (#846)",
    ]
    assert commits[0].commit.author.date == datetime(2026, 3, 14, 10, 4, tzinfo=UTC)
    assert commits[0].sha == repo.get_pull(847).merge_commit_sha
    assert commits[0].parents[0].sha == commits[1].sha


def test_a_files_history_is_the_commits_that_touched_it_or_its_folder(gh: Github) -> None:
    repo = gh.get_repo(REPO)
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 14, 10, 20, tzinfo=UTC)
    history = list(repo.get_commits(since=since, until=until, path="app/orders/history.py"))
    assert [c.commit.message for c in history] == [
        "Load order items for the order history page (#847)"]  # fmt: skip
    folder = list(repo.get_commits(since=since, until=until, path="app"))
    assert [c.commit.message for c in folder] == [
        "Load order items for the order history page (#847)", "Tune logging (#846)"]  # fmt: skip
    assert list(repo.get_commits(since=since, until=until, path="app/orders/missing.py")) == []
    assert list(repo.get_commits(since=since, until=until, path="ap")) == []  # no partial name


def test_one_commit_has_files_and_stats(gh: Github) -> None:
    commit = gh.get_repo(REPO).get_commit("9f1c2e7")
    assert [f.filename for f in commit.files] == ["app/orders/history.py", "tests/test_history.py"]
    assert (commit.stats.additions, commit.stats.deletions, commit.stats.total) == (5, 1, 6)
    assert commit.files[0].patch == HISTORY_PATCH
    standalone = gh.get_repo(REPO).get_commit("1a2b3c4")
    assert standalone.commit.message == "bump gunicorn workers"


def test_create_issue_is_served_and_recorded(gh: Github, standin: GitHubStandIn) -> None:
    repo = gh.get_repo(REPO)
    issue = repo.create_issue(title="Orders DB pool exhausted", body="Suspect #847")
    assert issue.number == 849 and issue.state == "open"
    assert issue.created_at == datetime(2026, 3, 14, 10, 20, tzinfo=UTC)  # the scenario's now
    assert repo.get_issue(849).title == "Orders DB pool exhausted"
    assert 849 in [i.number for i in repo.get_issues(state="open")]
    [write] = standin.writes
    assert (write.path, write.kind) == (f"/repos/{REPO}/issues", "create_issue")
    assert write.body == {"title": "Orders DB pool exhausted", "body": "Suspect #847"}


def test_comment_on_a_pull_request_is_recorded(gh: Github, standin: GitHubStandIn) -> None:
    pr = gh.get_repo(REPO).get_pull(847)
    posted = pr.create_issue_comment("Reverting: N+1 query exhausts the pool")
    assert posted.html_url.startswith(f"https://github.com/{REPO}/pull/847#issuecomment-")
    assert [c.body for c in pr.get_issue_comments()] == ["Reverting: N+1 query exhausts the pool"]
    [write] = standin.writes
    assert (write.path, write.kind, write.number) == (
        f"/repos/{REPO}/issues/847/comments",
        "comment_on_pull_request",
        847,
    )


def test_graphql_revert_opens_a_revert_pull_request(gh: Github, standin: GitHubStandIn) -> None:
    opened = open_revert(gh, REPO, 847, None, None)  # the MCP server's own code path
    assert (opened.reverted, opened.number) == (847, 849)
    assert opened.title == 'Revert "Load order items for the order history page"'
    revert = gh.get_repo(REPO).get_pull(849)
    assert (revert.state, revert.merged, revert.body) == ("open", False, f"Reverts {REPO}#847")
    assert revert.get_files()[0].patch.startswith("@@ -10,6 +10,3 @@")
    [write] = standin.writes
    assert (write.method, write.path, write.kind) == ("POST", "/graphql", "revert_pull_request")
    assert (write.number, write.created) == (847, 849)
    assert write.body == {"pullRequestId": gh.get_repo(REPO).get_pull(847).node_id}


def test_graphql_unknown_node_is_not_found(gh: Github, standin: GitHubStandIn) -> None:
    given = {"pullRequestId": "PR_kwDOnope"}
    with pytest.raises(UnknownObjectException) as caught:
        gh.requester.graphql_named_mutation("revertPullRequest", given, REVERT_OUTPUT)
    assert caught.value.status == 404
    assert caught.value.message == "Could not resolve to a node with the global id of 'PR_kwDOnope'"
    [error] = caught.value.data["errors"]
    assert (error["type"], error["path"]) == ("NOT_FOUND", ["revertPullRequest"])
    assert standin.writes == []


def test_graphql_refuses_to_revert_an_open_pull_request(gh: Github) -> None:
    given = {"pullRequestId": gh.get_repo(REPO).get_pull(848).node_id}
    with pytest.raises(GithubException, match="not merged"):
        gh.requester.graphql_named_mutation("revertPullRequest", given, REVERT_OUTPUT)


def test_wrong_token_is_bad_credentials(url: str) -> None:
    with pytest.raises(BadCredentialsException) as caught:
        client(url, token="ghp_wrong").get_repo(REPO)
    assert caught.value.status == 401
    assert caught.value.data["message"] == "Bad credentials"


def test_missing_things_are_404(gh: Github) -> None:
    with pytest.raises(UnknownObjectException) as caught:
        gh.get_repo(REPO).get_pull(9999)
    assert caught.value.data["message"] == "Not Found"
    with pytest.raises(UnknownObjectException):
        gh.get_repo(REPO).get_commit("deadbeef")
    with pytest.raises(UnknownObjectException):
        gh.get_repo("acme/nope")


def test_writes_are_validated_and_unknown_repos_refused(url: str, standin: GitHubStandIn) -> None:
    auth = {"Authorization": f"token {TOKEN}"}
    empty = httpx.post(f"{url}/repos/{REPO}/issues", json={"body": "no title"}, headers=auth)
    assert empty.status_code == 422
    assert empty.json()["message"] == "Validation Failed"
    assert empty.json()["errors"][0]["field"] == "title"
    elsewhere = httpx.post(f"{url}/repos/acme/nope/issues", json={"title": "x"}, headers=auth)
    assert (elsewhere.status_code, elsewhere.json()["message"]) == (404, "Not Found")
    assert httpx.delete(f"{url}/repos/{REPO}/pulls/847", headers=auth).status_code == 404
    assert standin.writes == []


def test_writes_are_served_for_other_processes(gh: Github, url: str) -> None:
    gh.get_repo(REPO).create_issue(title="tracking")
    served = httpx.get(f"{url}/_world/writes").json()
    assert [(w["method"], w["path"], w["kind"]) for w in served] == [
        ("POST", f"/repos/{REPO}/issues", "create_issue")
    ]
    assert served[0]["body"] == {"title": "tracking"}


def test_a_slow_write_takes_effect_once_even_when_its_caller_gave_up(
    gh: Github, standin: GitHubStandIn, url: str
) -> None:
    """`graph world --github-write-delay`: the write answers late, and a caller that stopped
    waiting (a worker killed mid-call) still finds it done, once, as on GitHub."""
    standin.write_delay_s = 0.6
    node = gh.get_repo(REPO).get_pull(847).node_id
    query = ("mutation($input: RevertPullRequestInput!) { revertPullRequest(input: $input) "
             "{ pullRequest { number } } }")  # fmt: skip
    body = {"query": query, "variables": {"input": {"pullRequestId": node}}}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{url}/graphql", headers={"Authorization": f"token {TOKEN}"}, json=body,
                   timeout=0.2)  # fmt: skip
    assert standin.writes == []  # not yet: the write takes effect after the delay
    deadline = time.monotonic() + 5
    while not standin.writes and time.monotonic() < deadline:
        time.sleep(0.05)
    [write] = standin.writes
    assert (write.kind, write.number, write.created) == ("revert_pull_request", 847, 849)
    standin.write_delay_s = 0.0
    assert open_revert(gh, REPO, 847, None, None).number == 850  # fast again


def test_world_cli_refuses_a_bad_write_delay(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    with pytest.raises(SystemExit) as ended:
        main(["world", "--scenario", "db-pool-exhaustion", "--github-write-delay", "soon"])
    assert ended.value.code == 2
    assert "not a number of seconds: 'soon'" in capsys.readouterr().err
