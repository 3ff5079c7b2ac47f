"""key_spread_collapsed: a partition key or message group that came from an id and is now a
constant or a date."""

from __future__ import annotations

from agents.root_cause.detectors import key_spread_collapsed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding
from agents.root_cause.symptoms import families


def findings(file: str, patch: str) -> list[Finding]:
    return key_spread_collapsed.detect(change_facts("PR #1", [file], {file: patch}))


def test_a_kinesis_partition_key_set_to_a_constant() -> None:
    patch = """\
@@ -20,7 +20,7 @@ def publish(client, reading):
     client.put_record(
         StreamName=STREAM,
         Data=json.dumps(reading).encode(),
-        PartitionKey=reading["meter_id"],
+        PartitionKey="meter-readings",
     )
"""
    [hit] = findings("ingest/publisher.py", patch)
    assert hit.strength == 0.6 and hit.line == 23 and "a constant" in hit.message
    assert {"throttling", "queue"} <= set(hit.symptoms)


def test_a_fifo_group_function_returning_a_constant() -> None:
    patch = """\
@@ -40,6 +40,8 @@ export class Publisher {
+const SHIPMENTS_GROUP = "shipments";
+
-function messageGroupFor(msg: ShipmentMessage): string {
-  return msg.shipmentId;
+function messageGroupFor(_msg: ShipmentMessage): string {
+  return SHIPMENTS_GROUP;
 }
"""
    [hit] = findings("src/queue/publisher.ts", patch)
    assert hit.line == 43 and hit.strength == 0.6


def test_a_dynamodb_key_function_moved_to_the_day() -> None:
    patch = """\
@@ -10,5 +10,5 @@ const layout = "2006-01-02T15:04:05Z"
 func auditKey(a Audit) (pk, sk string) {
-	return "USER#" + a.UserID, "AT#" + a.At.Format(layout)
+	return "DAY#" + a.At.UTC().Format("2006-01-02"), a.At.Format(layout) + "#" + a.UserID
 }
"""
    [hit] = findings("internal/audit/keys.go", patch)
    assert hit.strength == 0.5 and "the date" in hit.message


def test_a_java_kafka_record_key_from_the_hour() -> None:
    patch = """\
@@ -30,4 +30,4 @@ public class ClickProducer {
     private String partitionKey(Click click) {
-        return click.getSessionId();
+        return LocalDate.now().toString();
     }
"""
    [hit] = findings("src/main/java/ads/ClickProducer.java", patch)
    assert hit.strength == 0.5


def test_not_a_key_moved_to_another_id() -> None:
    patch = """\
@@ -5,3 +5,3 @@
-        MessageGroupId=order["order_id"],
+        MessageGroupId=order["customer_id"],
"""
    assert findings("app/publish.py", patch) == []


def test_not_a_consumer_group_or_a_cache_key() -> None:
    consumer = """\
@@ -1,3 +1,3 @@
-    "group.id": os.environ["CONSUMER_GROUP"],
+    "group.id": "billing-consumers",
"""
    assert findings("app/consumer.py", consumer) == []
    cache = """\
@@ -8,3 +8,3 @@ def cache_key(user):
-    return f"profile:{user.id}"
+    return "profile"
"""
    assert findings("app/cache.py", cache) == []


def test_not_a_new_key_a_comment_or_a_test() -> None:
    new = """\
@@ -1,2 +1,5 @@
+def routing_key(event):
+    return "audit"
"""
    assert findings("app/routing.py", new) == [], "nothing it replaces came from an id"
    comment = '@@ -3,3 +3,3 @@\n-    # PartitionKey=record.id\n+    # PartitionKey="all"\n'
    assert findings("app/stream.py", comment) == []
    test = '@@ -3,3 +3,3 @@\n-    PartitionKey=rec.id,\n+    PartitionKey="fixed",\n'
    assert findings("tests/test_stream.py", test) == []


def test_its_symptoms_are_read_in_a_hot_partition_incident() -> None:
    text = "ProvisionedThroughputExceededException: throughput exceeded; queue backlog grows"
    assert {"throttling", "queue"} <= families([text])
