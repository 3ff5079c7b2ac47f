"""unit_dropped: a duration or size setting whose value loses its unit (`5m` → `90`)."""

from __future__ import annotations

from agents.root_cause.detectors import unit_dropped
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return unit_dropped.detect(change_facts("PR #1", [file], {file: patch}))


def test_kubernetes_env_entries_and_a_memory_limit_lose_their_units() -> None:
    patch = """\
@@ -20,13 +20,13 @@ spec:
       containers:
         - name: web
           env:
             - name: LOOKUP_CACHE_TTL
-              value: "5m"
+              value: "90"
             - name: UPSTREAM_READ_TIMEOUT
-              value: "30s"
+              value: "30"
           resources:
             limits:
-              memory: 512Mi
+              memory: 512
"""
    ttl, timeout, memory = findings("deploy/k8s/web.yaml", patch)
    assert (ttl.file, ttl.line) == ("deploy/k8s/web.yaml", 24)
    assert "env LOOKUP_CACHE_TTL lost its unit: 5m → 90 (was 300 s" in ttl.message
    assert "cache" in ttl.symptoms and "crash" in ttl.symptoms and ttl.strength == 0.7
    assert timeout.line == 26 and "UPSTREAM_READ_TIMEOUT lost its unit: 30s → 30" in timeout.message
    assert "timeouts" in timeout.symptoms and timeout.strength == 0.7
    assert memory.line == 29 and "512Mi → 512 (was 536870912 bytes" in memory.message
    assert "memory" in memory.symptoms


def test_helm_values_env_file_and_properties() -> None:
    helm = '@@ -3,3 +3,3 @@ worker:\n   poll:\n-    interval: "2h"\n+    interval: "120"\n'
    [interval] = findings("charts/worker/values.yaml", helm)
    assert interval.line == 4
    assert "poll.interval lost its unit: 2h → 120 (was 7200 s" in interval.message
    assert "120 s to a reader counting seconds, 0.12 s to one counting milliseconds" in (
        interval.message
    )
    dotenv = "@@ -1,2 +1,2 @@\n APP_NAME=web\n-SWEEP_INTERVAL=1h30m\n+SWEEP_INTERVAL=90\n"
    [sweep] = findings(".env.production", dotenv)
    assert sweep.line == 2 and "SWEEP_INTERVAL lost its unit: 1h30m → 90" in sweep.message
    props = "@@ -4 +4 @@\n-http.client.idle-timeout=5m\n+http.client.idle-timeout=45\n"
    [idle] = findings("src/main/resources/application.properties", props)
    assert idle.line == 4 and "http.client.idle-timeout lost its unit: 5m → 45" in idle.message
    assert "timeouts" in idle.symptoms


def test_json_toml_and_terraform_env_pairs() -> None:
    json = '@@ -2,3 +2,3 @@\n   "http": {\n-    "idleTimeout": "5m",\n+    "idleTimeout": 90,\n'
    [idle] = findings("config/server.json", json)
    assert idle.line == 3 and "idleTimeout lost its unit: 5m → 90" in idle.message
    toml = '@@ -2,2 +2,2 @@\n [server]\n-shutdown_grace = "PT30S"\n+shutdown_grace = "30"\n'
    [grace] = findings("config/server.toml", toml)
    assert grace.line == 3 and "shutdown_grace lost its unit: PT30S → 30" in grace.message
    terraform = """\
@@ -10,5 +10,5 @@ resource "aws_ecs_task_definition" "web" {
       environment = [
-        { name = "FEED_CACHE_TTL", value = "2h" },
+        { name = "FEED_CACHE_TTL", value = "120" },
       ]
"""
    [feed] = findings("infra/web/ecs.tf", terraform)
    assert feed.line == 11 and "env FEED_CACHE_TTL lost its unit: 2h → 120" in feed.message
    task = """\
@@ -10,6 +10,6 @@
         {
           "name": "FLUSH_AFTER",
-          "value": "15s"
+          "value": "15"
         },
"""
    [flush] = findings("deploy/task-definition.json", task)
    assert flush.line == 12 and "env FLUSH_AFTER lost its unit: 15s → 15" in flush.message


def test_a_converted_value_or_an_unnamed_key_is_weaker() -> None:
    converted = "@@ -4 +4 @@\n-http.client.read-timeout=30s\n+http.client.read-timeout=30000\n"
    [ms] = findings("src/main/resources/application.properties", converted)
    assert ms.strength == 0.3 and "the old value converted" in ms.message
    unnamed = "@@ -1,2 +1,2 @@\n batch:\n-  settle: 5m\n+  settle: 90\n"
    [settle] = findings("config/jobs.yaml", unnamed)
    assert settle.strength == 0.45 and "batch.settle lost its unit: 5m → 90" in settle.message
    assert "cache" not in settle.symptoms  # (`settle` holds the letters "ttl")


# --- near misses -----------------------------------------------------------------------------


def test_bare_numbers_changed_and_units_changed_are_not_findings() -> None:
    bare = "@@ -1,2 +1,2 @@\n http:\n-  timeout: 90\n+  timeout: 120\n"
    other_unit = "@@ -1,2 +1,2 @@\n http:\n-  timeout: 5m\n+  timeout: 300s\n"
    gained = "@@ -1,2 +1,2 @@\n http:\n-  timeout: 300\n+  timeout: 5m\n"
    assert findings("config/app.yaml", bare) == []
    assert findings("config/app.yaml", other_unit) == []
    assert findings("config/app.yaml", gained) == []


def test_exact_conversions_and_other_env_entries_are_not_findings() -> None:
    exact = """\
@@ -1,5 +1,5 @@
   limits:
-    memory: 512Mi
+    memory: "536870912"
-    cpu: 500m
+    cpu: "0.5"
"""
    renamed = """\
@@ -4,6 +4,6 @@
           env:
-            - name: OLD_TTL
-              value: "5m"
+            - name: RETRY_LIMIT
+              value: "90"
"""
    assert findings("deploy/k8s/web.yaml", exact) == []
    assert findings("deploy/k8s/web.yaml", renamed) == []


def test_tests_comments_and_code_are_ignored() -> None:
    patch = "@@ -1,2 +1,2 @@\n http:\n-  timeout: 5m\n+  timeout: 90\n"
    comment = "@@ -1,2 +1,2 @@\n http:\n-  # timeout: 5m\n+  # timeout: 90\n"
    code = '@@ -1 +1 @@\n-TIMEOUT = "5m"\n+TIMEOUT = 90\n'
    assert findings("tests/fixtures/app.yaml", patch) == []
    assert findings("config/app.yaml", comment) == []
    assert findings("app/settings.py", code) == []


def test_millicores_become_cores_only_when_read_as_cores_by_mistake() -> None:
    """A bare CPU value is cores: `300m` → `2` is a new amount; `750m` → `750` is the unit lost."""
    resized = "@@ -3,2 +3,2 @@\n     requests:\n-      cpu: 300m\n+      cpu: 2\n"
    halved = "@@ -3,2 +3,2 @@\n     limits:\n-      cpu: 1500m\n+      cpu: 1\n"
    slipped = "@@ -3,2 +3,2 @@\n     requests:\n-      cpu: 750m\n+      cpu: 750\n"
    assert findings("k8s/api/deployment.yaml", resized) == []
    assert findings("k8s/api/deployment.yaml", halved) == []
    [lost] = findings("k8s/api/deployment.yaml", slipped)
    assert "cpu lost its unit: 750m → 750 (was 0.75 cores" in lost.message
