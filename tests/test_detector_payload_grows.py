"""payload_grows: a schema change that makes every message of an existing type carry more."""

from __future__ import annotations

from agents.root_cause.detectors import payload_grows
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding
from agents.root_cause.symptoms import families


def findings(file: str, patch: str) -> list[Finding]:
    return payload_grows.detect(change_facts("PR #1", [file], {file: patch}))


def test_a_list_of_nested_records_added_to_a_sent_message() -> None:
    patch = """\
@@ -20,6 +20,8 @@ message Order {
   string id = 1;
   repeated string tags = 9;
   Money total = 10;
+  repeated LineItem lines = 11;
+  repeated Shipment shipments = 12;
 }
"""
    [hit] = findings("proto/shop/v1/order.proto", patch)
    assert hit.strength == 0.5 and hit.line == 23 and "LineItem" in hit.message
    assert "size" in hit.symptoms


def test_bytes_added_to_a_sent_message() -> None:
    patch = """\
@@ -8,4 +8,5 @@ message Profile {
   string display_name = 2;
   string avatar_url = 3;
+  bytes avatar_png = 4;
 }
"""
    [hit] = findings("api/profile.proto", patch)
    assert hit.strength == 0.4 and "raw bytes" in hit.message


def test_an_avro_array_of_records_added_to_an_event() -> None:
    patch = """\
@@ -10,3 +10,4 @@
     {"name": "customer_id", "type": "string"},
     {"name": "total", "type": "double"},
+    {"name": "items", "type": {"type": "array", "items": "OrderItem"}},
"""
    [hit] = findings("schemas/order_placed.avsc", patch)
    assert hit.strength == 0.4


def test_not_a_new_message_or_scalar_fields() -> None:
    new = """\
@@ -30,3 +30,9 @@ message Order {
   Money total = 10;
 }
+
+message Refund {
+  string id = 1;
+  repeated LineItem lines = 2;
+  bytes receipt_pdf = 3;
+}
"""
    assert findings("proto/shop/v1/order.proto", new) == [], "nothing sends a new message yet"
    scalars = """\
@@ -5,3 +5,5 @@ message Item {
   string id = 1;
+  repeated string badges = 7;
+  int64 stock = 8;
 }
"""
    assert findings("proto/item.proto", scalars) == []


def test_not_removed_fields_comments_code_or_tests() -> None:
    removed = (
        "@@ -5,4 +5,3 @@ message Item {\n   string id = 1;\n-  repeated Variant variants = 7;\n }\n"
    )
    assert findings("proto/item.proto", removed) == []
    comment = (
        "@@ -5,3 +5,4 @@ message Item {\n   string id = 1;\n+  // repeated Variant v = 7;\n }\n"
    )
    assert findings("proto/item.proto", comment) == []
    code = "@@ -1,2 +1,3 @@\n type Item struct {\n+\tVariants []*Variant\n }\n"
    assert findings("internal/item.go", code) == []
    test = (
        "@@ -5,3 +5,4 @@ message Item {\n   string id = 1;\n+  repeated Variant variants = 7;\n }\n"
    )
    assert findings("testdata/item.proto", test) == []


def test_size_limits_are_read_as_their_own_symptom() -> None:
    for text in ("grpc: received message larger than max (5242880 vs. 4194304)",
                 "RecordTooLargeException: The message is 1300000 bytes when serialized "
                 "which is larger than 1048576", "413 Request Entity Too Large",
                 "Packet for query is too large (9,240,176 > 4,194,304)"):  # fmt: skip
        assert "size" in families([text]), text
    for text in ("the upstream took too long to answer", "disk usage too high"):
        assert "size" not in families([text]), text
