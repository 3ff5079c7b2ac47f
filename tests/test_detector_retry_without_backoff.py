"""retry_without_backoff: retries added or raised with nothing to space the attempts out."""

from __future__ import annotations

from agents.root_cause.detectors import retry_without_backoff
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return retry_without_backoff.detect(change_facts("PR #1", [file], {file: patch}))


PYTHON_LOOP = """\
@@ -10,2 +10,7 @@ def fetch(url):
-    return requests.get(url, timeout=2)
+    for attempt in range(5):
+        try:
+            return requests.get(url, timeout=2)
+        except requests.RequestException:
+            continue
+    raise RuntimeError("gave up")
"""


def test_python_retry_loop_without_sleep() -> None:
    [hit] = findings("app/client.py", PYTHON_LOOP)
    assert (hit.file, hit.line) == ("app/client.py", 10)
    assert "a retry loop with no sleep or backoff" in hit.message
    assert "for attempt in range(5):" in hit.message
    assert "throttling" in hit.symptoms and "connections" in hit.symptoms


def test_go_typescript_and_java_loops() -> None:
    go = """\
@@ -30,2 +30,9 @@ func (c *Client) Send(req *http.Request) error {
+\tvar err error
+\tfor i := 0; i < maxRetries; i++ {
+\t\t_, err = c.http.Do(req)
+\t\tif err == nil {
+\t\t\treturn nil
+\t\t}
+\t}
+\treturn err
"""
    [hit] = findings("internal/client/send.go", go)
    assert hit.line == 31
    ts = """\
@@ -10,0 +10,7 @@
+  for (let attempt = 0; attempt < 5; attempt++) {
+    try {
+      return await fetch(url);
+    } catch (e) {
+      lastError = e;
+    }
+  }
"""
    [loop] = findings("src/http/fetch.ts", ts)
    assert loop.line == 10
    java = """\
@@ -40,0 +40,7 @@
+    while (true) {
+      try {
+        return client.send(request);
+      } catch (IOException e) {
+        attempts++;
+      }
+    }
"""
    [endless] = findings("src/main/java/com/example/Sender.java", java)
    assert endless.line == 40 and "an endless retry loop" in endless.message
    assert endless.strength > loop.strength


def test_ruby_retry_without_sleep_and_a_sleep_removed() -> None:
    added = """\
@@ -1,4 +1,7 @@
 def sync
   attempts = 0
   begin
     api.call
+  rescue Net::ReadTimeout
+    attempts += 1
+    retry if attempts < 5
"""
    [hit] = findings("app/services/sync.rb", added)
    assert hit.line == 7 and "`retry` in a rescue" in hit.message
    removed = """\
@@ -5,5 +5,4 @@
   rescue Net::ReadTimeout
-    sleep(2**attempts)
     attempts += 1
     retry if attempts < 5
"""
    [gone] = findings("app/services/sync.rb", removed)
    assert gone.line == 6 and "the wait between retries removed: sleep(2**attempts)" in gone.message


def test_retry_count_raised_with_the_delay_at_zero_or_absent() -> None:
    zero = "@@ -1,3 +1,3 @@\n http:\n-  max_retries: 2\n+  max_retries: 10\n   retry_delay: 0\n"
    [hit] = findings("config/http.yaml", zero)
    assert hit.line == 2
    assert "http.max_retries raised 2 → 10 with the delay between attempts at 0" in hit.message
    absent = "@@ -1,2 +1,2 @@\n http:\n-  max_retries: 2\n+  max_retries: 10\n"
    [weak] = findings("config/http.yaml", absent)
    assert "no backoff or delay" in weak.message and weak.strength < hit.strength
    delay = "@@ -1,3 +1,3 @@\n http:\n   max_retries: 5\n-  retry_delay: 1s\n+  retry_delay: 0\n"
    [cut] = findings("config/http.yaml", delay)
    assert cut.line == 3 and "retry_delay set 1s → 0" in cut.message


def test_helpers_whose_default_is_no_delay() -> None:
    urllib3 = "@@ -3,0 +3 @@\n+retry = Retry(total=5, status_forcelist=[502, 503])\n"
    [hit] = findings("app/session.py", urllib3)
    assert hit.line == 3 and "urllib3 Retry without backoff_factor" in hit.message
    tenacity = "@@ -1,0 +1 @@\n+@retry(stop=stop_after_attempt(5))\n"
    assert "@retry without a wait" in findings("app/tasks.py", tenacity)[0].message
    axios = "@@ -1,0 +1 @@\n+axiosRetry(client, { retries: 5 });\n"
    assert "axiosRetry without retryDelay" in findings("src/http.ts", axios)[0].message
    faraday = (
        "@@ -1,2 +1,3 @@\n"
        " Faraday.new(url) do |f|\n"
        "+  f.request :retry, max: 5\n"
        "   f.adapter :net_http\n"
    )
    [ruby] = findings("app/clients/api.rb", faraday)
    assert ruby.line == 2 and "Faraday retry middleware without interval" in ruby.message
    polly = "@@ -1,0 +1 @@\n+var policy = Policy.Handle<HttpRequestException>().RetryAsync(5);\n"
    assert "Polly retry" in findings("src/Resilience.cs", polly)[0].message


def test_loops_and_helpers_that_wait_are_not_findings() -> None:
    waits = PYTHON_LOOP.replace("continue", "time.sleep(2 ** attempt)")
    assert findings("app/client.py", waits) == []
    urllib3 = "@@ -3,0 +3 @@\n+retry = Retry(total=5, backoff_factor=0.5)\n"
    assert findings("app/session.py", urllib3) == []
    backoff = (
        "@@ -1,3 +1,3 @@\n http:\n-  max_retries: 2\n+  max_retries: 10\n   retry_backoff: 500ms\n"
    )
    assert findings("config/http.yaml", backoff) == []


def test_lowered_retries_and_self_backing_off_libraries_are_not_findings() -> None:
    lowered = "@@ -1,2 +1,2 @@\n http:\n-  max_retries: 10\n+  max_retries: 2\n"
    assert findings("config/http.yaml", lowered) == []
    job = "@@ -1,2 +1,2 @@\n spec:\n-  backoffLimit: 2\n+  backoffLimit: 10\n"
    assert findings("k8s/migrate-job.yaml", job) == []
    sidekiq = "@@ -1 +1 @@\n-:retry: 5\n+:retry: 25\n"
    assert findings("config/sidekiq.yml", sidekiq) == []


def test_spring_retry_template_without_a_back_off() -> None:
    java = """\
@@ -20,0 +20,3 @@
+    RetryTemplate template = RetryTemplate.builder()
+        .maxAttempts(5)
+        .build();
"""
    [hit] = findings("src/main/java/com/example/RetryConfig.java", java)
    assert hit.line == 20 and "RetryTemplate without a back-off policy" in hit.message
    waits = java.replace(".maxAttempts(5)", ".maxAttempts(5).exponentialBackoff(100, 2, 5000)")
    assert findings("src/main/java/com/example/RetryConfig.java", waits) == []


def test_re_asking_after_bad_input_and_a_loop_over_hosts_are_not_retry_storms() -> None:
    parse = """\
@@ -1,0 +1,6 @@
+for attempt in range(3):
+    raw = ask(prompt)
+    try:
+        return json.loads(raw)
+    except json.JSONDecodeError:
+        prompt += " Answer in JSON."
"""
    assert findings("app/answers.py", parse) == []
    hosts = """\
@@ -1,0 +1,5 @@
+for attempt in candidate_hosts(config):
+    try:
+        return connect(attempt)
+    except OSError:
+        continue
"""
    assert findings("app/connect.py", hosts) == []
    two = "@@ -1,2 +1,2 @@\n http:\n-  max_attempts: 1\n+  max_attempts: 2\n"
    assert findings("config/http.yaml", two) == []  # one retry at most


def test_tests_and_comments_are_ignored() -> None:
    assert findings("tests/test_client.py", PYTHON_LOOP) == []
    comment = "@@ -1,0 +1 @@\n+# retry = Retry(total=5)\n"
    assert findings("app/session.py", comment) == []
