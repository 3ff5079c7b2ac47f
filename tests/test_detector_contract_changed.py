"""contract_changed: a field of an API's payload removed, renamed or retyped."""

from __future__ import annotations

from agents.root_cause.detectors import contract_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding
from agents.root_cause.symptoms import families


def findings(file: str, patch: str) -> list[Finding]:
    return contract_changed.detect(change_facts("PR #1", [file], {file: patch}))


# --- hits --------------------------------------------------------------------------------------


def test_a_java_record_component_retyped_and_renamed() -> None:
    patch = """\
@@ -8,8 +8,8 @@
 public record InvoiceLine(
     String description,
-    long amountCents,
-    long taxCents,
+    Amount amount,
+    Amount tax,
     int quantity) {
"""
    [hit] = findings("src/main/java/org/billing/api/dto/InvoiceLine.java", patch)
    assert "`amountCents` (long) removed" in hit.message and "`amount` (Amount)" in hit.message
    assert "(and 1 more)" in hit.message and hit.line == 10 and hit.strength == 0.6
    assert "contract" in hit.symptoms


def test_a_typescript_response_field_changes_type() -> None:
    patch = """\
@@ -3,6 +3,6 @@ export interface ShipmentResponse {
   id: string;
-  weight: number;
+  weight: { value: number; unit: string };
   carrier: string;
 }
"""
    [hit] = findings("src/api/responses/shipment.ts", patch)
    assert "`weight` changed type: number →" in hit.message


def test_a_protobuf_field_removed() -> None:
    patch = """\
@@ -5,7 +5,6 @@ message Seat {
   string seat_id = 1;
-  int32 row_number = 2;
   string label = 3;
+  string zone = 4;
 }
"""
    [hit] = findings("proto/venue/v1/seat.proto", patch)
    assert "`row_number` (int32) removed" in hit.message and "`zone` (string) added" in hit.message


def test_a_go_json_tag_renamed_and_a_serializer_field_dropped() -> None:
    go = (
        "@@ -10,4 +10,4 @@ type Quote struct {\n"
        '\tID        string `json:"id"`\n'
        '-\tTotal     int64  `json:"total_cents"`\n'
        '+\tTotal     int64  `json:"total"`\n'
        " }\n"
    )
    [hit] = findings("internal/api/models/quote.go", go)
    assert "`total_cents` (int64) removed" in hit.message
    drf = """\
@@ -4,4 +4,3 @@ class OrderSerializer(serializers.ModelSerializer):
     id = serializers.UUIDField()
-    placed_at = serializers.DateTimeField()
     status = serializers.CharField()
"""
    [hit] = findings("orders/serializers.py", drf)
    assert "`placed_at` (DateTimeField) removed" in hit.message


# --- near misses -------------------------------------------------------------------------------


def test_a_published_events_field_retyped_in_a_go_struct_realigned_by_gofmt() -> None:
    patch = """\
@@ -8,5 +8,5 @@ package events
 type OrderShipped struct {
-\tOrderID string `json:"order_id"`
-\tWeight  int64  `json:"weight"` // grams
+\tOrderID string      `json:"order_id"`
+\tWeight  units.Mass  `json:"weight"` // "1.25kg"
 }
"""
    [hit] = findings("internal/events/order_shipped.go", patch)
    assert "`weight` changed type: int64 → units.Mass" in hit.message
    added = """\
@@ -8,3 +8,4 @@ package events
 type OrderShipped struct {
 \tOrderID string `json:"order_id"`
+\tCarrier string `json:"carrier,omitempty"`
"""
    assert findings("internal/events/order_shipped.go", added) == []


def test_an_event_handlers_local_code_is_no_contract() -> None:
    patch = """\
@@ -3,2 +3,2 @@ func handle(e Event) {
-\ttotal := e.Amount
+\tsum := e.Amount
"""
    assert findings("internal/consumer/handler.go", patch) == []


def test_fields_only_added_are_backward_compatible() -> None:
    patch = """\
@@ -3,4 +3,5 @@ export interface ShipmentResponse {
   id: string;
   weight: number;
+  eta?: string;
 }
"""
    assert findings("src/api/responses/shipment.ts", patch) == []


def test_a_field_moved_or_renamed_in_case_only_is_the_same_field() -> None:
    patch = """\
@@ -3,5 +3,5 @@
 public record InvoiceLine(
-    long amount_cents,
     String description,
+    long amountCents,
     int quantity) {
"""
    assert findings("src/main/java/org/billing/api/dto/InvoiceLine.java", patch) == []


def test_a_variable_renamed_in_a_service_class_is_no_contract() -> None:
    patch = """\
@@ -20,4 +20,4 @@ class InvoiceService {
-    long amountCents = line.amount();
+    long amount = line.amount();
     return amount;
"""
    assert findings("src/main/java/org/billing/InvoiceService.java", patch) == []


def test_comments_and_tests_are_ignored() -> None:
    comment = "@@ -3,3 +3,3 @@\n   id: string;\n-  // weight: number;\n+  // weight: grams;\n"
    assert findings("src/api/responses/shipment.ts", comment) == []
    test = "@@ -3,3 +3,2 @@\n   id: string;\n-  weight: number;\n"
    assert findings("tests/api/responses/shipment_test.ts", test) == []


# --- the symptom family ------------------------------------------------------------------------


def test_callers_failing_on_a_payload_shape_are_the_contract_family() -> None:
    assert "contract" in families(["ZodError: Expected number, received object"])
    assert "contract" in families(["json: cannot unmarshal object into Go struct field"])
    assert "contract" in families(["MismatchedInputException: Cannot deserialize value"])
    assert "contract" not in families(["ReadTimeout calling the rates API", "HTTP 503"])
