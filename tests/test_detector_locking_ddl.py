"""locking_ddl: schema statements that take heavy locks or rewrite a table."""

from __future__ import annotations

from agents.root_cause.detectors import locking_ddl
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return locking_ddl.detect(change_facts("PR #1", list(patches), patches))


def test_sql_create_index_without_concurrently() -> None:
    patch = """\
@@ -0,0 +1,3 @@
+-- speed up lookups by customer
+CREATE INDEX idx_orders_customer_id
+    ON orders (customer_id);
"""
    [hit] = findings({"db/migrations/V42__orders_customer_index.sql": patch})
    assert (hit.file, hit.line) == ("db/migrations/V42__orders_customer_index.sql", 2)
    assert "CREATE INDEX without CONCURRENTLY on `orders` (customer_id)" in hit.message
    assert "runs in a transaction" in hit.message
    assert "locks" in hit.symptoms and hit.strength >= 0.6


def test_rails_add_index_and_column_type_change() -> None:
    patch = """\
@@ -0,0 +1,6 @@
+class IndexPaymentsOnMerchant < ActiveRecord::Migration[7.1]
+  def change
+    add_index :payments, :merchant_id
+    change_column :payments, :amount_cents, :bigint
+  end
+end
"""
    hits = findings({"db/migrate/20240101000000_index_payments_on_merchant.rb": patch})
    assert [h.line for h in hits] == [3, 4]
    assert (
        "add_index on `payments` (`merchant_id`) without algorithm: :concurrently"
        in hits[0].message
    )
    assert "change_column `amount_cents` of `payments` to `bigint` rewrites" in hits[1].message


def test_django_add_index_multiline() -> None:
    patch = """\
@@ -0,0 +1,13 @@
+from django.db import migrations, models
+
+
+class Migration(migrations.Migration):
+    dependencies = [("shop", "0041_previous")]
+
+    operations = [
+        migrations.AddIndex(
+            model_name="order",
+            index=models.Index(fields=["status", "created_at"], name="order_status_idx"),
+        ),
+    ]
+
"""
    [hit] = findings({"shop/migrations/0042_order_status_idx.py": patch})
    assert hit.line == 8
    assert "AddIndex on `order`" in hit.message and "status" in hit.message


def test_alembic_volatile_default_not_null_and_foreign_key() -> None:
    patch = """\
@@ -0,0 +1,15 @@
+from alembic import op
+import sqlalchemy as sa
+
+
+def upgrade():
+    op.add_column(
+        "invoices",
+        sa.Column("public_id", sa.Uuid(), server_default=sa.text("gen_random_uuid()")),
+    )
+    op.execute("ALTER TABLE invoices ADD CONSTRAINT fk_invoices_account "
+               "FOREIGN KEY (account_id) REFERENCES accounts (id)")
+    op.alter_column("invoices", "due_at", nullable=False)
+
+def downgrade():
+    op.create_index("ix_invoices_account", "invoices", ["account_id"])
"""
    hits = findings({"alembic/versions/3f2a_invoice_public_id.py": patch})
    messages = {h.line: h.message for h in hits}
    assert set(messages) == {6, 10, 12}  # the downgrade's index is not reported
    assert "volatile server_default" in messages[6] and "gen_random_uuid()" in messages[6]
    assert "foreign key added to `invoices` without NOT VALID" in messages[10]
    assert "NOT NULL scans the whole table" in messages[12]


def test_lock_timeout_removed_from_a_migration_helper() -> None:
    patch = """\
@@ -3,7 +3,6 @@ module MigrationHelpers
   def with_safe_locks
     ActiveRecord::Base.transaction do
-      execute "SET LOCAL lock_timeout = '5s'"
       yield
     end
   end
"""
    [hit] = findings({"lib/migration_helpers.rb": patch})
    assert hit.line == 5 and "lock_timeout removed" in hit.message


def test_outside_a_transaction_is_weaker() -> None:
    head = "@@ -0,0 +1,4 @@\n+class A < ActiveRecord::Migration[7.1]\n"
    body = "+  def change\n+    add_index :users, :email\n"
    inside = findings({"db/migrate/1_a.rb": head + "+\n" + body})
    outside = findings({"db/migrate/1_a.rb": head + "+  disable_ddl_transaction!\n" + body})
    assert inside[0].strength > outside[0].strength
    assert "outside a transaction" in outside[0].message


# --- near misses -----------------------------------------------------------------------------


def test_concurrent_index_builds_are_fine() -> None:
    patches = {
        "db/migrate/2_b.rb": """\
@@ -0,0 +1,6 @@
+class B < ActiveRecord::Migration[7.1]
+  disable_ddl_transaction!
+  def change
+    add_index :orders, :customer_id, algorithm: :concurrently
+  end
+end
""",
        "migrations/003.sql": "@@ -0,0 +1 @@\n+CREATE INDEX CONCURRENTLY ix ON accounts (email);\n",
        "alembic/versions/9_c.py": """\
@@ -0,0 +1,3 @@
+def upgrade():
+    with op.get_context().autocommit_block():
+        op.create_index("ix_a", "accounts", ["email"], postgresql_concurrently=True)
""",
    }
    assert findings(patches) == []


def test_index_on_a_table_created_in_the_same_change() -> None:
    patch = """\
@@ -0,0 +1,6 @@
+CREATE TABLE audit_events (
+    id bigserial PRIMARY KEY,
+    actor_id bigint NOT NULL,
+    created_at timestamptz NOT NULL DEFAULT now()
+);
+CREATE INDEX idx_audit_events_actor ON audit_events (actor_id);
"""
    assert findings({"db/migrations/V7__audit_events.sql": patch}) == []


def test_safe_column_changes_and_rollbacks() -> None:
    patch = """\
@@ -0,0 +1,9 @@
+ALTER TABLE orders ADD COLUMN note text;
+ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
+ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
+    REFERENCES customers (id) NOT VALID;
+ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_customer;
+
+-- +goose Down
+ALTER TABLE orders ALTER COLUMN note TYPE varchar(200);
+CREATE INDEX idx_orders_note ON orders (note);
"""
    assert findings({"db/migrations/20240101_orders_note.sql": patch}) == []


def test_docs_tests_and_comments_are_ignored() -> None:
    patches = {
        "docs/runbooks/indexes.md": "@@ -1 +1,2 @@\n # Indexes\n+`CREATE INDEX ix ON t (id);`\n",
        "tests/test_migrations.py": '@@ -0,0 +1 @@\n+SQL = "CREATE INDEX idx ON orders (id)"\n',
        "db/migrations/V8__note.sql": "@@ -0,0 +1 @@\n+-- CREATE INDEX ix ON orders (id);\n",
    }
    assert findings(patches) == []


def test_lock_timeout_changed_not_removed() -> None:
    patch = """\
@@ -1,3 +1,3 @@
 production:
   variables:
-    lock_timeout: 5s
+    lock_timeout: 10s
"""
    assert findings({"config/database.yml": patch}) == []


DUMP = (
    "@@ -210,3 +210,4 @@ CREATE INDEX invoices_due_idx ON public.invoices USING btree (due_on);\n"
    "+CREATE INDEX invoices_account_state_idx ON public.invoices USING btree (account_id, state);\n"
)


def test_a_schema_dump_beside_the_migration_it_records_is_not_read_as_ddl() -> None:
    migration = (
        "@@ -0,0 +1,3 @@\n+-- migrate:up transaction:false\n"
        "+CREATE INDEX CONCURRENTLY invoices_account_state_idx ON invoices (account_id, state);\n"
    )
    assert findings({"db/migrations/20250601_invoices_idx.sql": migration, "db/schema.sql": DUMP,
                     "db/structure.sql": DUMP}) == []  # fmt: skip


def test_a_schema_file_changed_on_its_own_is_still_read() -> None:
    [hit] = findings({"db/schema.sql": DUMP})
    assert "without CONCURRENTLY" in hit.message
