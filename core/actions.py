"""The typed actions: their arguments and types, the MCP tool that carries each out, and the
idempotency key of a proposed action (docs/scenario-format.md, "Action vocabulary").

Every mutation the pipeline proposes is one of these; the gate checks its arguments against
`SIGNATURES` and the trusted inventory before any rule, and execute calls `TOOLS`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

Args = Mapping[str, Any]

SIGNATURES: dict[str, dict[str, type]] = {
    "revert_pull_request": {"pr": int, "repo": str},
    "merge_pull_request": {"pr": int, "repo": str},
    "create_issue": {"repo": str, "title": str},
    "comment_on_pull_request": {"pr": int, "repo": str, "body": str},
    "post_message": {"channel": str, "text": str},
    "restart_deployment": {"name": str, "namespace": str},
    "rollback_deployment": {"name": str, "namespace": str},
    "scale_deployment": {"name": str, "namespace": str, "replicas": int},
}
"""Each action's required arguments and their types."""

OPTIONAL: dict[str, dict[str, type]] = {
    "create_issue": {"body": str},
    "post_message": {"thread_ts": str, "update_ts": str},
}
"""Arguments an action may carry besides the required ones (a message may answer in a
thread, or replace the text of one posted earlier: `update_ts`)."""

ACTIONS: dict[str, tuple[str, ...]] = {name: tuple(sig) for name, sig in SIGNATURES.items()}
"""Action names and their argument names, as the scenario contract lists them."""

TOOLS: dict[str, tuple[str, Callable[[Args], dict[str, Any]]]] = {
    "revert_pull_request": (
        "github.revert_pull_request",
        lambda a: {"repo": a["repo"], "number": a["pr"]},
    ),
    "create_issue": (
        "github.create_issue",
        lambda a: {"repo": a["repo"], "title": a["title"], "body": a.get("body", "")},
    ),
    "comment_on_pull_request": (
        "github.comment_on_pull_request",
        lambda a: {"repo": a["repo"], "number": a["pr"], "body": a["body"]},
    ),
    "post_message": (
        "slack.post_message",
        lambda a: (
            {"channel": a["channel"], "text": a["text"]}
            | ({"thread_ts": a["thread_ts"]} if a.get("thread_ts") else {})
        ),
    ),
    "restart_deployment": (
        "kubernetes.rollout_restart",
        lambda a: {"name": a["name"], "namespace": a["namespace"]},
    ),
    "rollback_deployment": (  # no to_revision: the revision before the current one
        "kubernetes.rollout_undo",
        lambda a: {"name": a["name"], "namespace": a["namespace"]},
    ),
    "scale_deployment": (
        "kubernetes.scale",
        lambda a: {"name": a["name"], "namespace": a["namespace"], "replicas": a["replicas"]},
    ),
}
"""The MCP tool (`server.tool`) that carries out an action, and its arguments (the
Kubernetes ones are the project's own server, `mcpservers/kubernetes_tools.py`)."""


def action_id(incident_id: str, tool: str, args: Mapping[str, Any]) -> str:
    """The idempotency key: the same action on the same incident has the same id."""
    raw = json.dumps([incident_id, tool, dict(args)], sort_keys=True)
    return f"{tool}-{hashlib.sha256(raw.encode()).hexdigest()[:12]}"
