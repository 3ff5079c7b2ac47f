"""query_in_loop: a database query added inside a loop over items (the N+1 pattern)."""

from __future__ import annotations

from agents.root_cause.detectors import query_in_loop
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return query_in_loop.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_an_orm_lookup_per_item_of_a_python_loop() -> None:
    patch = """\
@@ -4,4 +4,7 @@ def invoice_lines(session, invoice):
     out = []
-    rows = session.query(Line).filter(Line.invoice_id == invoice.id).all()
+    for item in invoice.items:
+        price = session.query(Price).filter(Price.sku == item.sku).first()
+        out.append((item, price))
     return out
"""
    [hit] = findings({"app/billing/lines.py": patch})
    assert hit.line == 6 and "connections" in hit.symptoms


def test_a_go_query_row_inside_a_range_loop() -> None:
    patch = (
        "@@ -20,3 +20,9 @@ func (s *Store) Totals(ctx context.Context, ids []int64) error {\n"
        " \tout := map[int64]int64{}\n"
        "+\tfor _, id := range ids {\n"
        "+\t\tvar total int64\n"
        '+\t\trow := s.db.QueryRowContext(ctx, "SELECT sum(qty) FROM moves WHERE item = $1", id)\n'
        "+\t\tif err := row.Scan(&total); err != nil {\n"
        "+\t\t\treturn err\n"
        "+\t\t}\n"
        "+\t}\n"
        " \treturn nil\n"
    )
    [hit] = findings({"internal/stock/totals.go": patch})
    assert hit.line == 23


def test_a_repository_find_inside_a_java_for_each() -> None:
    patch = """\
@@ -30,3 +30,7 @@ public class ShipmentService {
     List<ShipmentView> views = new ArrayList<>();
+    shipments.forEach(s -> {
+        Carrier carrier = carrierRepository.findById(s.getCarrierId()).orElseThrow();
+        views.add(new ShipmentView(s, carrier));
+    });
     return views;
"""
    assert findings({"src/main/java/com/example/ShipmentService.java": patch})


# --- no hits ---------------------------------------------------------------------------------


def test_a_lookup_in_a_dict_the_change_builds_is_no_query() -> None:
    patch = """\
@@ -10,3 +10,9 @@ def with_stock(basket):
+    on_hand: dict[str, int] = {}
+    for move in basket.moves:
+        on_hand[move.sku] = on_hand.get(move.sku, 0) + move.qty
+    for item in basket.items:
+        item.available = on_hand.get(item.id)
+        item.short = item.qty - item.available
     return basket
"""
    assert findings({"app/baskets/stock.py": patch}) == []


def test_one_query_before_the_loop_is_no_finding() -> None:
    patch = """\
@@ -4,4 +4,6 @@ def invoice_lines(session, invoice):
-    out = []
+    skus = [item.sku for item in invoice.items]
+    prices = {p.sku: p for p in session.query(Price).filter(Price.sku.in_(skus)).all()}
+    out = [(item, prices.get(item.sku)) for item in invoice.items]
     return out
"""
    assert findings({"app/billing/lines.py": patch}) == []


def test_a_loop_over_a_written_out_handful_and_a_loop_in_tests() -> None:
    handful = """\
@@ -1,2 +1,4 @@ def warm(session):
+    for table in ("users", "plans"):
+        session.execute(text(f"SELECT 1 FROM {table} LIMIT 1"))
     return True
"""
    assert findings({"app/warmup.py": handful}) == []
    in_tests = """\
@@ -1,2 +1,4 @@ def test_prices(session, items):
+    for item in items:
+        assert session.query(Price).filter(Price.sku == item.sku).first()
"""
    assert findings({"tests/test_prices.py": in_tests}) == []
