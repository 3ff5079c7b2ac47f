"""pool_or_workers_lowered: connection pools and worker/thread/concurrency counts lowered."""

from __future__ import annotations

from agents.root_cause.detectors import pool_or_workers_lowered
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return pool_or_workers_lowered.detect(change_facts("PR #1", [file], {file: patch}))


def test_hikari_pool_size_lowered_in_properties() -> None:
    patch = """\
@@ -7,4 +7,4 @@
 spring.datasource.url=jdbc:postgresql://db:5432/app
-spring.datasource.hikari.maximum-pool-size=50
+spring.datasource.hikari.maximum-pool-size=10
 spring.datasource.hikari.connection-timeout=3000
"""
    [hit] = findings("src/main/resources/application.properties", patch)
    assert (hit.file, hit.line) == ("src/main/resources/application.properties", 8)
    assert "maximum-pool-size lowered 50 → 10" in hit.message and "5× fewer" in hit.message
    assert "connections" in hit.symptoms


def test_go_max_open_conns_literal_lowered() -> None:
    patch = """\
@@ -22,4 +22,4 @@ func Open(dsn string) (*sql.DB, error) {
 \tdb.SetMaxIdleConns(10)
-\tdb.SetMaxOpenConns(100)
+\tdb.SetMaxOpenConns(10)
 \tdb.SetConnMaxLifetime(5 * time.Minute)
"""
    [hit] = findings("internal/store/db.go", patch)
    assert hit.line == 23
    assert "db.SetMaxOpenConns lowered 100 → 10" in hit.message
    assert hit.strength >= 0.75


def test_worker_counts_in_env_puma_sidekiq_and_a_command_line() -> None:
    [env] = findings(".env.production", "@@ -1 +1 @@\n-WEB_CONCURRENCY=8\n+WEB_CONCURRENCY=2\n")
    assert env.line == 1 and "WEB_CONCURRENCY lowered 8 → 2" in env.message
    assert "queue" in env.symptoms
    puma = "@@ -1,2 +1,2 @@\n-threads 5, 5\n+threads 1, 1\n workers 2\n"
    [threads] = findings("config/puma.rb", puma)
    assert threads.line == 1 and "threads lowered 5 → 1" in threads.message
    assert "one at a time" in threads.message
    [sidekiq] = findings("config/sidekiq.yml", "@@ -1 +1 @@\n-:concurrency: 25\n+:concurrency: 5\n")
    assert "concurrency lowered 25 → 5" in sidekiq.message
    procfile = (
        "@@ -1 +1 @@\n"
        "-web: gunicorn app.wsgi --workers 8 --timeout 30\n"
        "+web: gunicorn app.wsgi --workers 2 --timeout 30\n"
    )
    [gunicorn] = findings("Procfile", procfile)
    assert "workers lowered 8 → 2" in gunicorn.message


def test_java_thread_pool_and_a_bare_max_inside_a_pool_block() -> None:
    java = (
        "@@ -30 +30 @@\n"
        "-    ExecutorService ex = Executors.newFixedThreadPool(32);\n"
        "+    ExecutorService ex = Executors.newFixedThreadPool(4);\n"
    )
    [hit] = findings("src/main/java/com/example/Jobs.java", java)
    assert "newFixedThreadPool lowered 32 → 4" in hit.message
    ts = """\
@@ -3,5 +3,5 @@
 export const pool = new Pool({
   connectionString: process.env.DATABASE_URL,
-  max: 20,
+  max: 4,
   idleTimeoutMillis: 30000,
"""
    [pool] = findings("src/db/pool.ts", ts)
    assert pool.line == 5 and "max (pool) lowered 20 → 4" in pool.message


def test_raised_pool_is_not_a_finding() -> None:
    patch = "@@ -1,2 +1,2 @@\n database:\n-  pool_size: 10\n+  pool_size: 40\n"
    assert findings("config/database.yml", patch) == []


def test_pool_settings_that_are_not_sizes() -> None:
    recycle = (
        "@@ -1 +1 @@\n"
        "-engine = create_engine(url, pool_size=20, pool_recycle=3600)\n"
        "+engine = create_engine(url, pool_size=20, pool_recycle=300)\n"
    )
    assert findings("app/db.py", recycle) == []
    lifetime = (
        "@@ -1 +1 @@\n"
        "-\tdb.SetConnMaxLifetime(30 * time.Minute)\n"
        "+\tdb.SetConnMaxLifetime(5 * time.Minute)\n"
    )
    assert findings("internal/store/db.go", lifetime) == []


def test_zero_means_unlimited_and_tests_and_comments_are_ignored() -> None:
    unlimited = "@@ -1 +1 @@\n-\tdb.SetMaxOpenConns(50)\n+\tdb.SetMaxOpenConns(0)\n"
    assert findings("internal/store/db.go", unlimited) == []
    test = "@@ -1 +1 @@\n-WORKERS = 8\n+WORKERS = 1\n"
    assert findings("tests/test_jobs.py", test) == []
    comment = "@@ -1 +1 @@\n-# workers 8\n+# workers 1\n"
    assert findings("config/puma.rb", comment) == []


def test_min_idle_counts_less_than_the_maximum() -> None:
    patch = """\
@@ -1,3 +1,3 @@
-spring.datasource.hikari.minimum-idle=20
+spring.datasource.hikari.minimum-idle=5
-spring.datasource.hikari.maximum-pool-size=20
+spring.datasource.hikari.maximum-pool-size=5
"""
    by_line = {f.line: f for f in findings("src/main/resources/application.properties", patch)}
    assert "minimum-idle" in by_line[1].message and "maximum-pool-size" in by_line[2].message
    assert by_line[1].strength < by_line[2].strength
