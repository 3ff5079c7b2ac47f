"""Roles: who may view incidents and approve which actions where (policies/roles.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from policies.roles import Roles, RolesError, load_roles, roles_for

TOKEN = "per-person-secret"
ROLES = f"""\
roles:
  observer: {{view: true}}
  developer:
    approve: ["*"]
  restarter:
    approve: [restart_deployment, "scale_*"]
people:
  ana:
    slack: U01
    token_sha256: {hashlib.sha256(TOKEN.encode()).hexdigest()}
    environments: {{staging: developer, "*": observer}}
  bo:
    slack: U02
    environments: {{"*": developer}}
  cy:
    environments: {{production: restarter}}
"""


@pytest.fixture
def roles(tmp_path: Path) -> Roles:
    path = tmp_path / "roles.yaml"
    path.write_text(ROLES)
    return load_roles(path)


def test_a_role_per_environment_decides_what_a_person_may_approve(roles: Roles) -> None:
    ana, bo, cy = (roles.by_name(n) for n in ("ana", "bo", "cy"))
    staging = roles.may_approve(ana, "revert_pull_request", "staging")
    assert staging.allowed and staging.role == "developer"
    production = roles.may_approve(ana, "revert_pull_request", "production")
    assert not production.allowed and production.role == "observer"
    assert "ana's role in production (observer) may not approve" in production.why
    assert roles.may_approve(bo, "rollback_deployment", None).allowed  # "*" covers unknown
    assert roles.may_approve(cy, "scale_deployment", "production").allowed
    assert not roles.may_approve(cy, "revert_pull_request", "production").allowed
    nowhere = roles.may_approve(cy, "restart_deployment", "staging")
    assert not nowhere.allowed and nowhere.why == "cy has no role in staging"


def test_identities_are_found_by_slack_id_name_and_token(roles: Roles) -> None:
    assert (found := roles.by_slack("U02")) is not None and found.name == "bo"
    assert roles.by_slack("U99") is None
    assert (owner := roles.by_token(TOKEN)) is not None and owner.name == "ana"
    assert roles.by_token("guess") is None
    assert roles.may_view(roles.by_name("cy")) and not roles.may_view(None)
    stranger = roles.may_approve(None, "revert_pull_request", "staging")
    assert not stranger.allowed and "not in the roles" in stranger.why


def test_view_can_be_withheld(tmp_path: Path) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text("roles:\n  bot: {view: false}\npeople:\n  x: {environments: {'*': bot}}\n")
    assert not load_roles(path).may_view(load_roles(path).by_name("x"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "roles:\n  a: {}\npeople:\n  p:\n    environments: {'*': b}\n",
            ":5: people.p: unknown role 'b' (roles: a)",
        ),
        (
            "roles:\n  a: {}\npeople:\n  p:\n    slack: U1\n    environments: {'*': a}\n"
            "  q:\n    slack: U1\n    environments: {'*': a}\n",
            ":8: people.q: Slack id U1 is also p's",
        ),
        ("roles:\n  a: {approve: 3}\n", ":2: roles.a.approve: Input should be a valid"),
        (
            "roles:\n  a: {}\npeople:\n  p:\n    environments: {}\n",
            ":5: people.p.environments: Dictionary should have at least 1 item",
        ),
        (
            "roles:\n  a: {}\npeople:\n  p:\n    token_sha256: abc\n    environments: {'*': a}\n",
            ":5: people.p.token_sha256: String should match pattern",
        ),
        ("roles: {}\n", ":1: roles: Dictionary should have at least 1 item"),
        ("roles:\n  a: {}\nadmins: [x]\n", ":3: admins: Extra inputs are not permitted"),
        ("roles: [\n", "not valid YAML"),
        ("", "empty; it needs `roles:`"),
    ],
)
def test_an_invalid_roles_file_names_the_line_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text(text)
    with pytest.raises(RolesError) as caught:
        load_roles(path)
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value)


def test_without_valid_roles_nobody_may_approve(tmp_path: Path) -> None:
    missing = roles_for(tmp_path / "absent.yaml", ("U01",))  # the file wins, even missing
    assert missing.problem is not None and "cannot read the roles file" in missing.problem
    bad = tmp_path / "bad.yaml"
    bad.write_text("roles: {}\n")
    invalid = roles_for(bad, ())
    for roles in (missing, invalid, roles_for(None, ())):
        permit = roles.may_approve(roles.by_name("U01"), "revert_pull_request", "staging")
        assert not permit.allowed and permit.why.startswith("nobody may approve")
    assert "INCIDENT_GRAPH_ROLES_FILE" in str(roles_for(None, ()).problem)


def test_the_approvers_list_is_the_short_form_of_one_role() -> None:
    roles = roles_for(None, ("U42", "dana"))
    assert roles.problem is None and roles.source == "INCIDENT_GRAPH_APPROVERS"
    for who in (roles.by_slack("U42"), roles.by_name("dana")):
        permit = roles.may_approve(who, "rollback_deployment", "production")
        assert permit.allowed and permit.role == "approver"
    assert roles.by_name("eve") is None
