"""dropped_index: an index dropped, or a column losing its index."""

from __future__ import annotations

from agents.root_cause.detectors import dropped_index
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return dropped_index.detect(change_facts("PR #1", list(patches), patches))


def test_sql_drop_index() -> None:
    patch = """\
@@ -0,0 +1,2 @@
+-- unused according to pg_stat_user_indexes
+DROP INDEX IF EXISTS idx_orders_customer_id;
"""
    [hit] = findings({"db/migrations/V51__drop_unused_indexes.sql": patch})
    assert (hit.file, hit.line) == ("db/migrations/V51__drop_unused_indexes.sql", 2)
    assert "index `idx_orders_customer_id` dropped" in hit.message
    assert "latency" in hit.symptoms and hit.strength >= 0.6


def test_rails_remove_index_with_the_column_queried_in_code() -> None:
    patches = {
        "db/migrate/20240301_remove_orders_customer_index.rb": """\
@@ -0,0 +1,5 @@
+class RemoveOrdersCustomerIndex < ActiveRecord::Migration[7.1]
+  def change
+    remove_index :orders, :customer_id
+  end
+end
""",
        "app/models/order.rb": """\
@@ -3,4 +3,5 @@ class Order < ApplicationRecord
   belongs_to :customer
+  scope :for_customer, ->(id) { where(customer_id: id) }
 end
""",
    }
    [hit] = findings(patches)
    assert hit.line == 3
    assert "on (customer_id) of `orders` dropped" in hit.message
    assert "this change's code queries customer_id" in hit.message
    assert hit.strength >= 0.7


def test_alembic_drop_index_in_upgrade_only() -> None:
    patch = """\
@@ -0,0 +1,8 @@
+def upgrade():
+    op.drop_index(
+        "ix_sessions_user_id",
+        table_name="sessions",
+    )
+
+def downgrade():
+    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
"""
    [hit] = findings({"alembic/versions/a1b2_drop_session_index.py": patch})
    assert hit.line == 2
    assert "index `ix_sessions_user_id` of `sessions` dropped" in hit.message


def test_django_model_loses_db_index_and_unique_prisma_index() -> None:
    model = """\
@@ -10,7 +10,7 @@ class Shipment(models.Model):
     carrier = models.CharField(max_length=40)
-    tracking_code = models.CharField(max_length=64, db_index=True)
+    tracking_code = models.CharField(max_length=64)
     created_at = models.DateTimeField(auto_now_add=True)
"""
    prisma = """\
@@ -20,6 +20,5 @@ model Payment {
   merchantId String
   createdAt  DateTime @default(now())

-  @@unique([merchantId, externalRef])
   @@index([createdAt])
 }
"""
    hits = findings({"logistics/models.py": model, "prisma/schema.prisma": prisma})
    by_file = {h.file: h for h in hits}
    assert by_file["logistics/models.py"].line == 11
    assert "(tracking_code)" in by_file["logistics/models.py"].message
    assert by_file["prisma/schema.prisma"].line == 23
    assert "(merchantId, externalRef)" in by_file["prisma/schema.prisma"].message
    assert "data" in by_file["prisma/schema.prisma"].symptoms


def test_mysql_alter_table_drop_index() -> None:
    patch = "@@ -0,0 +1 @@\n+ALTER TABLE events DROP INDEX idx_events_tenant_created;\n"
    [hit] = findings({"schema/2024_05_events.sql": patch})
    assert "index `idx_events_tenant_created` of `events` dropped" in hit.message


# --- near misses -----------------------------------------------------------------------------


def test_rollback_sections_are_ignored() -> None:
    patches = {
        "db/migrate/3_add_index.rb": """\
@@ -0,0 +1,9 @@
+class AddIndex < ActiveRecord::Migration[7.1]
+  def up
+    add_index :users, :email, algorithm: :concurrently
+  end
+
+  def down
+    remove_index :users, :email
+  end
+end
""",
        "db/migrations/20240101_add.sql": """\
@@ -0,0 +1,4 @@
+-- +goose Up
+CREATE INDEX CONCURRENTLY idx_a ON accounts (email);
+-- +goose Down
+DROP INDEX idx_a;
""",
        "db/migrations/000012_add.down.sql": "@@ -0,0 +1 @@\n+DROP INDEX idx_b;\n",
    }
    assert findings(patches) == []


def test_rebuilt_index_is_not_a_drop() -> None:
    patch = """\
@@ -0,0 +1,3 @@
+CREATE INDEX CONCURRENTLY idx_orders_customer_id_new ON orders (customer_id);
+DROP INDEX CONCURRENTLY idx_orders_customer_id;
+ALTER INDEX idx_orders_customer_id_new RENAME TO idx_orders_customer_id;
"""
    assert findings({"db/migrations/V60__rebuild_index.sql": patch}) == []


def test_added_index_and_moved_model_line_are_not_drops() -> None:
    model = """\
@@ -10,7 +10,7 @@ class Shipment(models.Model):
-    tracking_code = models.CharField(max_length=64, db_index=True)
+    tracking_code = models.CharField(max_length=80, db_index=True)
     created_at = models.DateTimeField(auto_now_add=True)
"""
    prisma = """\
@@ -20,4 +20,5 @@ model Payment {
   merchantId String
+  @@index([merchantId])
   @@index([createdAt])
 }
"""
    assert findings({"logistics/models.py": model, "prisma/schema.prisma": prisma}) == []


def test_tests_docs_and_comments_are_ignored() -> None:
    patches = {
        "tests/test_schema.py": '@@ -0,0 +1 @@\n+op.drop_index("ix_a", table_name="a")\n',
        "docs/db.md": "@@ -0,0 +1 @@\n+Use DROP INDEX CONCURRENTLY to remove an index.\n",
        "db/migrations/V9__x.sql": "@@ -0,0 +1 @@\n+-- DROP INDEX idx_orders_customer_id;\n",
    }
    assert findings(patches) == []
