"""unbatched_backfill: a migration that rewrites a whole table in one statement."""

from __future__ import annotations

from agents.root_cause.detectors import unbatched_backfill
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return unbatched_backfill.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_an_alembic_migration_filling_a_new_column_from_a_join() -> None:
    patch = '''\
@@ -0,0 +1,16 @@
+from alembic import op
+import sqlalchemy as sa
+
+
+def upgrade():
+    op.add_column("shipments", sa.Column("region_code", sa.Text(), nullable=True))
+    op.execute(
+        """
+        UPDATE shipments AS s
+           SET region_code = d.region_code
+          FROM depots AS d
+         WHERE d.id = s.depot_id
+        """
+    )
+
+
'''
    [hit] = findings({"migrations/versions/0042_region_code.py": patch})
    assert hit.line == 9 and "every row of `shipments`" in hit.message
    assert "data" in hit.symptoms and "latency" in hit.symptoms and hit.strength >= 0.5


def test_a_sql_migration_setting_a_default_on_every_row() -> None:
    patch = """\
@@ -0,0 +1,3 @@
+ALTER TABLE invoices ADD COLUMN currency char(3);
+UPDATE invoices SET currency = 'EUR';
+ALTER TABLE invoices ALTER COLUMN currency SET NOT NULL;
"""
    [hit] = findings({"db/migrate/V17__invoice_currency.sql": patch})
    assert hit.line == 2 and "UPDATE" in hit.message


def test_a_null_check_is_still_the_whole_table() -> None:
    patch = """\
@@ -0,0 +1,2 @@
+UPDATE ledger_entries SET booked_on = created_at::date
+ WHERE booked_on IS NULL;
"""
    assert findings({"sql/2026_03_backfill_booked_on.sql": patch})


def test_a_rails_update_all_in_a_migration() -> None:
    patch = """\
@@ -0,0 +1,6 @@
+class BackfillTicketPriority < ActiveRecord::Migration[7.1]
+  def up
+    add_column :tickets, :priority, :integer
+    Ticket.update_all(priority: 2)
+  end
+end
"""
    [hit] = findings({"db/migrate/20260301_backfill_ticket_priority.rb": patch})
    assert "`Ticket`" in hit.message


def test_a_delete_of_a_whole_table_in_a_migration() -> None:
    patch = """\
@@ -0,0 +1 @@
+DELETE FROM audit_events;
"""
    [hit] = findings({"migrations/V9__purge_audit.sql": patch})
    assert "DELETE" in hit.message


# --- no hits ---------------------------------------------------------------------------------


def test_a_backfill_in_batches_is_not_reported() -> None:
    patch = """\
@@ -0,0 +1,8 @@
+def upgrade():
+    conn = op.get_bind()
+    while True:
+        done = conn.execute(sa.text(
+            "UPDATE shipments SET region_code = 'EU' WHERE id IN "
+            "(SELECT id FROM shipments WHERE region_code IS NULL LIMIT 5000)"))
+        if done.rowcount == 0:
+            break
"""
    assert findings({"migrations/versions/0043_region_batches.py": patch}) == []


def test_an_update_bounded_by_a_key_range_or_a_filter_is_not_reported() -> None:
    patch = """\
@@ -0,0 +1,3 @@
+UPDATE orders SET archived = true WHERE id BETWEEN 1 AND 50000;
+UPDATE orders SET state = 'void' WHERE state = 'draft' AND created_at < now() - interval '2 years';
+UPDATE orders SET total = 0 WHERE id = 77;
"""
    assert findings({"db/migrate/V30__archive.sql": patch}) == []


def test_a_table_created_in_the_same_change_is_empty() -> None:
    patch = """\
@@ -0,0 +1,2 @@
+CREATE TABLE report_cache (id bigint primary key, body jsonb, stale boolean);
+UPDATE report_cache SET stale = false;
"""
    assert findings({"migrations/V31__report_cache.sql": patch}) == []


def test_application_code_a_rollback_or_a_comment_is_not_reported() -> None:
    code = """\
@@ -0,0 +1,2 @@
+def close_all(session):
+    session.execute("UPDATE sessions SET closed = true")
"""
    rollback = """\
@@ -0,0 +1,6 @@
+def upgrade():
+    op.add_column("users", sa.Column("tier", sa.Text()))
+
+
+def downgrade():
+    op.execute("UPDATE users SET tier = NULL")
"""
    comment = """\
@@ -0,0 +1,2 @@
+-- UPDATE invoices SET currency = 'EUR'; is left to the nightly job
+ALTER TABLE invoices ADD COLUMN currency char(3);
"""
    assert findings({"app/sessions/store.py": code}) == []
    assert findings({"migrations/versions/0044_tier.py": rollback}) == []
    assert findings({"migrations/V32__currency.sql": comment}) == []
    assert findings({"docs/runbooks/backfills.md": "@@ -0,0 +1 @@\n+UPDATE t SET a = 1;\n"}) == []
