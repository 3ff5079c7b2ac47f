"""maintenance_disabled: a database's autovacuum or statistics recalculation turned off."""

from __future__ import annotations

from agents.root_cause.detectors import maintenance_disabled
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return maintenance_disabled.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_autovacuum_off_for_a_table_in_a_sql_migration() -> None:
    patch = """\
@@ -0,0 +1,4 @@
+-- the nightly import rewrites this table; vacuum slows the COPY down
+ALTER TABLE shipment_events SET (
+    autovacuum_enabled = false, toast.autovacuum_enabled = false
+);
"""
    [hit] = findings({"db/migrations/V88__import_tuning.sql": patch})
    assert hit.line == 3 and "autovacuum turned off for a table" in hit.message
    assert "latency" in hit.symptoms and hit.strength >= 0.5


def test_autovacuum_off_for_the_server_in_a_parameter_group() -> None:
    patch = """\
@@ -10,6 +10,11 @@ resource "aws_db_parameter_group" "ledger" {
   parameter {
     name  = "log_min_duration_statement"
     value = "500"
   }
+  parameter {
+    name  = "autovacuum"
+    value = "0"
+  }
 }
"""
    [hit] = findings({"infra/rds/ledger.tf": patch})
    assert "for the server" in hit.message


def test_thresholds_raised_out_of_reach_and_mysql_recalc_off() -> None:
    scale = """\
@@ -1,3 +1,3 @@
 ALTER TABLE carts SET (
-  autovacuum_vacuum_scale_factor = 0.05
+  autovacuum_vacuum_scale_factor = 2.0
 );
"""
    [hit] = findings({"migrations/0042_carts_vacuum.sql": scale})
    assert "scale factor raised to 2.0" in hit.message
    threshold = "@@ -0,0 +1 @@\n+ALTER TABLE carts SET (autovacuum_vacuum_threshold = 5000000);\n"
    assert findings({"migrations/0043.sql": threshold})
    mysql = "@@ -0,0 +1 @@\n+ALTER TABLE price_points STATS_AUTO_RECALC = 0;\n"
    [hit] = findings({"db/migrate/20260101_price_points.sql": mysql})
    assert "statistics" in hit.message


def test_autovacuum_off_through_an_orms_storage_parameters() -> None:
    patch = """\
@@ -0,0 +1,6 @@
+def upgrade():
+    op.execute(
+        "ALTER TABLE sessions SET (autovacuum_enabled = off)"
+    )
+def downgrade():
+    op.execute("ALTER TABLE sessions RESET (autovacuum_enabled)")
"""
    assert findings({"alembic/versions/7f3a_sessions.py": patch})


# --- not hits --------------------------------------------------------------------------------


def test_paused_for_a_load_and_restored_in_the_same_change() -> None:
    patch = """\
@@ -0,0 +1,3 @@
+ALTER TABLE slots SET (autovacuum_enabled = false);
+COPY slots FROM '/data/slots.csv';
+ALTER TABLE slots SET (autovacuum_enabled = true);
"""
    assert findings({"db/migrations/V9__bulk_load.sql": patch}) == []


def test_turned_back_on_or_thresholds_lowered() -> None:
    on = "@@ -1 +1 @@\n-ALTER TABLE t SET (autovacuum_enabled = false);\n+ALTER TABLE t SET (autovacuum_enabled = true);\n"  # noqa: E501
    assert findings({"db/V2.sql": on}) == []
    lower = "@@ -1 +1 @@\n-  autovacuum_vacuum_scale_factor = 0.2\n+  autovacuum_vacuum_scale_factor = 0.02\n"  # noqa: E501
    assert findings({"postgresql.conf": lower}) == []
    conf_on = "@@ -1 +1 @@\n-autovacuum = off\n+autovacuum = on\n"
    assert findings({"deploy/postgresql.conf": conf_on}) == []


def test_comments_rollbacks_docs_tests_and_dev_config_are_ignored() -> None:
    comment = "@@ -0,0 +1 @@\n+-- autovacuum_enabled = false was tried and reverted\n"
    assert findings({"db/V3.sql": comment}) == []
    down = "@@ -0,0 +1 @@\n+ALTER TABLE t SET (autovacuum_enabled = false);\n"
    assert findings({"db/migrations/0007_t.down.sql": down}) == []
    assert findings({"docs/postgres-tuning.md": "@@ -0,0 +1 @@\n+autovacuum = off\n"}) == []
    assert findings({"tests/fixtures/postgresql.conf": "@@ -0,0 +1 @@\n+autovacuum = off\n"}) == []
    assert findings({"docker/dev/postgresql.conf": "@@ -0,0 +1 @@\n+autovacuum = off\n"}) == []
