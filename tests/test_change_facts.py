"""What a change does, read from its patches on inputs written for the test: its kind, the
settings it changes before → after in many formats, dependency versions, schema statements."""

from __future__ import annotations

import pytest

from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.diff import parse
from agents.root_cause.facts.settings import family, number, settings
from agents.root_cause.facts.types import ChangeFacts
from agents.root_cause.kinds import change_kind, file_kind


def facts(file: str, patch: str) -> ChangeFacts:
    return change_facts("PR #1", [file], {file: patch})


# --- kinds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("src/billing/invoice.py", "code"),
        ("internal/queue/consumer.go", "code"),
        ("config/application-prod.yml", "config"),
        (".env.production", "config"),
        ("flags/features.yaml", "feature_flag"),
        ("requirements.txt", "dependency"),
        ("go.sum", "dependency"),
        ("package-lock.json", "dependency"),
        ("db/migrate/20260101000000_add_index.rb", "schema"),
        ("migrations/0042_auto.py", "schema"),
        ("k8s/worker/deployment.yaml", "infrastructure"),
        ("charts/api/values-prod.yaml", "infrastructure"),
        ("terraform/rds.tf", "infrastructure"),
        ("deploy/cron/nightly-export.yaml", "scheduled_job"),
        ("docs/runbook.md", "docs_tests"),
        ("tests/test_invoice.py", "docs_tests"),
        ("src/cart/totals.test.ts", "docs_tests"),
        (".github/workflows/ci.yml", "docs_tests"),
    ],
)
def test_file_kinds(path: str, kind: str) -> None:
    assert file_kind(path) == kind


def test_a_changes_kind_is_where_most_lines_changed_and_tests_count_only_alone() -> None:
    patches = {"src/a.py": "@@ -1,1 +1,3 @@\n-x\n+y\n+z\n", "tests/test_a.py": "@@ -1 +1,9 @@\n"
               + "".join(f"+t{i}\n" for i in range(9))}  # fmt: skip
    assert change_kind(list(patches), patches) == "code"
    assert change_kind(["tests/test_a.py"], {}) == "docs_tests"
    bump = {"requirements.txt": "@@ -1 +1 @@\n-a==1\n+a==2\n", "src/b.py": "@@ -1 +1 @@\n-x\n+y\n"}
    assert change_kind(list(bump), bump) in ("dependency", "code")


# --- settings before → after -----------------------------------------------------------------


def test_nested_yaml_settings_carry_their_path_family_and_direction() -> None:
    patch = (
        "@@ -30,8 +30,8 @@ spec:\n"
        "       containers:\n"
        "         - name: web\n"
        "           resources:\n"
        "             limits:\n"
        "-              memory: 2Gi\n"
        "+              memory: 1280Mi\n"
        '               cpu: "2"\n'
    )
    [s] = settings("k8s/web.yaml", parse(patch))
    assert (s.key, s.before, s.after) == ("containers.resources.limits.memory", "2Gi", "1280Mi")
    assert (s.family, s.direction, s.line) == ("memory", "lowered", 34)


@pytest.mark.parametrize(
    ("file", "patch", "key", "family", "direction"),
    [
        (".env", "@@ -3 +3 @@\n-UPSTREAM_TIMEOUT=4s\n+UPSTREAM_TIMEOUT=1500ms\n",
         "UPSTREAM_TIMEOUT", "timeout", "lowered"),
        ("app.properties", "@@ -1 +1 @@\n-db.pool.max-size=40\n+db.pool.max-size=10\n",
         "db.pool.max-size", "pool", "lowered"),
        ("client.go", "@@ -9 +9 @@\n-\t\tTimeout: 10 * time.Second,\n"
         "+\t\tTimeout: 2 * time.Second,\n",
         "Timeout", "timeout", "lowered"),
        ("settings.toml", "@@ -2 +2 @@\n-max_retries = 2\n+max_retries = 8\n",
         "max_retries", "retry", "raised"),
        ("config.json", '@@ -4 +4 @@\n-  "cacheTtlSeconds": 300,\n+  "cacheTtlSeconds": 5,\n',
         "cacheTtlSeconds", "ttl", "lowered"),
        ("hpa.yaml", "@@ -6 +6 @@\n-  maxReplicas: 10\n+  maxReplicas: 24\n",
         "maxReplicas", "autoscaling", "raised"),
        ("logging.yaml", "@@ -2 +2 @@\n-  level: INFO\n+  level: DEBUG\n",
         "level", "log_level", "changed"),
        ("Worker.kt", "@@ -5 +5 @@\n-    val workerThreads: Int = 16\n"
         "+    val workerThreads: Int = 4\n",
         "workerThreads", "workers", "lowered"),
        ("client.py", "@@ -7 +7 @@\n-    r = session.get(url, timeout=30)\n"
         "+    r = session.get(url, timeout=3)\n",
         "timeout", "timeout", "lowered"),
        ("ingress.yaml", "@@ -3 +3 @@\n-    lb.example.io/attributes: idle_timeout.seconds=60,"
         "http2.enabled=true\n+    lb.example.io/attributes: idle_timeout.seconds=900,"
         "http2.enabled=true\n",
         "attributes.idle_timeout.seconds", "timeout", "raised"),
        ("ingress.yaml", '@@ -3 +3 @@\n-    proxy.example.io/read-timeout: "60"\n'
         '+    proxy.example.io/read-timeout: "5"\n',
         "proxy.example.io/read-timeout", "timeout", "lowered"),
        ("app.env", "@@ -1 +1 @@\n-POOL_OPTS: maxconn=50;wait=5\n+POOL_OPTS: maxconn=5;wait=5\n",
         "POOL_OPTS.maxconn", "pool", "lowered"),
    ],
)  # fmt: skip
def test_settings_in_many_formats(
    file: str, patch: str, key: str, family: str, direction: str
) -> None:
    found = [s for s in settings(file, parse(patch)) if s.key.endswith(key)]
    assert found, settings(file, parse(patch))
    assert (found[0].family, found[0].direction) == (family, direction)


def test_unchanged_values_comments_and_plain_code_are_no_settings() -> None:
    same = "@@ -1,2 +1,2 @@\n-timeout: 30s  # old comment\n+timeout: 30s\n"
    assert settings("a.yaml", parse(same)) == []
    comment = "@@ -1 +1 @@\n-# timeout = 5\n+# timeout = 50\n"
    assert settings("a.py", parse(comment)) == []
    code = "@@ -1,2 +1,2 @@\n-    for item in items:\n+    for row in rows:\n"
    assert settings("a.py", parse(code)) == []
    same_pair = "@@ -1 +1 @@\n-attrs: a.timeout=60,b=1\n+attrs: a.timeout=60,b=2\n"
    assert [s.key for s in settings("a.yaml", parse(same_pair))] == ["attrs.b"]
    url = "@@ -1 +1 @@\n-  url: http://a.example/x?q=1\n+  url: http://b.example/x?q=1\n"
    assert [s.key for s in settings("a.yaml", parse(url))] == ["url"]


def test_a_rollouts_surge_is_how_many_pods_are_replaced_not_a_flags_rollout() -> None:
    patch = (
        "@@ -3,4 +3,4 @@\n rollout:\n-  maxSurge: 1\n+  maxSurge: 3\n"
        "@@ -20,3 +20,3 @@\n flags:\n   search:\n-    rollout: 5\n+    rollout: 20\n"
    )
    surge, flag = change_facts("PR #1", ["values.yaml"], {"values.yaml": patch}).settings
    assert (surge.key, surge.family) == ("rollout.maxSurge", "replicas")
    assert (flag.key, flag.family) == ("flags.search.rollout", "flag")


def test_an_api_description_sets_nothing() -> None:
    spec = ("@@ -310,3 +310,7 @@ components:\n     Problem:\n"
            "+      properties:\n+        retryAfterSeconds:\n+          type: integer\n"
            "+          maximum: 3600\n")  # fmt: skip
    for file in ("openapi/orders.yaml", "api/openapi.json", "swagger.yml", "specs/asyncapi.yaml"):
        assert change_facts("PR #1", [file], {file: spec}).settings == ()
    served = "@@ -1,2 +1,2 @@\n server:\n-  maxLength: 32\n+  maxLength: 64\n"
    assert change_facts("PR #2", ["config/app.yaml"], {"config/app.yaml": served}).settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30s", 30), ("1500ms", 1.5), ("5m", 300), ("PT2M", 120), ("2 * time.Minute", 120),
     ("512Mi", 512 * 1024**2), ("2G", 2e9), ("500m", 30000), ("1_000", 1000), ("abc", None)],
)  # fmt: skip
def test_numbers_after_units(value: str, expected: float | None) -> None:
    assert number(value) == expected


def test_millicores_for_cpu_settings() -> None:
    assert number("500m", "cpu") == 0.5 and number("2", "cpu") == 2


def test_families_from_the_key_then_the_keys_above_it() -> None:
    assert family(["readinessProbe", "httpGet", "path"]) == "probe"
    assert family(["spring", "datasource", "hikari", "maximum-pool-size"]) == "pool"
    assert family(["server", "port"]) == "other"
    assert family(["spring", "kafka", "consumer", "max-poll-records"]) == "batch"
    assert family(["consumer", "poll-timeout"]) == "timeout"
    assert family(["consumer", "group-id"]) == "other"
    assert family(["grpc", "http2_keepalive_interval_secs"]) == "keepalive"
    assert family(["server", "keepAliveTimeout"]) == "keepalive"


def test_a_breakers_keys_are_the_breaker_family_named_instances_included() -> None:
    """A circuit breaker's or a mesh's outlier detection's thresholds, windows and open
    durations; its named `instances` are not replicas, its limiter's timeout is a timeout."""
    breaker = [
        ["resilience4j", "circuitbreaker", "instances", "inventory", "failure-rate-threshold"],
        ["circuitbreaker", "instances", "inventory", "slow-call-duration-threshold"],
        [
            "circuitbreaker",
            "instances",
            "inventory",
            "permitted-number-of-calls-in-half-open-state",
        ],
        ["circuitbreaker", "configs", "default", "minimumNumberOfCalls"],
        ["trafficPolicy", "outlierDetection", "consecutive5xxErrors"],
        ["trafficPolicy", "outlierDetection", "baseEjectionTime"],
        ["breaker", "errorThresholdPercentage"],
    ]
    for path in breaker:
        assert family(path) == "breaker", path
    assert family(["timelimiter", "instances", "inventory", "timeout-duration"]) == "timeout"
    assert family(["deployment", "instances"]) == "replicas"
    assert family(["http", "client", "max-connections"]) == "pool"


def test_the_fields_of_a_log_or_metric_call_are_no_settings() -> None:
    """`key=value` arguments of a call that logs, traces or counts are a record's fields."""
    for line in ('info!(attempt = 2, backoff_ms = backoff.as_millis() as u64, "retrying");',
                 '    log.warning("retrying", delay=5, attempt=2)',
                 '    logger.info("pool", size=40)',
                 '    metrics::counter!("retries", kind = "idv").increment(1);'):  # fmt: skip
        patch = f"@@ -1 +1,2 @@\n x = 1\n+{line}\n"
        assert settings("a.rs", parse(patch)) == [], line
    call = "@@ -1 +1 @@\n-    r = get(url, timeout=30)\n+    r = get(url, timeout=3)\n"
    assert [s.key for s in settings("a.py", parse(call))] == ["timeout"]


# --- dependencies and schema statements ------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "patch", "name", "before", "after"),
    [
        ("requirements.txt", "@@ -2 +2 @@\n-urllib3==1.26.18\n+urllib3==2.2.1\n",
         "urllib3", "==1.26.18", "==2.2.1"),
        ("go.mod", "@@ -5 +5 @@\n-\tgithub.com/jackc/pgx/v5 v5.5.1\n"
         "+\tgithub.com/jackc/pgx/v5 v5.6.0\n",
         "github.com/jackc/pgx", "v5.5.1", "v5.6.0"),
        ("go.mod", "@@ -5 +5 @@\n-\tgithub.com/jackc/pgx/v4 v4.18.3\n"
         "+\tgithub.com/jackc/pgx/v5 v5.7.4\n",
         "github.com/jackc/pgx", "v4.18.3", "v5.7.4"),  # a new major version is a new path
        ("go.mod", "@@ -5 +5 @@\n-\tgopkg.in/yaml.v2 v2.4.0\n+\tgopkg.in/yaml.v3 v3.0.1\n",
         "gopkg.in/yaml.v2", "v2.4.0", None),  # gopkg.in's .vN is the package's name
        ("Gemfile.lock", "@@ -40 +40 @@\n-    nokogiri (1.15.5)\n+    nokogiri (1.16.2)\n",
         "nokogiri", "1.15.5", "1.16.2"),
        ("build.gradle", "@@ -9 +9 @@\n-    implementation 'com.squareup.okhttp3:okhttp:4.11.0'\n"
         "+    implementation 'com.squareup.okhttp3:okhttp:4.12.0'\n",
         "com.squareup.okhttp3:okhttp", "4.11.0", "4.12.0"),
        ("Dockerfile", "@@ -1 +1 @@\n-FROM node:18-alpine\n+FROM node:22-alpine\n",
         "node", "18-alpine", "22-alpine"),
    ],
)  # fmt: skip
def test_dependency_versions_before_and_after(
    file: str, patch: str, name: str, before: str, after: str | None
) -> None:
    dep = facts(file, patch).dependencies[0]
    assert (dep.name, dep.before, dep.after) == (name, before, after)


def test_schema_statements_in_migrations_and_added_sql() -> None:
    rails = facts("db/migrate/20260101_add_state.rb", (
        "@@ -0,0 +1,5 @@\n+class AddState < ActiveRecord::Migration[7.1]\n+  def change\n"
        "+    add_index :orders, :state\n+  end\n+end\n"))  # fmt: skip
    assert [s.text for s in rails.statements] == ["add_index :orders, :state"]
    sql = facts(
        "db/V12__idx.sql", "@@ -0,0 +1 @@\n+CREATE INDEX idx_orders_state ON orders (state);\n"
    )
    assert sql.statements and sql.kind == "schema"


def test_no_schema_statements_in_code_tests_or_removed_lines() -> None:
    code = facts("src/report.py", "@@ -1 +1 @@\n-rows = run(q)\n+rows = run(q, limit=10)\n")
    assert code.statements == ()
    test = facts("tests/test_m.py", "@@ -0,0 +1 @@\n+CREATE INDEX x ON t (c);\n")
    assert test.statements == ()
    dropped = facts("db/V13__x.sql", "@@ -1 +0,0 @@\n-CREATE INDEX x ON t (c);\n")
    assert dropped.statements == ()


def test_lock_files_give_each_package_its_own_version() -> None:
    npm = facts("package-lock.json", (
        '@@ -288,8 +288,8 @@\n     },\n     "node_modules/@acme/http-core": {\n'
        '-      "version": "2.1.0",\n-      "resolved": "https://registry.example/h-2.1.0.tgz",\n'
        '+      "version": "2.4.1",\n+      "resolved": "https://registry.example/h-2.4.1.tgz",\n'
        '       "license": "MIT",\n'
        '@@ -900,7 +900,7 @@\n     "node_modules/left-pad": {\n'
        '-      "version": "1.3.0",\n+      "version": "1.3.1",\n'))  # fmt: skip
    assert [(d.name, d.before, d.after) for d in npm.dependencies] == [
        ("@acme/http-core", "2.1.0", "2.4.1"), ("left-pad", "1.3.0", "1.3.1")]  # fmt: skip
    poetry = facts("poetry.lock", (
        '@@ -10,7 +10,7 @@\n [[package]]\n name = "charset-normalizer"\n'
        '-version = "3.3.2"\n+version = "3.4.0"\n description = "..."\n'))  # fmt: skip
    assert [(d.name, d.after) for d in poetry.dependencies] == [("charset-normalizer", "3.4.0")]
    yarn = facts(
        "yarn.lock",
        ('@@ -50,6 +50,6 @@\n "@acme/retry@^1.2.0":\n-  version "1.2.0"\n+  version "1.5.2"\n'),
    )
    assert [(d.name, d.before, d.after) for d in yarn.dependencies] == [
        ("@acme/retry", "1.2.0", "1.5.2")]  # fmt: skip


def test_a_version_line_with_no_package_above_it_is_no_dependency() -> None:
    own = facts("package.json", '@@ -1,4 +1,4 @@\n {\n   "name": "shop",\n'
                '-  "version": "1.0.0",\n+  "version": "1.1.0",\n')  # fmt: skip
    assert own.dependencies == ()
    cut = facts("package-lock.json", '@@ -40,3 +40,3 @@\n-      "version": "2.0.0",\n'
                '+      "version": "2.0.1",\n       "license": "MIT",\n')  # fmt: skip
    assert cut.dependencies == ()


def test_a_blank_line_in_a_patch_is_context() -> None:
    """A patch whose blank context lines lost their leading space (as YAML block scalars and
    editors leave them) still parses: the blank line is context, on both sides."""
    patch = "@@ -1,4 +1,4 @@\n env:\n\n-  - name: TTL\n+  - name: TTL_SECONDS\n"
    lines = parse(patch)
    assert [d.sign for d in lines] == [" ", " ", "-", "+"]
    assert lines[1].old == 2 and lines[1].new == 2 and lines[2].old == 3
    facts = change_facts("#1", ["deploy.yaml"], {"deploy.yaml": patch})
    assert [line.text for line in facts.removed] == ["  - name: TTL"]


def _settings_of(patches: dict[str, str]) -> list[tuple[str, str | None, str | None, str]]:
    facts = change_facts("#1", list(patches), patches)
    return [(s.key, s.before, s.after, s.direction) for s in facts.settings]


def test_a_setting_moved_from_the_production_profile_into_a_shared_file_is_one_change() -> None:
    """Folding per-environment blocks into a shared file: production goes from what its own
    file held to the shared value (the dev file's removal takes nothing from production)."""
    shared = "@@ -1,2 +1,5 @@\n app:\n   name: x\n+worker:\n+  pool:\n+    size: 4\n"
    prod = "@@ -1,4 +1,1 @@\n app:\n-worker:\n-  pool:\n-    size: 32\n"
    dev = "@@ -1,4 +1,1 @@\n app:\n-worker:\n-  pool:\n-    size: 4\n"
    got = _settings_of({"config/app.yaml": shared, "config/app-prod.yaml": prod,
                        "config/app-dev.yaml": dev})  # fmt: skip
    assert got == [("worker.pool.size", "32", "4", "lowered")]


def test_a_removed_override_falls_back_to_the_value_the_diff_shows_elsewhere() -> None:
    node = ("@@ -3,4 +3,2 @@\n locals {\n-  kernel = <<-EOT\n-    net.core.somaxconn = 65535\n"
            "-  EOT\n }\n")  # fmt: skip
    base = ("@@ -1,3 +1,3 @@\n # baseline\n net.core.somaxconn = 4096\n-# groups: batch\n"
            "+# groups: all\n")  # fmt: skip
    got = _settings_of({"envs/prod/nodes.tf": node, "modules/base/sysctl.conf": base})
    assert ("net.core.somaxconn", "65535", "4096", "lowered") in got


def test_a_resource_moved_into_a_module_takes_the_defaults_its_call_does_not_pass() -> None:
    stack = ('@@ -1,5 +1,5 @@\n-resource "aws_sqs_queue" "jobs" {\n-  name = "jobs"\n'
             "-  visibility_timeout_seconds = 900\n-  delay_seconds = 5\n-}\n"
             '+module "jobs" {\n+  source = "../modules/queue"\n+  name = "jobs"\n'
             "+  delay_seconds = 5\n+}\n")  # fmt: skip
    module = ('@@ -1,4 +1,4 @@\n resource "aws_sqs_queue" "this" {\n   name = var.name\n'
              "-  visibility_timeout_seconds = 900\n+  visibility_timeout_seconds = "
              "var.visibility_timeout_seconds\n }\n")  # fmt: skip
    variables = ('@@ -3,4 +3,4 @@\n variable "visibility_timeout_seconds" {\n   type = number\n'
                 "   default = 45\n }\n")  # fmt: skip
    got = _settings_of({"stacks/jobs/queues.tf": stack, "modules/queue/main.tf": module,
                        "modules/queue/variables.tf": variables})  # fmt: skip
    assert ("visibility_timeout_seconds", "900", "45", "lowered") in got
    passed = stack.replace("+  delay_seconds = 5\n", "+  visibility_timeout_seconds = 900\n")
    got = _settings_of({"stacks/jobs/queues.tf": passed, "modules/queue/main.tf": module,
                        "modules/queue/variables.tf": variables})  # fmt: skip
    assert not [g for g in got if g[0] == "visibility_timeout_seconds" and g[2] == "45"]
    unseen = _settings_of({"stacks/jobs/queues.tf": stack, "modules/queue/main.tf": module})
    assert ("visibility_timeout_seconds", "900", "var.visibility_timeout_seconds", "changed") in (
        unseen
    )


@pytest.mark.parametrize(
    "patches",
    [
        # moved with the same value: production reads what it read before
        {"a/app.yml": "@@ -1 +1,2 @@\n x: 1\n+server.max-threads: 200\n",
         "a/app-prod.yml": "@@ -1,2 +1 @@\n x: 1\n-server.max-threads: 200\n"},
        # only a test environment's file loses it: nothing moves for production
        {"a/app.yml": "@@ -1 +1,2 @@\n x: 1\n+server.max-threads: 20\n",
         "a/app-staging.yml": "@@ -1,2 +1 @@\n x: 1\n-server.max-threads: 200\n"},
        # a bare key shown elsewhere is not the same setting
        {"svc/a.yaml": "@@ -1,2 +1 @@\n x: 1\n-timeout: 30s\n",
         "svc/b.yaml": "@@ -1,2 +1,2 @@\n timeout: 2s\n-y: 1\n+y: 2\n"},
        # two production-side files disagree: which one production reads is unknown
        {"a/app.yml": "@@ -1 +1,2 @@\n x: 1\n+pool.max-size: 5\n",
         "a/app-prod.yml": "@@ -1,2 +1 @@\n x: 1\n-pool.max-size: 50\n",
         "a/app-production.yml": "@@ -1,2 +1 @@\n x: 1\n-pool.max-size: 80\n"},
    ],
)  # fmt: skip
def test_no_move_where_production_reads_the_same_or_the_value_is_unknown(
    patches: dict[str, str],
) -> None:
    got = _settings_of(patches)
    assert not [g for g in got if g[0] != "y" and g[1] is not None and g[2] is not None], got
