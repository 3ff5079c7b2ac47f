"""probe_or_port_changed: probe path/port/timings, container and service ports, tag formats."""

from __future__ import annotations

from agents.root_cause.detectors import probe_or_port_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return probe_or_port_changed.detect(change_facts("PR #1", [file], {file: patch}))


DEPLOYMENT = """\
@@ -20,16 +20,16 @@ spec:
       containers:
         - name: app
           image: registry.example.com/app:1.8.2
           ports:
-            - containerPort: 8080
+            - containerPort: 8000
           readinessProbe:
             httpGet:
-              path: /healthz
+              path: /health/ready
               port: 8080
-            timeoutSeconds: 5
+            timeoutSeconds: 1
             periodSeconds: 10
"""


def test_kubernetes_probe_path_timeout_and_container_port() -> None:
    hits = findings("deploy/app/deployment.yaml", DEPLOYMENT)
    by_line = {h.line: h for h in hits}
    assert set(by_line) == {24, 27, 29}
    assert "port changed:" in by_line[24].message and "8080 → 8000" in by_line[24].message
    assert "readinessProbe path/command changed: /healthz → /health/ready" in by_line[27].message
    assert "timeoutSeconds tightened: 5 → 1" in by_line[29].message
    assert by_line[29].strength >= 0.6
    assert "availability" in by_line[27].symptoms


def test_a_charts_probes_block_names_the_probe() -> None:
    values = """\
@@ -40,9 +40,9 @@ service:
 probes:
   liveness:
     httpGet:
       path: /live
   readiness:
     httpGet:
-      path: /live
+      path: /ready/deep
-    failureThreshold: 3
+    failureThreshold: 1
"""
    hits = findings("deploy/chart/values.yaml", values)
    assert [h.message.split(" ")[0] for h in hits] == ["readiness", "readiness"]
    assert "path/command changed: /live → /ready/deep" in hits[0].message
    assert "failureThreshold tightened: 3 → 1" in hits[1].message
    unrelated = "@@ -1,3 +1,3 @@\n release:\n   readiness:\n-    owner: ops\n+    owner: sre\n"
    assert findings("deploy/chart/values.yaml", unrelated) == []


def test_image_tag_gains_a_v_prefix() -> None:
    patch = """\
@@ -1,5 +1,5 @@
 image:
   repository: registry.example.com/checkout
-  tag: "2.14.0"
+  tag: "v2.14.1"
   pullPolicy: IfNotPresent
"""
    [hit] = findings("charts/checkout/values.yaml", patch)
    assert (hit.file, hit.line) == ("charts/checkout/values.yaml", 3)
    assert "image tag format changed" in hit.message
    assert "2.14.0 (version) → v2.14.1 (v-prefixed version)" in hit.message


def test_compose_healthcheck_and_published_port() -> None:
    patch = """\
@@ -3,12 +3,12 @@ services:
   api:
     build: .
     ports:
-      - "8080:8080"
+      - "8080:9090"
     healthcheck:
-      test: ["CMD", "curl", "-f", "http://localhost:8080/healthz"]
-      interval: 30s
+      test: ["CMD", "curl", "-f", "http://localhost:9090/healthz"]
+      interval: 5s
       retries: 3
"""
    hits = findings("docker-compose.yml", patch)
    by_line = {h.line: h.message for h in hits}
    assert "8080:8080 → 8080:9090" in by_line[6]
    assert "healthcheck path/command changed" in by_line[8] and "9090/healthz" in by_line[8]
    assert "interval tightened: 30s → 5s" in by_line[9]


def test_code_health_route_and_listen_port() -> None:
    go = """\
@@ -10,6 +10,6 @@ func main() {
 \tmux := http.NewServeMux()
-\tmux.HandleFunc("/healthz", health)
+\tmux.HandleFunc("/livez", health)
-\tlog.Fatal(http.ListenAndServe(":8080", mux))
+\tlog.Fatal(http.ListenAndServe(":9000", mux))
 }
"""
    hits = findings("cmd/api/main.go", go)
    assert [h.line for h in hits] == [12, 11]
    assert "port changed: ListenAndServe :8080 → :9000" in hits[0].message
    assert "health route path changed: /healthz → /livez" in hits[1].message


def test_dockerfile_expose_and_healthcheck() -> None:
    patch = """\
@@ -8,4 +8,4 @@ COPY . .
-EXPOSE 3000
+EXPOSE 8080
-HEALTHCHECK --interval=30s CMD wget -qO- http://localhost:3000/ping || exit 1
+HEALTHCHECK --interval=30s CMD wget -qO- http://localhost:8080/ping || exit 1
 CMD ["node", "server.js"]
"""
    hits = findings("Dockerfile", patch)
    assert [h.line for h in hits] == [8, 9]
    assert "EXPOSE 3000 → 8080" in hits[0].message and "HEALTHCHECK changed" in hits[1].message


def test_probe_removed() -> None:
    patch = """\
@@ -30,10 +30,5 @@ spec:
           resources:
             limits:
               memory: 512Mi
-          livenessProbe:
-            httpGet:
-              path: /healthz
-              port: 8080
-            failureThreshold: 3
"""
    [hit] = findings("k8s/worker.yaml", patch)
    assert hit.line == 33 and hit.message == "livenessProbe removed"


# --- near misses -----------------------------------------------------------------------------


def test_same_format_image_bump_and_loosened_probe_is_weak() -> None:
    bump = """\
@@ -21,3 +21,3 @@
         - name: app
-          image: registry.example.com/app:1.8.2
+          image: registry.example.com/app:1.8.3
"""
    loosened = """\
@@ -1,4 +1,4 @@
 livenessProbe:
   httpGet:
     path: /healthz
-  initialDelaySeconds: 5
+  initialDelaySeconds: 30
"""
    assert findings("deploy/app/deployment.yaml", bump) == []
    [weak] = findings("deploy/app/probe.yaml", loosened)
    assert "loosened" in weak.message and weak.strength <= 0.3


def test_unrelated_numbers_and_a_quoting_change() -> None:
    patch = """\
@@ -1,5 +1,5 @@
 server:
-  port: 8080
+  port: "8080"
-  max_body_kb: 512
+  max_body_kb: 1024
 database:
-  pool_size: 10
+  pool_size: 20
"""
    assert findings("config/app.yaml", patch) == []


def test_a_client_side_port_is_weaker_than_a_container_port() -> None:
    client = "@@ -1,3 +1,3 @@\n redis:\n   host: kv.example.test\n-  port: 6379\n+  port: 6380\n"
    server = "@@ -1,2 +1,2 @@\n server:\n-  port: 8080\n+  port: 8081\n"
    [weak] = findings("config/app.yaml", client)
    [strong] = findings("config/app.yaml", server)
    assert weak.line == 3 and "6379 → 6380" in weak.message
    assert weak.strength < strong.strength


def test_tests_docs_and_comments_are_ignored() -> None:
    patch = "@@ -1,2 +1,2 @@\n-  containerPort: 8080\n+  containerPort: 8000\n"
    comment = "@@ -1 +1 @@\n-# readinessProbe path: /healthz\n+# readinessProbe path: /ready\n"
    assert findings("tests/fixtures/deployment.yaml", patch) == []
    assert findings("docs/deploy.md", patch) == []
    assert findings("deploy/app.yaml", comment) == []
