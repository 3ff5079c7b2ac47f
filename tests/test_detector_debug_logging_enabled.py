"""debug_logging_enabled: DEBUG/TRACE levels or full sampling in production configuration."""

from __future__ import annotations

from agents.root_cause.detectors import debug_logging_enabled
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return debug_logging_enabled.detect(change_facts("PR #1", [file], {file: patch}))


def test_env_log_level_set_to_debug() -> None:
    patch = "@@ -2,3 +2,3 @@\n PORT=8080\n-LOG_LEVEL=info\n+LOG_LEVEL=debug\n"
    [hit] = findings(".env.production", patch)
    assert (hit.file, hit.line) == (".env.production", 3)
    assert "root logger set to DEBUG (LOG_LEVEL: info → debug)" in hit.message
    assert "disk" in hit.symptoms


def test_spring_yaml_root_and_a_chatty_package() -> None:
    patch = """\
@@ -1,6 +1,6 @@
 logging:
   level:
-    root: INFO
+    root: DEBUG
-    org.hibernate.SQL: INFO
+    org.hibernate.SQL: TRACE
"""
    by_line = {f.line: f for f in findings("src/main/resources/application.yml", patch)}
    assert "logging.level.root: INFO → DEBUG" in by_line[3].message
    assert "a chatty logger set to TRACE" in by_line[4].message


def test_logback_xml_and_code_calls() -> None:
    xml = '@@ -7 +7 @@\n-  <root level="INFO">\n+  <root level="DEBUG">\n'
    [root] = findings("src/main/resources/logback.xml", xml)
    assert root.line == 7 and "root logger set to DEBUG (root: INFO → DEBUG)" in root.message
    go = "@@ -12 +12 @@\n-\tlog.SetLevel(logrus.InfoLevel)\n+\tlog.SetLevel(logrus.DebugLevel)\n"
    [hit] = findings("cmd/server/main.go", go)
    assert hit.line == 12 and "logrus.InfoLevel → logrus.DebugLevel" in hit.message
    ts = (
        "@@ -1 +1 @@\n"
        "-export const logger = pino({ level: 'info' });\n"
        "+export const logger = pino({ level: 'trace' });\n"
    )
    [trace] = findings("src/logger.ts", ts)
    assert "set to TRACE" in trace.message and trace.strength > root.strength


def test_rails_production_and_a_worker_command_line() -> None:
    rails = "@@ -40 +40 @@\n-  config.log_level = :info\n+  config.log_level = :debug\n"
    [hit] = findings("config/environments/production.rb", rails)
    assert hit.line == 40 and "config.log_level: :info → :debug" in hit.message
    procfile = (
        "@@ -2 +2 @@\n"
        "-worker: celery -A app worker --loglevel=info\n"
        "+worker: celery -A app worker --loglevel=debug\n"
    )
    [worker] = findings("Procfile", procfile)
    assert worker.line == 2 and "--loglevel: info → debug" in worker.message


def test_trace_sampling_raised_to_everything() -> None:
    sentry = """\
@@ -1,4 +1,4 @@
 sentry_sdk.init(
     dsn=SENTRY_DSN,
-    traces_sample_rate=0.05,
+    traces_sample_rate=1.0,
"""
    [hit] = findings("app/observability.py", sentry)
    assert hit.line == 3
    assert "sampling set to everything (traces_sample_rate: 0.05 → 1.0)" in hit.message
    otel = (
        "@@ -1 +1 @@\n"
        "-OTEL_TRACES_SAMPLER=parentbased_traceidratio\n"
        "+OTEL_TRACES_SAMPLER=always_on\n"
    )
    [always] = findings("deploy/otel.env", otel)
    assert "always_on" in always.message


def test_dev_profiles_are_not_production() -> None:
    patch = "@@ -1 +1 @@\n-LOG_LEVEL=info\n+LOG_LEVEL=debug\n"
    assert findings(".env.development", patch) == []
    assert findings("config/environments/development.rb", patch) == []
    profile = """\
@@ -1,8 +1,8 @@
 ---
 spring:
   config:
     activate:
       on-profile: local
 logging:
   level:
-    root: INFO
+    root: DEBUG
"""
    assert findings("src/main/resources/application.yml", profile) == []
    section = "@@ -1,3 +1,3 @@\n dev:\n   logging:\n-    level: info\n+    level: debug\n"
    assert findings("config/app.yaml", section) == []


def test_level_raised_back_to_info_is_not_a_finding() -> None:
    patch = (
        "@@ -1 +1 @@\n"
        "-logging.getLogger().setLevel(logging.DEBUG)\n"
        "+logging.getLogger().setLevel(logging.INFO)\n"
    )
    assert findings("app/logs.py", patch) == []
    sampling = "@@ -1 +1 @@\n-    traces_sample_rate=1.0,\n+    traces_sample_rate=0.1,\n"
    assert findings("app/observability.py", sampling) == []


def test_tests_and_comments_are_ignored() -> None:
    patch = "@@ -1 +1 @@\n-LOG_LEVEL = 'info'\n+LOG_LEVEL = 'debug'\n"
    assert findings("tests/conftest.py", patch) == []
    comment = "@@ -1 +1 @@\n-# LOG_LEVEL = 'info'\n+# LOG_LEVEL = 'debug'\n"
    assert findings("app/config.py", comment) == []


def test_a_rate_of_another_kind_is_not_sampling_everything() -> None:
    patch = "@@ -1,2 +1,2 @@\n metrics:\n-  sampling_interval: 60\n+  sampling_interval: 1\n"
    assert findings("config/metrics.yaml", patch) == []


def test_node_debug_namespaces_and_rust_log() -> None:
    node = "@@ -1,2 +1,2 @@\n NODE_ENV=production\n-DEBUG=\n+DEBUG=*\n"
    [hit] = findings("deploy/api.env", node)
    assert hit.line == 2 and "every debug namespace" in hit.message
    rust = "@@ -3 +3 @@\n-RUST_LOG=info\n+RUST_LOG=info,hyper=trace\n"
    [trace] = findings("deploy/proxy.env", rust)
    assert trace.line == 3 and "set to TRACE" in trace.message


def test_names_that_only_look_like_levels_are_not_findings() -> None:
    attribute = "@@ -1,0 +1 @@\n+        self.logger.trace = trace\n"
    assert findings("app/middleware.py", attribute) == []
    imported = (
        "@@ -1,0 +1 @@\n+from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON\n"
    )
    assert findings("app/telemetry.py", imported) == []
    samples = "@@ -1,2 +1,2 @@\n model:\n-  num_samples: 4\n+  num_samples: 1\n"
    assert findings("config/model.yaml", samples) == []
