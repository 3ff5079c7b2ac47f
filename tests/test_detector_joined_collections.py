"""joined_collections: two sibling collections eager-loaded with joins in one query."""

from __future__ import annotations

from agents.root_cause.detectors import joined_collections
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return joined_collections.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_sqlalchemy_options_joining_two_collections() -> None:
    patch = """\
@@ -8,6 +8,9 @@ def load_shipment(session, shipment_id):
     stmt = (
         select(Shipment)
         .where(Shipment.id == shipment_id)
-        .options(selectinload(Shipment.parcels))
+        .options(
+            joinedload(Shipment.parcels),
+            joinedload(Shipment.events),
+        )
     )
"""
    [hit] = findings({"app/shipments/queries.py": patch})
    assert hit.line == 11 and "memory" in hit.symptoms
    assert "parcels" in hit.message and "events" in hit.message


def test_jpql_fetching_two_collections_of_one_alias() -> None:
    patch = """\
@@ -14,3 +14,6 @@ public interface ClaimRepository extends JpaRepository<Claim, Long> {
-    @Query("select c from Claim c left join fetch c.documents where c.id = :id")
+    @Query("select distinct c from Claim c "
+         + "left join fetch c.documents "
+         + "left join fetch c.payments where c.id = :id")
     Optional<Claim> findWithDetails(@Param("id") long id);
"""
    assert findings({"src/main/java/com/example/claims/ClaimRepository.java": patch})


def test_ef_core_two_includes_without_split_queries() -> None:
    patch = """\
@@ -20,3 +20,7 @@ public class TenancyQueries
         return await db.Tenancies
+            .Include(t => t.Payments)
+            .Include(t => t.Inspections)
             .Where(t => t.Id == id)
             .SingleOrDefaultAsync(ct);
"""
    assert findings({"src/Lettings/TenancyQueries.cs": patch})


def test_active_record_eager_loading_two_associations() -> None:
    patch = """\
@@ -3,2 +3,2 @@ class CoursesController < ApplicationController
-    @course = Course.find(params[:id])
+    @course = Course.eager_load(:lessons, :enrolments).find(params[:id])
"""
    assert findings({"app/controllers/courses_controller.rb": patch})


# --- no hits ---------------------------------------------------------------------------------


def test_loads_one_query_per_collection_are_no_finding() -> None:
    patch = """\
@@ -8,3 +8,6 @@ def load_shipment(session, shipment_id):
-        .options(selectinload(Shipment.parcels))
+        .options(
+            selectinload(Shipment.parcels),
+            selectinload(Shipment.events),
+        )
"""
    assert findings({"app/shipments/queries.py": patch}) == []
    split = """\
@@ -20,2 +20,5 @@ public class TenancyQueries
         return await db.Tenancies
+            .Include(t => t.Payments)
+            .Include(t => t.Inspections)
+            .AsSplitQuery()
"""
    assert findings({"src/Lettings/TenancyQueries.cs": split}) == []


def test_one_collection_beside_a_single_row_is_no_finding() -> None:
    patch = """\
@@ -8,3 +8,6 @@ def load_order(session, order_id):
-        .options(joinedload(Order.lines))
+        .options(
+            joinedload(Order.customer),
+            joinedload(Order.lines),
+        )
"""
    assert findings({"app/orders/queries.py": patch}) == []


def test_a_nested_chain_is_no_finding() -> None:
    patch = """\
@@ -8,2 +8,3 @@ def load_order(session, order_id):
-        .options(joinedload(Order.lines))
+        .options(joinedload(Order.lines).joinedload(Line.taxes))
"""
    assert findings({"app/orders/queries.py": patch}) == []
    then = """\
@@ -20,2 +20,4 @@ public class OrderQueries
+            .Include(o => o.Lines)
+            .ThenInclude(l => l.Taxes)
"""
    assert findings({"src/Orders/OrderQueries.cs": then}) == []


def test_tests_and_removed_lines_are_no_finding() -> None:
    in_tests = """\
@@ -1,2 +1,3 @@
+    stmt = select(Shipment).options(joinedload(Shipment.parcels), joinedload(Shipment.events))
"""
    assert findings({"tests/test_queries.py": in_tests}) == []
    removed = """\
@@ -8,3 +8,2 @@ def load_shipment(session, shipment_id):
-        .options(joinedload(Shipment.parcels), joinedload(Shipment.events))
+        .options(selectinload(Shipment.parcels), selectinload(Shipment.events))
"""
    assert findings({"app/shipments/queries.py": removed}) == []
