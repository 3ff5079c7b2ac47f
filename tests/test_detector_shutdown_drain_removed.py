"""shutdown_drain_removed: a preStop hook, a grace period or a SIGTERM handler taken away."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import shutdown_drain_removed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return shutdown_drain_removed.detect(change_facts("PR #1", [file], {file: patch}))


HOOK_REMOVED = (
    "@@ -20,8 +20,4 @@ spec:\n       containers:\n         - name: web\n"
    "-          lifecycle:\n-            preStop:\n-              exec:\n"
    '-                command: ["sleep", "15"]\n           ports:\n'
)
GRACE_CUT = (
    "@@ -30,2 +30,2 @@ spec:\n     spec:\n-      terminationGracePeriodSeconds: 45\n"
    "+      terminationGracePeriodSeconds: 5\n"
)
GUNICORN = "@@ -1,3 +1,3 @@\n workers = 4\n-graceful_timeout = 30\n+graceful_timeout = 2\n"
HANDLER_REMOVED = (
    "@@ -40,6 +40,2 @@\n app.listen(3000);\n-process.on('SIGTERM', async () => {\n"
    "-  await app.close();\n-  process.exit(0);\n-});\n"
)
GO_HANDLER = (
    "@@ -12,4 +12,2 @@ func main() {\n-\tstop := make(chan os.Signal, 1)\n"
    "-\tsignal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)\n \tsrv.ListenAndServe()\n"
)


@pytest.mark.parametrize(
    ("file", "patch", "said"),
    [
        ("deploy/k8s/deployment.yaml", HOOK_REMOVED, "preStop"),
        ("deploy/k8s/deployment.yaml", GRACE_CUT, "terminationGracePeriodSeconds 45 → 5"),
        ("gunicorn.conf.py", GUNICORN, "graceful_timeout 30 → 2"),
        ("src/server.ts", HANDLER_REMOVED, "SIGTERM"),
        ("cmd/api/main.go", GO_HANDLER, "SIGTERM"),
    ],
)  # fmt: skip
def test_shutdown_drain_cut(file: str, patch: str, said: str) -> None:
    [hit, *_] = findings(file, patch)
    assert said in hit.message and "availability" in hit.symptoms


@pytest.mark.parametrize(
    ("file", "patch"),
    [
        # the grace period raised
        ("deploy/k8s/deployment.yaml", "@@ -30,2 +30,2 @@ spec:\n     spec:\n"
         "-      terminationGracePeriodSeconds: 30\n+      terminationGracePeriodSeconds: 90\n"),
        # the hook moved within the change (removed here, added there)
        ("deploy/k8s/deployment.yaml", HOOK_REMOVED + "@@ -60,2 +56,4 @@\n x\n+    lifecycle:\n"
         "+            preStop:\n"),
        # a probe's timeout lowered is no shutdown setting
        ("deploy/k8s/deployment.yaml", "@@ -5,3 +5,3 @@\n readinessProbe:\n-  timeoutSeconds: 5\n"
         "+  timeoutSeconds: 2\n"),
        # a SIGTERM handler rewritten, still there
        ("src/server.ts", HANDLER_REMOVED + "@@ -50,1 +46,3 @@\n x\n+process.on('SIGTERM', () => "
         "shutdown(app));\n"),
        # docs
        ("docs/runbook.md", HOOK_REMOVED),
    ],
)  # fmt: skip
def test_no_shutdown_drain_cut(file: str, patch: str) -> None:
    assert findings(file, patch) == []
