"""concurrency_model_changed: virtual threads, green threads or another worker class."""

from __future__ import annotations

from agents.root_cause.detectors import concurrency_model_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return concurrency_model_changed.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_virtual_threads_turned_on_in_spring_configuration() -> None:
    patch = """\
@@ -4,6 +4,9 @@ server:
 spring:
+  threads:
+    virtual:
+      enabled: true
   datasource:
     url: jdbc:postgresql://db:5432/ledger
"""
    [hit] = findings({"src/main/resources/application.yml": patch})
    assert "virtual threads turned on" in hit.message and "carrier" in hit.message
    assert "latency" in hit.symptoms and "connections" in hit.symptoms


def test_an_executor_of_virtual_threads_in_code() -> None:
    patch = """\
@@ -12,3 +12,3 @@ public class Fanout {
-    private final ExecutorService pool = Executors.newFixedThreadPool(64);
+    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
"""
    [hit] = findings({"src/main/java/org/quill/Fanout.java": patch})
    assert "virtual threads" in hit.message


def test_gevent_patched_in_and_a_worker_class_switched() -> None:
    green = """\
@@ -1,2 +1,4 @@
+from gevent import monkey
+monkey.patch_all()
 import app
"""
    klass = """\
@@ -3,3 +3,3 @@
 bind = "0.0.0.0:8000"
-worker_class = "sync"
+worker_class = "gevent"
"""
    assert findings({"wsgi.py": green})
    [hit] = findings({"gunicorn.conf.py": klass})
    assert "from sync to gevent" in hit.message


# --- no hits ---------------------------------------------------------------------------------


def test_virtual_threads_turned_off_or_already_on_are_not_reported() -> None:
    off = """\
@@ -4,3 +4,3 @@
-spring.threads.virtual.enabled=true
+spring.threads.virtual.enabled=false
"""
    same = """\
@@ -4,3 +4,3 @@
-spring.threads.virtual.enabled=true
+spring.threads.virtual.enabled=TRUE
"""
    assert findings({"src/main/resources/application.properties": off}) == []
    assert findings({"src/main/resources/application.properties": same}) == []


def test_a_worker_class_unchanged_or_worker_count_changed_is_not_reported() -> None:
    patch = """\
@@ -3,3 +3,3 @@
-workers = 4
+workers = 8
 worker_class = "gevent"
"""
    assert findings({"gunicorn.conf.py": patch}) == []


def test_tests_docs_comments_and_other_environments_are_not_reported() -> None:
    code = "@@ -1 +1,2 @@\n+// Executors.newVirtualThreadPerTaskExecutor() once on Java 21\n x\n"
    staging = "@@ -1 +1,2 @@\n+spring.threads.virtual.enabled=true\n x=1\n"
    assert findings({"src/main/java/org/quill/Fanout.java": code}) == []
    assert findings({"src/main/resources/application-staging.properties": staging}) == []
    assert findings({"src/test/java/org/quill/FanoutTest.java": code.replace("// ", "")}) == []
    assert findings({"docs/java21.md": staging}) == []
