"""Trusted inventory, and the checks every action's target arguments must pass against it.

The inventory holds only trusted facts: the alert's labels (from an authenticated
source), GitHub metadata the investigation read (PR numbers, repos, merge times, file
counts) and the service catalog. An action whose target is not in it is blocked before
any rule is consulted: a model cannot name a PR, channel or workload into existence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.actions import OPTIONAL, SIGNATURES
from core.state import ProposedAction, Scalar

WORKLOAD_LABELS = ("deployment", "statefulset", "daemonset", "workload")
UNBOUNDED = 1_000_000  # blast radius of a target we cannot count


@dataclass(frozen=True)
class PullFact:
    repo: str
    number: int
    merged_at: datetime | None
    files: int


@dataclass(frozen=True)
class Inventory:
    service: str | None
    repo: str | None  # the alerting service's repository (catalog)
    channel: str | None  # the alerting service's channel (catalog)
    tier: int | None
    environment: str | None  # from the alert's labels
    namespace: str | None
    workloads: frozenset[str]  # named by the alert's own labels
    catalog_channels: frozenset[str]
    pulls: Mapping[tuple[str, int], PullFact]
    window: tuple[datetime, datetime]  # when a change counts as part of the incident
    now: datetime
    links: frozenset[str] = field(default_factory=frozenset)  # hosts messages may link to


@dataclass(frozen=True)
class Check:
    id: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{self.id}: {'ok' if self.ok else 'failed'}: {self.detail}"


def validate(action: ProposedAction, inv: Inventory) -> list[Check]:
    """Every check this action's arguments must pass; an empty list never means "ok"."""
    signature = SIGNATURES.get(action.tool)
    if signature is None:
        return [Check("known-action", False, f"{action.tool!r} is not a typed action")]
    typing = _types(action.args, signature, OPTIONAL.get(action.tool, {}))
    if not typing.ok:
        return [typing]
    checks = TARGET_CHECKS.get(action.tool)
    if checks is None:  # typed, but nothing here can check its targets yet: never runs
        return [typing, Check("known-action", False, f"no inventory checks for {action.tool}")]
    return [typing, *(check(action.args, inv) for check in checks)]


def blast_radius(action: ProposedAction, inv: Inventory) -> int:
    """How many things the action changes at once: files a (revert of a) PR touches,
    workloads a restart hits, channels a message reaches."""
    args = action.args
    if action.tool in ("revert_pull_request", "merge_pull_request"):
        pull = inv.pulls.get((str(args.get("repo")), _int(args.get("pr"))))
        return pull.files if pull else UNBOUNDED
    if action.tool == "restart_deployment":
        name = str(args.get("name", ""))
        return UNBOUNDED if any(c in name for c in "*?,[ ") or not name else 1
    return 1


def _types(
    args: Mapping[str, Scalar], signature: dict[str, type], optional: dict[str, type]
) -> Check:
    missing = [k for k in signature if k not in args]
    unknown = [k for k in args if k not in signature and k not in optional]
    types = {**signature, **optional}
    wrong = [k for k, t in types.items() if k in args and type(args[k]) is not t]  # bool ≠ int
    if missing or unknown or wrong:
        detail = f"missing {missing}, unknown {unknown}, wrong type {wrong}"
        return Check("arguments", False, detail)
    return Check("arguments", True, "arguments match the action's signature")


def _int(value: Scalar) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _pull(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    key = (str(args["repo"]), _int(args["pr"]))
    if key not in inv.pulls:
        return Check("pr-known", False, f"{key[0]} PR #{key[1]} is not in the GitHub inventory")
    return Check("pr-known", True, f"{key[0]} PR #{key[1]} exists")


def _service_repo(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    if inv.repo is not None and args["repo"] == inv.repo:
        return Check("service-repo", True, f"{inv.repo} is {inv.service}'s repository")
    return Check(
        "service-repo", False, f"{args['repo']} is not the alerting service's repo ({inv.repo})"
    )


def _merged_in_window(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    pull = inv.pulls.get((str(args["repo"]), _int(args["pr"])))
    start, end = inv.window
    if pull is None or pull.merged_at is None:
        return Check("merged-in-window", False, "the PR is not merged")
    if not start <= pull.merged_at <= end:
        return Check("merged-in-window", False, f"merged {pull.merged_at:%Y-%m-%d %H:%M}, "
                     f"outside {start:%Y-%m-%d %H:%M}..{end:%H:%M}")  # fmt: skip
    minutes = round((end - pull.merged_at).total_seconds() / 60)
    return Check("merged-in-window", True, f"merged {minutes} min before the alert")


def _catalog_channel(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    if args["channel"] in inv.catalog_channels:
        return Check("channel-in-catalog", True, f"{args['channel']} is a catalog channel")
    return Check("channel-in-catalog", False, f"{args['channel']} is not in the service catalog")


def _workload(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    if args["name"] in inv.workloads:
        return Check("workload-in-alert", True, f"{args['name']} is named by the alert's labels")
    return Check("workload-in-alert", False, f"{args['name']} is not named by the alert's labels")


def _namespace(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    if inv.namespace is not None and args["namespace"] == inv.namespace:
        return Check("namespace-of-alert", True, f"{inv.namespace} is the alert's namespace")
    return Check("namespace-of-alert", False, f"{args['namespace']} is not the alert's namespace")


TargetCheck = Callable[[Mapping[str, Scalar], Inventory], Check]
TARGET_CHECKS: dict[str, tuple[TargetCheck, ...]] = {
    "revert_pull_request": (_pull, _service_repo, _merged_in_window),
    "merge_pull_request": (_pull, _service_repo),
    "comment_on_pull_request": (_pull, _service_repo),
    "create_issue": (_service_repo,),
    "post_message": (_catalog_channel,),
    "restart_deployment": (_workload, _namespace),
}
