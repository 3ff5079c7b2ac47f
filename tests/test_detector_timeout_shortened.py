"""timeout_shortened: a timeout setting or literal lowered, strength by the ratio."""

from __future__ import annotations

from agents.root_cause.detectors import timeout_shortened
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return timeout_shortened.detect(change_facts("PR #1", [file], {file: patch}))


def test_properties_read_timeout_cut_from_seconds_to_milliseconds() -> None:
    patch = """\
@@ -3,3 +3,3 @@
 http.client.connect-timeout=2s
-http.client.read-timeout=30s
+http.client.read-timeout=500ms
 http.client.max-connections=100
"""
    [hit] = findings("config/application.properties", patch)
    assert (hit.file, hit.line) == ("config/application.properties", 4)
    assert "http.client.read-timeout lowered 30s → 500ms" in hit.message
    assert "60× shorter" in hit.message
    assert hit.strength >= 0.8
    assert "timeouts" in hit.symptoms


def test_go_context_deadline_literal_cut() -> None:
    patch = """\
@@ -20,4 +20,4 @@ func (c *Client) Get(ctx context.Context, id string) (*Item, error) {
-\tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
+\tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
 \tdefer cancel()
 \treturn c.fetch(ctx, id)
"""
    [hit] = findings("internal/client/client.go", patch)
    assert hit.line == 20
    assert "WithTimeout lowered 5s → 500ms" in hit.message
    assert "10× shorter" in hit.message


def test_java_duration_changing_unit_and_python_kwarg() -> None:
    java = """\
@@ -14,3 +14,3 @@ public HttpClient client() {
         .connectTimeout(Duration.ofSeconds(10))
-        .readTimeout(Duration.ofSeconds(30))
+        .readTimeout(Duration.ofMillis(800))
"""
    [hit] = findings("src/main/java/com/example/HttpConfig.java", java)
    assert hit.line == 15
    assert "readTimeout lowered 30s → 800ms" in hit.message
    python = """\
@@ -8,2 +8,2 @@ def load(url):
-    return requests.get(url, timeout=30)
+    return requests.get(url, timeout=3)
"""
    [hit] = findings("app/loader.py", python)
    assert hit.line == 8 and "timeout lowered 30 → 3" in hit.message


def test_sql_statement_timeout_and_js_option_object() -> None:
    sql_patch = "@@ -1 +1 @@\n-SET statement_timeout TO '60s';\n+SET statement_timeout TO '5s';\n"
    [sql] = findings("db/session.sql", sql_patch)
    assert sql.line == 1 and "statement_timeout lowered 60s → 5s" in sql.message
    ts = (
        "@@ -5 +5 @@\n"
        "-  const res = await axios.get(url, { timeout: 10000 });\n"
        "+  const res = await axios.get(url, { timeout: 2000 });\n"
    )
    [hit] = findings("src/api/items.ts", ts)
    assert hit.line == 5 and "timeout lowered 10000 → 2000" in hit.message


def test_strength_follows_the_ratio() -> None:
    def cut(before: str, after: str) -> float:
        patch = f"@@ -1,2 +1,2 @@\n upstream:\n-  timeout: {before}\n+  timeout: {after}\n"
        [hit] = findings("config/gateway.yaml", patch)
        return hit.strength

    assert cut("30s", "3s") > cut("30s", "15s") > cut("30s", "25s")


def test_probe_timeout_adds_crash_and_idle_timeout_counts_less() -> None:
    probe = """\
@@ -30,4 +30,4 @@
           livenessProbe:
             httpGet: {path: /healthz, port: 8080}
-            timeoutSeconds: 10
+            timeoutSeconds: 1
"""
    [hit] = findings("deploy/app/deployment.yaml", probe)
    assert hit.line == 32 and "crash" in hit.symptoms
    idle = "@@ -1,2 +1,2 @@\n server:\n-  idle_timeout: 120s\n+  idle_timeout: 12s\n"
    [weak] = findings("config/server.yaml", idle)
    assert weak.strength < hit.strength


def test_raised_timeout_is_not_a_finding() -> None:
    patch = "@@ -1,2 +1,2 @@\n upstream:\n-  timeout: 5s\n+  timeout: 30s\n"
    assert findings("config/gateway.yaml", patch) == []


def test_timeout_set_to_zero_means_no_limit_not_shorter() -> None:
    patch = "@@ -1,2 +1,2 @@\n db:\n-  query_timeout: 30s\n+  query_timeout: 0\n"
    assert findings("config/db.yaml", patch) == []


def test_test_files_and_comments_are_ignored() -> None:
    test_patch = (
        "@@ -1 +1 @@\n-    r = requests.get(u, timeout=30)\n+    r = requests.get(u, timeout=1)\n"
    )
    assert findings("tests/test_loader.py", test_patch) == []
    comment = "@@ -1 +1 @@\n-# requests.get(u, timeout=30)\n+# requests.get(u, timeout=1)\n"
    assert findings("app/loader.py", comment) == []


def test_cache_timeout_is_left_to_the_cache_detector() -> None:
    patch = """\
@@ -1,5 +1,5 @@
 CACHES = {
     "default": {
         "BACKEND": "django.core.cache.backends.redis.RedisCache",
-        "TIMEOUT": 300,
+        "TIMEOUT": 30,
"""
    assert findings("app/settings.py", patch) == []


def test_another_number_lowered_on_a_timeout_line_is_not_the_timeout() -> None:
    patch = (
        "@@ -1 +1 @@\n"
        "-client = Client(retries=5, timeout=10)\n"
        "+client = Client(retries=3, timeout=10)\n"
    )
    assert findings("app/client.py", patch) == []
    go = (
        "@@ -1 +1 @@\n"
        "-\tc := &http.Client{Timeout: 10 * time.Second, Jar: newJar(50)}\n"
        "+\tc := &http.Client{Timeout: 10 * time.Second, Jar: newJar(5)}\n"
    )
    assert findings("pkg/http.go", go) == []


def test_go_struct_literal_on_one_line() -> None:
    go = (
        "@@ -7 +7 @@\n"
        "-\tc := &http.Client{Timeout: 30 * time.Second}\n"
        "+\tc := &http.Client{Timeout: 3 * time.Second}\n"
    )
    [hit] = findings("pkg/http.go", go)
    assert hit.line == 7 and "Timeout lowered 30s → 3s" in hit.message
