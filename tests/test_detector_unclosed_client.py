"""unclosed_client: a client or connection (or a pool's connection) not closed on every path."""

from __future__ import annotations

from agents.root_cause.detectors import unclosed_client
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return unclosed_client.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_a_pools_connection_closed_only_on_the_success_path() -> None:
    patch = """\
@@ -10,8 +10,14 @@ public class InvoiceService {
     public Invoice issue(Order order) throws SQLException {
-        try (Connection conn = dataSource.getConnection()) {
-            return invoices.insert(conn, order);
-        }
+        Connection conn = dataSource.getConnection();
+        try {
+            Invoice invoice = invoices.insert(conn, order);
+            conn.close();
+            return invoice;
+        } catch (TaxServiceException e) {
+            invoices.markPending(conn, order.id());
+            throw new InvoicePendingException(order, e);
+        }
     }
"""
    [hit] = findings({"src/main/java/com/example/billing/InvoiceService.java": patch})
    assert hit.line == 11 and "connections" in hit.symptoms


def test_a_python_pool_acquire_without_release() -> None:
    patch = """\
@@ -3,4 +3,7 @@ async def reserve(slot_id):
-    async with pool.acquire() as conn:
-        return await conn.fetchrow(QUERY, slot_id)
+    conn = await pool.acquire()
+    row = await conn.fetchrow(QUERY, slot_id)
+    if row is None:
+        raise SlotGone(slot_id)
+    return row
"""
    assert findings({"app/slots/reserve.py": patch})


def test_a_client_opened_and_never_closed() -> None:
    patch = """\
@@ -1,3 +1,6 @@
 def push(event):
+    client = redis.Redis(host=HOST)
+    client.lpush("events", event)
+    return True
"""
    assert findings({"app/events.py": patch})


# --- not hits --------------------------------------------------------------------------------


def test_managed_or_released_in_finally_or_deferred() -> None:
    managed = """\
@@ -1,2 +1,4 @@
 public Invoice issue(Order order) throws SQLException {
+    try (Connection conn = dataSource.getConnection()) {
+        return invoices.insert(conn, order);
+    }
"""
    assert findings({"src/InvoiceService.java": managed}) == []
    final = """\
@@ -1,2 +1,9 @@
 async def reserve(slot_id):
+    conn = await pool.acquire()
+    try:
+        if not await conn.fetchrow(QUERY, slot_id):
+            raise SlotGone(slot_id)
+    finally:
+        await pool.release(conn)
+    return True
"""
    assert findings({"app/slots/reserve.py": final}) == []
    deferred = """\
@@ -1,2 +1,6 @@
 func load(ctx context.Context) error {
+    conn, err := db.Conn(ctx)
+    defer conn.Close()
+    if err != nil { return err }
+    return nil
"""
    assert findings({"internal/load.go": deferred}) == []


def test_tests_and_unchanged_opens_are_ignored() -> None:
    test = "@@ -1 +1,3 @@\n def test_x():\n+    conn = pool.getConnection()\n+    assert conn\n"
    assert findings({"tests/test_pool.py": test}) == []
    context = (
        '@@ -1,3 +1,3 @@\n conn = dataSource.getConnection();\n-log.info("a");\n+log.info("b");\n'
    )
    assert findings({"src/A.java": context}) == []
