"""Graceful shutdown cut short: a change that removes a pod's `preStop` hook, lowers the time
a process is given to stop (`terminationGracePeriodSeconds`, gunicorn's `graceful_timeout`,
Spring's `timeout-per-shutdown-phase`, a server's shutdown timeout, a load balancer's
deregistration delay), or removes the process's SIGTERM handler. A load balancer keeps
sending new requests to a terminating pod for several seconds after Kubernetes tells it to
stop (endpoints and target deregistration propagate asynchronously); the preStop sleep and
the grace period are what let in-flight and late requests finish. Without them every pod
that stops (each rollout, each autoscaler scale-in, each node drain) answers some requests
with resets and 502s: a latent risk that the next deploy or scale-in sets off.

Catches a removed `preStop:` with none added back, a lowered shutdown or grace setting (from
the change's settings), and a removed SIGTERM handler (`process.on('SIGTERM'`,
`signal.Notify(…SIGTERM)`, `signal.signal(signal.SIGTERM`, `trap … TERM`) with none added.

Ignores a grace period raised or a hook moved (removed and added in the same change),
readiness and liveness probes, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "shutdown_drain_removed"
SYMPTOMS = ("errors", "availability", "connections")

_PRESTOP = re.compile(r"^\s*-?\s*preStop\s*:", re.I)
_GRACE = re.compile(
    r"terminationgraceperiod|graceful[_-]?timeout|shutdown[_-]?(?:timeout|grace|delay)"
    r"|timeout[_-]?per[_-]?shutdown|deregistration[_-]?delay|drain[_-]?(?:timeout|seconds)"
    r"|lifecycle\.timeout|prestop",
    re.I,
)
_SIGTERM = re.compile(
    r"""process\.on\(\s*['"]SIGTERM|signal\.Notify\(.*SIGTERM|signal\.signal\(\s*signal\.SIGTERM"""
    r"|\btrap\b.*\bTERM\b|addShutdownHook\(|on_signal\(.*TERM|SignalKind::terminate",
)


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    removed = [ln for ln in change.removed if kinds.file_kind(ln.file) != "docs_tests"]
    added = [ln for ln in change.added if kinds.file_kind(ln.file) != "docs_tests"]
    hook = next((ln for ln in removed if _PRESTOP.match(ln.text)), None)
    if hook and not any(_PRESTOP.match(ln.text) for ln in added):
        found.append(Finding(
            NAME, "removes the preStop hook: a stopping pod no longer waits while the load "
            "balancer and endpoints stop sending it requests, so each rollout or scale-in "
            "answers some with resets and 502s", hook.file, hook.line, SYMPTOMS, strength=0.6,
        ))  # fmt: skip
    for s in change.settings:
        if _GRACE.search(s.key) and s.direction == "lowered":
            found.append(Finding(
                NAME, f"cuts the time a stopping process gets: {s.key} {s.before} → {s.after}; "
                "requests still arriving or in flight when it ends fail (resets, 502s) at each "
                "rollout or scale-in", s.file, s.line, SYMPTOMS, strength=0.5,
            ))  # fmt: skip
            break
    handler = next((ln for ln in removed if _SIGTERM.search(ln.text)), None)
    if handler and not any(_SIGTERM.search(ln.text) for ln in added):
        found.append(Finding(
            NAME, "removes the SIGTERM handler: the process exits at once when asked to stop "
            "instead of draining its connections", handler.file, handler.line, SYMPTOMS,
            strength=0.5,
        ))  # fmt: skip
    return found[:2]
