"""Deploy, release and rollout markers: where they are read from, what identifies them."""

from __future__ import annotations

import pytest

from agents.root_cause.facts.markers import identifiers, is_sha
from agents.root_cause.facts.pages import page_facts
from agents.root_cause.facts.types import DeployMarker
from tests.test_page_facts import ALERT, URL, at, rows, snap, table, text


def markers_of(*blocks: str) -> tuple[DeployMarker, ...]:
    return page_facts(snap(*blocks), URL, "dashboard:2", ALERT).markers


# --- identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["4c1d2e9", "a0b1c2d3e4f5", "0f" * 20])
def test_shas(word: str) -> None:
    assert is_sha(word)


@pytest.mark.parametrize(
    "word",
    [
        "1234567",  # all digits
        "deadbeef",  # all letters
        "4C1D2E9",  # upper case
        "4c1d2e",  # too short
        "5c8d9f7b6",  # a pod-template-hash (consonants and 2, 4-9 only)
    ],
)
def test_not_shas(word: str) -> None:
    assert not is_sha(word)


@pytest.mark.parametrize(
    ("written", "pr"),
    [("(#6021 retry)", 6021), ("PR 77 merged", 77), ("!431 merged", 431), ("pull/9001", 9001),
     ("atlantis apply infra-dns#57", 57), ("merged acme/payments#1204", 1204)],
)  # fmt: skip
def test_pull_requests(written: str, pr: int) -> None:
    assert identifiers(written).pr == pr


@pytest.mark.parametrize("written", ["&#39;quoted&#39; 2", "color: 12#fff", "see page 4#", "C# 12"])
def test_not_pull_requests(written: str) -> None:
    assert identifiers(written).pr is None


@pytest.mark.parametrize(
    ("written", "version"),
    [
        ("deploy v3.14.1 to prod", "v3.14.1"),
        ("release 2.7.0 pushed", "2.7.0"),
        ("deploy svc-alpha 1.42.0", "1.42.0"),
        ("Deployment rev 12", "rev 12"),
        ("rollout revision 48", "rev 48"),
    ],
)
def test_versions(written: str, version: str) -> None:
    assert identifiers(written).version == version


def test_library_version_beside_a_commit_is_not_the_release() -> None:
    ids = identifiers("deploy svc-alpha 4c1d2e9 (#6021 bump parser 5.3.2)")
    assert (ids.sha, ids.pr, ids.version) == ("4c1d2e9", 6021, None)


def test_ruby_pid_and_ids_are_not_prs_or_shas() -> None:
    ids = identifiers("E, [2025-06-03T11:00:00 #1] ERROR request_id=9aa7")
    assert (ids.sha, ids.pr) == (None, None)


# --- where markers come from ----------------------------------------------------------------


def test_annotation_strip() -> None:
    strip = (
        "Annotations Sun 06-01 16:40 deploy svc-alpha 1a2b3c4 (#501 logging) · "
        "10:42 deploy svc-alpha 5d6e7f8 (#502 Cache lookups) · 11:30 alert AlphaErrors firing"
    )
    found = markers_of(text(strip))
    assert [(m.at, m.sha, m.pr) for m in found] == [
        (at("16:40", day=1), "1a2b3c4", 501),
        (at("10:42"), "5d6e7f8", 502),
    ]
    assert found[1].text.startswith("10:42 deploy svc-alpha 5d6e7f8") and found[1].source


def test_labelled_deploy_list_without_the_word_on_each_item() -> None:
    line = "Deploys (last 24 h) 06-02 09:10 svc-alpha 9e8d7c6 (#610) · 10:05 svc-beta 0a1b2c3 (#77)"
    found = markers_of(text(line))
    assert [(m.at, m.sha) for m in found] == [
        (at("09:10", day=2), "9e8d7c6"),
        (at("10:05"), "0a1b2c3"),
    ]


def test_time_table_annotation_cell_uses_the_row_time_or_its_own() -> None:
    data = rows(
        "11:00",
        ["1", "1", "1", "2"],
        [
            "",
            "deploy svc-alpha 4c1d2e9 (#6021) rollout started",
            "",
            "argocd sync 9f8e7d6 11:02:40",
        ],
    )
    found = markers_of(table(["Time", "Errors", "Annotation"], data))
    assert [(m.at, m.sha) for m in found] == [
        (at("11:01"), "4c1d2e9"),
        (at("11:02").replace(second=40), "9f8e7d6"),
    ]


def test_deploy_table_rows() -> None:
    releases = table(
        ["Release", "Deployed", "Commits"],
        [["3c4d5e6", "Mon 06-02 09:15", "#90 parser"], ["7a8b9c0", "Tue 06-03 08:05", "#91 cache"]],
    )
    found = markers_of(text("Releases (production)"), releases)
    assert [(m.at, m.sha, m.pr) for m in found] == [
        (at("09:15", day=2), "3c4d5e6", 90),
        (at("08:05"), "7a8b9c0", 91),
    ]


def test_deploy_table_whose_rows_start_with_a_time() -> None:
    deploys = table(
        ["Time (UTC)", "Commit", "Change"],
        [
            ["06-01 22:40", "2b3c4d5", "#88 retry budget"],
            ["06-02 09:05", "6e7f8a9", "#89 page size"],
            ["06-03 08:30", "1234567", "#90 all-digit short hash"],
        ],
    )
    found = markers_of(text("Deployments (CI → cluster), last 72 h"), deploys)
    assert [(m.at, m.sha, m.pr) for m in found] == [
        (at("22:40", day=1), "2b3c4d5", 88),
        (at("09:05", day=2), "6e7f8a9", 89),
        (at("08:30"), None, 90),
    ]


def test_time_table_not_about_deploys_gives_no_markers_from_ids() -> None:
    pods = table(["Started", "Image", "Restarts"], [[f"11:0{i}", "2b3c4d5", "0"] for i in range(3)])
    assert markers_of(text("Pods (now)"), pods) == ()


def test_rollout_history_pairs_each_commit_with_its_time() -> None:
    history = (
        "$ kubectl rollout history deploy/svc-alpha 41 image=svc-alpha:1f2e3d4 (Mon 06-02 15:22) "
        "42 image=svc-alpha:5c6b7a8 (Tue 06-03 10:10)"
    )
    found = markers_of(text(history))
    assert [(m.sha, m.at) for m in found] == [
        ("1f2e3d4", at("15:22", day=2)),
        ("5c6b7a8", at("10:10")),
    ]


def test_release_without_identifier_when_the_time_is_beside_it() -> None:
    found = markers_of(text("07:00 weekly catalogue release · 07:05 alert fired"))
    assert [(m.at, m.sha, m.version) for m in found] == [(at("07:00"), None, None)]


def test_same_commit_twice_keeps_the_deploy_not_the_image_mention() -> None:
    found = markers_of(
        text("Annotations 10:42 deploy svc-alpha 5d6e7f8 (#502)"),
        text("replicas 8, image 5d6e7f8 (since 06-01 09:00)"),
    )
    assert [(m.at, m.sha, m.pr) for m in found] == [(at("10:42"), "5d6e7f8", 502)]


# --- what is not a marker -------------------------------------------------------------------


def test_deploy_word_without_a_time_is_no_marker() -> None:
    runbook = (
        "When the errors follow a deploy, roll back that release (see the deploy annotations)."
    )
    assert markers_of(text(runbook)) == ()


def test_time_without_a_deploy_word_is_no_marker() -> None:
    assert markers_of(text("11:12 alert AlphaErrors firing · 11:14 acknowledged")) == ()


def test_flags_and_resource_names_are_not_deploys() -> None:
    lines = text(
        "$ kubectl debug node/n1 --image=busybox (11:05)",
        "11:07 Reference: Deployment/svc-alpha",
        "Waiting 11:08 · deployments may shift load elsewhere, see 11:09",
    )
    assert markers_of(lines) == ()


def test_weak_word_needs_an_identifier() -> None:
    assert markers_of(text("11:00 cache sync finished")) == ()
    found = markers_of(text("11:00 argocd sync 9f8e7d6"))
    assert [m.sha for m in found] == ["9f8e7d6"]


def test_a_deploy_tool_named_beside_a_commit_or_pr_is_a_deploy() -> None:
    strip = ("Annotations (CD, project shop) Mon 06-02 15:10 argocd svc-beta-prod 0a1b2c3 (#77) · "
             "10:55 flux svc-alpha 9e8d7c6 (#610) · 11:02 helm svc-gamma v2.4.1")  # fmt: skip
    found = markers_of(text(strip))
    assert [(m.at, m.sha, m.pr, m.version) for m in found] == [
        (at("15:10", day=2), "0a1b2c3", 77, None),
        (at("10:55"), "9e8d7c6", 610, None),
        (at("11:02"), None, None, "v2.4.1"),
    ]


def test_a_deploy_tools_name_without_what_it_shipped_is_no_deploy() -> None:
    assert markers_of(text("10:55 argocd sync status Healthy · 11:02 helm repo updated")) == ()
