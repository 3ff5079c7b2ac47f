"""Trusted inventory, and the checks every action's target arguments must pass against it.

The inventory holds only trusted facts: the alert's labels (from an authenticated
source), GitHub metadata the investigation read (PR numbers, repos, merge times, file
counts), the alert's own deployments as the Kubernetes API reported them (replicas,
revisions, rollout time) and the service catalog. An action whose target is not in it is
blocked before any rule is consulted: a model cannot name a PR, channel or workload into
existence, nor roll back or scale a deployment the cluster was not asked about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.actions import OPTIONAL, SIGNATURES
from core.state import ProposedAction, Scalar, Workload
from core.windows import CHANGE_WINDOW

WORKLOAD_LABELS = ("deployment", "statefulset", "daemonset", "workload")
UNBOUNDED = 1_000_000  # blast radius of a target we cannot count
MAX_REPLICAS = 100  # a scale never asks for more, whatever the deployment runs now
SCALE_FACTOR = 3  # nor for more than this many times its desired replicas (of 1 when 0)


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
    # (namespace, name) → the deployment as the cluster reported it; empty: never read
    deployments: Mapping[tuple[str, str], Workload] = field(default_factory=dict)
    # repo → the service the alerting one depends on (catalog `depends_on`), whose changes
    # can cause its incidents: a revert there is the fix too, with a human's approval
    upstream: Mapping[str, str] = field(default_factory=dict)


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
    workloads a restart hits (its pods keep their template and roll one by one), pods a
    rollback replaces (the deployment's desired replicas), pods a scale adds or removes
    (|new - current|), channels a message reaches. A target the inventory cannot count
    is UNBOUNDED."""
    args = action.args
    if action.tool in ("revert_pull_request", "merge_pull_request"):
        pull = inv.pulls.get((str(args.get("repo")), _int(args.get("pr"))))
        return pull.files if pull else UNBOUNDED
    if action.tool == "restart_deployment":
        name = str(args.get("name", ""))
        return UNBOUNDED if any(c in name for c in "*?,[ ") or not name else 1
    if action.tool == "rollback_deployment":
        found = _deployment(args, inv)
        return found.replicas if found else UNBOUNDED
    if action.tool == "scale_deployment":
        found, wanted = _deployment(args, inv), _int(args.get("replicas"))
        return abs(wanted - found.replicas) if found and wanted >= 0 else UNBOUNDED
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


def _culprit_repo(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    """A revert's repo: the alerting service's, or one of a service it depends on (the
    catalog's `depends_on`: an upstream's change breaks it, and reverting it is the fix)."""
    repo = str(args["repo"])
    if repo in inv.upstream and repo != inv.repo:
        return Check("service-repo", True, f"{repo} is the repository of {inv.upstream[repo]}, "
                     f"which {inv.service} depends on")  # fmt: skip
    return _service_repo(args, inv)


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


def _deployment(args: Mapping[str, Scalar], inv: Inventory) -> Workload | None:
    return inv.deployments.get((str(args.get("namespace")), str(args.get("name"))))


def _in_cluster(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    found, where = _deployment(args, inv), f"{args['namespace']}/{args['name']}"
    if not inv.deployments:
        detail = "the cluster was not read: no deployment is in the inventory"
        return Check("deployment-in-cluster", False, detail)
    if found is None:
        detail = f"{where} is not among the deployments read from the cluster"
        return Check("deployment-in-cluster", False, detail)
    detail = f"{where} runs revision {found.revision}, {found.ready}/{found.replicas} ready"
    return Check("deployment-in-cluster", True, detail)


def _previous_revision(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    found = _deployment(args, inv)
    if found is None:
        return Check("previous-revision", False, "the deployment's history was not read")
    older = [r for r in found.revisions if r < found.revision]
    if not older:
        held = ", ".join(map(str, found.revisions)) or "none"
        detail = f"no revision before {found.revision} (history: {held}): nothing to roll back to"
        return Check("previous-revision", False, detail)
    detail = f"rolls back from revision {found.revision} to {max(older)}"
    return Check("previous-revision", True, detail)


def _rolled_out_in_window(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    found, (start, end) = _deployment(args, inv), inv.window
    start = max(start, end - CHANGE_WINDOW)  # a build-up's longer window is for reverts only
    if found is None or found.rolled_out_at is None:
        detail = "when the current revision was rolled out is unknown"
        return Check("rolled-out-in-window", False, detail)
    at = found.rolled_out_at
    if not start <= at <= end:
        detail = (
            f"revision {found.revision} was rolled out {at:%Y-%m-%d %H:%M}, "
            f"outside {start:%Y-%m-%d %H:%M}..{end:%H:%M}"
        )
        return Check("rolled-out-in-window", False, detail)
    minutes = round((end - at).total_seconds() / 60)
    detail = f"revision {found.revision} was rolled out {minutes} min before the alert"
    return Check("rolled-out-in-window", True, detail)


def _replicas(args: Mapping[str, Scalar], inv: Inventory) -> Check:
    found, wanted = _deployment(args, inv), _int(args["replicas"])
    if found is None:
        return Check("replicas-in-bounds", False, "the deployment's current replicas are unknown")
    now, ceiling = found.replicas, min(MAX_REPLICAS, SCALE_FACTOR * max(found.replicas, 1))
    if wanted < 1:
        return Check("replicas-in-bounds", False, f"{wanted} replicas stops every pod: an outage")
    if wanted > ceiling:
        detail = (
            f"{wanted} replicas is above {ceiling} "
            f"(at most {SCALE_FACTOR}x the current {now}, never above {MAX_REPLICAS})"
        )
        return Check("replicas-in-bounds", False, detail)
    if wanted < now:
        detail = f"scale-down from {now} to {wanted} replicas: it removes capacity"
        return Check("replicas-in-bounds", True, detail)
    detail = f"scale from {now} to {wanted} replicas (at most {ceiling})"
    return Check("replicas-in-bounds", True, detail)


TargetCheck = Callable[[Mapping[str, Scalar], Inventory], Check]
TARGET_CHECKS: dict[str, tuple[TargetCheck, ...]] = {
    "revert_pull_request": (_pull, _culprit_repo, _merged_in_window),
    "merge_pull_request": (_pull, _service_repo),
    "comment_on_pull_request": (_pull, _service_repo),
    "create_issue": (_service_repo,),
    "post_message": (_catalog_channel,),
    "restart_deployment": (_workload, _namespace),
    "rollback_deployment": (
        _workload,
        _namespace,
        _in_cluster,
        _previous_revision,
        _rolled_out_in_window,
    ),
    "scale_deployment": (_workload, _namespace, _in_cluster, _replicas),
}
