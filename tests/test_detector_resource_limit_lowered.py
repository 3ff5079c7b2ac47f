"""resource_limit_lowered: memory/CPU limits lowered, heaps lowered or left above the limit."""

from __future__ import annotations

from agents.root_cause.detectors import resource_limit_lowered
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return resource_limit_lowered.detect(change_facts("PR #1", [file], {file: patch}))


DEPLOYMENT = """\
@@ -18,12 +18,12 @@ spec:
       containers:
         - name: app
           env:
             - name: JAVA_OPTS
               value: "-Xmx3g -XX:+UseG1GC"
           resources:
             requests:
               memory: 1Gi
             limits:
-              memory: 4Gi
+              memory: 2Gi
-              cpu: "2"
+              cpu: 500m
"""


def test_kubernetes_limit_lowered_under_the_jvm_heap() -> None:
    by_line = {f.line: f for f in findings("deploy/app/deployment.yaml", DEPLOYMENT)}
    heap = by_line[27]
    assert heap.file == "deploy/app/deployment.yaml"
    assert "heap -Xmx3g is at or above the container memory limit" in heap.message
    assert "limits.memory 4Gi → 2Gi" in heap.message
    assert heap.strength >= 0.8 and "memory" in heap.symptoms
    cpu = by_line[28]  # `500m` is half a core, not 500 minutes
    assert "limits.cpu lowered 2 → 500m (4× less)" in cpu.message
    assert "cpu" in cpu.symptoms


def test_compose_mem_limit_with_docker_units() -> None:
    patch = (
        "@@ -3,4 +3,4 @@ services:\n"
        "   worker:\n"
        "     image: app:1.4\n"
        "-    mem_limit: 1g\n"
        "+    mem_limit: 256m\n"
    )
    [hit] = findings("docker-compose.yml", patch)
    assert hit.line == 5
    assert "mem_limit lowered 1g → 256m (4× less)" in hit.message


def test_heap_flag_and_docker_run_flag_lowered() -> None:
    dockerfile = '@@ -9 +9 @@\n-ENV JAVA_OPTS="-Xmx4g -Xms1g"\n+ENV JAVA_OPTS="-Xmx1g -Xms1g"\n'
    [heap] = findings("Dockerfile", dockerfile)
    assert heap.line == 9 and "heap lowered -Xmx4g → -Xmx1g" in heap.message
    script = (
        "@@ -2 +2 @@\n"
        "-docker run -d --memory=2g --cpus=2 app:latest\n"
        "+docker run -d --memory=512m --cpus=2 app:latest\n"
    )
    [run] = findings("scripts/run.sh", script)
    assert "container limit lowered --memory=2g → --memory=512m" in run.message


def test_ecs_task_memory_in_mib_under_the_heap() -> None:
    patch = """\
@@ -1,5 +1,5 @@
 {
-  "memory": 2048,
+  "memory": 1024,
   "cpu": 512,
   "environment": [{"name": "JAVA_TOOL_OPTIONS", "value": "-Xmx1536m"}]
"""
    [hit] = findings("ecs/task-definition.json", patch)
    assert hit.line == 2
    assert "heap -Xmx1536m is at or above the container memory limit (memory 2048 → 1024)" in (
        hit.message
    )


def test_heap_raised_close_to_an_unchanged_limit() -> None:
    patch = """\
@@ -5,6 +5,6 @@
             - name: JAVA_OPTS
-              value: "-Xmx1g"
+              value: "-Xmx1800m"
           resources:
             limits:
               memory: 2Gi
"""
    [hit] = findings("k8s/api.yaml", patch)
    assert hit.line == 6
    assert "88% of the container memory limit" in hit.message


def test_raised_limit_is_not_a_finding() -> None:
    patch = (
        "@@ -10,3 +10,3 @@\n"
        "           limits:\n"
        "-            memory: 1Gi\n"
        "+            memory: 2Gi\n"
    )
    assert findings("k8s/api.yaml", patch) == []


def test_requests_count_less_than_limits() -> None:
    request = (
        "@@ -10,3 +10,3 @@\n"
        "           requests:\n"
        "-            memory: 2Gi\n"
        "+            memory: 1Gi\n"
    )
    limit = (
        "@@ -10,3 +10,3 @@\n"
        "           limits:\n"
        "-            memory: 2Gi\n"
        "+            memory: 1Gi\n"
    )
    [weak] = findings("k8s/api.yaml", request)
    [strong] = findings("k8s/api.yaml", limit)
    assert weak.strength < strong.strength


def test_thresholds_tests_and_comments_are_ignored() -> None:
    threshold = (
        "@@ -1,2 +1,2 @@\n"
        " alerts:\n"
        "-  memory_threshold_percent: 90\n"
        "+  memory_threshold_percent: 70\n"
    )
    assert findings("config/monitoring.yaml", threshold) == []
    test = "@@ -1 +1 @@\n-MEMORY_LIMIT = '1Gi'\n+MEMORY_LIMIT = '128Mi'\n"
    assert findings("tests/test_limits.py", test) == []
    comment = '@@ -1 +1 @@\n-# ENV JAVA_OPTS="-Xmx4g"\n+# ENV JAVA_OPTS="-Xmx1g"\n'
    assert findings("Dockerfile", comment) == []


def test_heap_well_below_a_lowered_limit_is_only_the_plain_cut() -> None:
    patch = """\
@@ -3,5 +3,5 @@
               value: "-Xmx512m"
           resources:
             limits:
-              memory: 4Gi
+              memory: 2Gi
"""
    [hit] = findings("k8s/api.yaml", patch)
    assert "limits.memory lowered 4Gi → 2Gi" in hit.message and "heap" not in hit.message


def test_a_sidecar_limit_is_not_compared_with_the_app_heap() -> None:
    patch = """\
@@ -10,16 +10,16 @@
         - name: app
           env:
             - name: JAVA_OPTS
               value: "-Xmx1g"
           resources:
             limits:
               memory: 2Gi
         - name: proxy
           resources:
             limits:
-              memory: 256Mi
+              memory: 128Mi
"""
    [hit] = findings("k8s/api.yaml", patch)
    assert hit.line == 20 and "limits.memory lowered 256Mi → 128Mi" in hit.message
    assert "heap" not in hit.message
