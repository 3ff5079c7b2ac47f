"""scaling_bounds_changed: replicas and autoscaling bounds moved, with the direction."""

from __future__ import annotations

from agents.root_cause.detectors import scaling_bounds_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return scaling_bounds_changed.detect(change_facts("PR #1", [file], {file: patch}))


def test_deployment_replicas_cut_to_one() -> None:
    patch = """\
@@ -5,4 +5,4 @@ metadata:
 spec:
-  replicas: 6
+  replicas: 1
   selector:
"""
    [hit] = findings("deploy/web/deployment.yaml", patch)
    assert (hit.file, hit.line) == ("deploy/web/deployment.yaml", 6)
    assert "spec.replicas lowered 6 → 1" in hit.message
    assert "a single instance" in hit.message
    assert hit.strength >= 0.85 and "availability" in hit.symptoms


def test_hpa_bounds_lowered_and_target_raised() -> None:
    patch = """\
@@ -6,12 +6,12 @@
 spec:
-  minReplicas: 4
+  minReplicas: 2
-  maxReplicas: 20
+  maxReplicas: 10
   metrics:
     - type: Resource
       resource:
         name: cpu
         target:
           type: Utilization
-          averageUtilization: 60
+          averageUtilization: 90
"""
    by_line = {f.line: f for f in findings("k8s/hpa.yaml", patch)}
    assert "minReplicas lowered 4 → 2" in by_line[7].message
    assert "maxReplicas lowered 20 → 10" in by_line[8].message
    assert "a lower ceiling" in by_line[8].message
    assert by_line[8].strength < by_line[7].strength
    assert "averageUtilization raised 60 → 90" in by_line[15].message
    assert "scales out later" in by_line[15].message


def test_terraform_autoscaling_group_minimum_lowered() -> None:
    patch = """\
@@ -1,6 +1,6 @@
 resource "aws_autoscaling_group" "web" {
-  min_size         = 4
+  min_size         = 2
   max_size         = 20
   desired_capacity = 4
"""
    [hit] = findings("infra/asg.tf", patch)
    assert hit.line == 2 and "min_size lowered 4 → 2" in hit.message


def test_max_raised_with_a_per_instance_pool_reports_the_direction() -> None:
    patch = """\
@@ -1,8 +1,8 @@
 autoscaling:
   enabled: true
-  maxReplicas: 10
+  maxReplicas: 40
 database:
   pool:
     maxSize: 20
"""
    [hit] = findings("charts/api/values.yaml", patch)
    assert hit.line == 3
    assert "maxReplicas raised 10 → 40" in hit.message
    assert "connection pool (maxSize 20)" in hit.message
    assert "up to 800 connections, was 200" in hit.message
    assert "connections" in hit.symptoms


def test_autoscaling_switched_off() -> None:
    patch = (
        "@@ -1,3 +1,3 @@\n autoscaling:\n-  enabled: true\n+  enabled: false\n   minReplicas: 2\n"
    )
    [hit] = findings("charts/api/values.yaml", patch)
    assert hit.line == 2 and "turned off (true → false)" in hit.message


def test_raised_without_a_pool_is_not_a_finding() -> None:
    patch = "@@ -1,3 +1,3 @@\n autoscaling:\n-  maxReplicas: 10\n+  maxReplicas: 40\n"
    assert findings("charts/api/values.yaml", patch) == []
    replicas = "@@ -5,2 +5,2 @@\n spec:\n-  replicas: 2\n+  replicas: 6\n"
    assert findings("deploy/web/deployment.yaml", replicas) == []


def test_size_keys_outside_an_autoscaling_block() -> None:
    patch = """\
@@ -1,4 +1,4 @@
 resource "aws_elasticache_parameter_group" "sessions" {
-  max_size = 40
+  max_size = 10
 }
"""
    assert findings("infra/cache.tf", patch) == []
    upload = "@@ -1,2 +1,2 @@\n uploads:\n-  max_size: 100\n+  max_size: 10\n"
    assert findings("config/app.yaml", upload) == []


def test_tests_and_comments_are_ignored() -> None:
    test = "@@ -1,2 +1,2 @@\n spec:\n-  replicas: 6\n+  replicas: 1\n"
    assert findings("tests/fixtures/deployment.yaml", test) == []
    comment = "@@ -1,2 +1,2 @@\n spec:\n-  # replicas: 6\n+  # replicas: 1\n"
    assert findings("deploy/web/deployment.yaml", comment) == []


def test_minimum_to_zero_is_scale_to_zero_not_an_outage() -> None:
    patch = """\
@@ -3,2 +3,2 @@
       annotations:
-        autoscaling.knative.dev/minScale: "3"
+        autoscaling.knative.dev/minScale: "0"
"""
    [hit] = findings("knative/service.yaml", patch)
    assert hit.line == 4 and "minScale lowered 3 → 0" in hit.message
    assert "cold starts" in hit.message and hit.strength < 0.7
