"""schedule_moved: a cron expression or interval moved (old and new times, business hours)."""

from __future__ import annotations

from agents.root_cause.detectors import schedule_moved
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return schedule_moved.detect(change_facts("PR #1", [file], {file: patch}))


CRONJOB = """\
@@ -4,9 +4,9 @@ metadata:
   name: nightly-report
 spec:
-  schedule: "0 3 * * *"
+  schedule: "0 14 * * 1-5"
   concurrencyPolicy: Forbid
   jobTemplate:
     spec:
"""


def test_kubernetes_cronjob_moved_into_business_hours() -> None:
    [hit] = findings("deploy/report-cronjob.yaml", CRONJOB)
    assert (hit.file, hit.line) == ("deploy/report-cronjob.yaml", 6)
    assert "`0 3 * * *` (03:00 daily)" in hit.message
    assert "`0 14 * * 1-5` (14:00 Mon-Fri)" in hit.message
    assert "runs in business hours" in hit.message
    assert hit.strength >= 0.7
    assert "locks" in hit.symptoms


def test_celery_beat_crontab_moved() -> None:
    patch = """\
@@ -10,7 +10,7 @@ app.conf.beat_schedule = {
     "rebuild-search-index": {
         "task": "search.tasks.rebuild",
-        "schedule": crontab(minute=30, hour=2),
+        "schedule": crontab(minute=30, hour="10,16"),
     },
 }
"""
    [hit] = findings("app/celery_config.py", patch)
    assert hit.line == 12
    assert "02:30 daily" in hit.message and "10:30, 16:30 daily" in hit.message
    assert "runs in business hours" in hit.message
    assert "runs per day 1 → 2" in hit.message


def test_crontab_line_every_five_minutes_is_stronger_than_a_move_at_night() -> None:
    frequent = findings("ops/crontab", """\
@@ -1,3 +1,3 @@
 SHELL=/bin/bash
-0 * * * * /usr/local/bin/sync-ledger
+*/5 * * * * /usr/local/bin/sync-ledger
 30 4 * * * /usr/local/bin/rotate
""")  # fmt: skip
    night = findings("ops/crontab", """\
@@ -1,3 +1,3 @@
 SHELL=/bin/bash
-0 2 * * * /usr/local/bin/sync-ledger
+0 4 * * * /usr/local/bin/sync-ledger
 30 4 * * * /usr/local/bin/rotate
""")  # fmt: skip
    assert frequent[0].line == 2 and "every 5 min daily" in frequent[0].message
    assert "runs per day 24 → 288" in frequent[0].message
    assert "is outside business hours" in night[0].message
    assert frequent[0].strength > night[0].strength


def test_spring_scheduled_with_seconds_and_a_time_zone() -> None:
    patch = """\
@@ -20,7 +20,7 @@ public class ReconcileJob {
     private final LedgerService ledger;

-    @Scheduled(cron = "0 0 1 * * *", zone = "UTC")
+    @Scheduled(cron = "0 0 9 * * *", zone = "UTC")
     public void reconcile() {
         ledger.reconcileAll();
     }
"""
    [hit] = findings("src/main/java/com/example/ReconcileJob.java", patch)
    assert hit.line == 22
    assert "01:00 daily" in hit.message and "09:00 daily" in hit.message
    assert "time zone UTC" in hit.message


def test_sidekiq_interval_shortened() -> None:
    patch = """\
@@ -1,4 +1,4 @@
 refresh_prices:
   class: RefreshPricesWorker
-  every: 1h
+  every: 5m
   queue: default
"""
    [hit] = findings("config/sidekiq_scheduler.yml", patch)
    assert hit.line == 3
    assert "every 1h" in hit.message and "every 5m" in hit.message
    assert "runs per day 24 → 288" in hit.message


def test_terraform_eventbridge_cron_moved() -> None:
    patch = """\
@@ -1,5 +1,5 @@
 resource "aws_cloudwatch_event_rule" "export" {
   name                = "export"
-  schedule_expression = "cron(0 23 * * ? *)"
+  schedule_expression = "cron(0 11 * * ? *)"
 }
"""
    [hit] = findings("infra/events.tf", patch)
    assert hit.line == 3 and "23:00 daily" in hit.message and "11:00 daily" in hit.message


# --- near misses -----------------------------------------------------------------------------


def test_github_actions_schedule_is_ci_and_ignored() -> None:
    patch = """\
@@ -1,5 +1,5 @@
 on:
   schedule:
-    - cron: "0 3 * * *"
+    - cron: "0 14 * * *"
 jobs:
"""
    assert findings(".github/workflows/nightly.yml", patch) == []


def test_a_new_job_is_not_a_moved_schedule() -> None:
    patch = """\
@@ -1,3 +1,6 @@
 cleanup:
   cron: "0 3 * * *"
   class: CleanupWorker
+digest:
+  cron: "0 14 * * *"
+  class: DigestWorker
"""
    assert findings("config/schedule.yml", patch) == []


def test_equivalent_expression_and_command_change_are_ignored() -> None:
    patch = """\
@@ -1,2 +1,2 @@
-0 3 * * * /usr/local/bin/backup --full
+00 03 * * * /usr/local/bin/backup --incremental
"""
    assert findings("ops/crontab", patch) == []


def test_commented_schedule_and_test_files_are_ignored() -> None:
    comment = """\
@@ -1,3 +1,3 @@
 spec:
-  # schedule: "0 3 * * *"
+  # schedule: "0 14 * * *"
   schedule: "0 2 * * *"
"""
    test_file = """\
@@ -1,2 +1,2 @@
-SCHEDULE = "0 3 * * *"
+SCHEDULE = "0 14 * * *"
"""
    assert findings("deploy/cronjob.yaml", comment) == []
    assert findings("tests/test_schedule.py", test_file) == []


def test_a_number_that_is_not_a_schedule_is_ignored() -> None:
    patch = """\
@@ -1,2 +1,2 @@
-VERSION_PARTS = "1 2 3 4 5"
+VERSION_PARTS = "1 2 3 4 6"
"""
    assert findings("app/constants.py", patch) == []
