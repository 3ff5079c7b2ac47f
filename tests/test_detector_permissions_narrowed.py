"""permissions_narrowed: access a workload may still use taken away (IAM, RBAC, SQL)."""

from __future__ import annotations

from agents.root_cause.detectors import permissions_narrowed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding
from agents.root_cause.symptoms import families


def findings(file: str, patch: str) -> list[Finding]:
    return permissions_narrowed.detect(change_facts("PR #1", [file], {file: patch}))


# --- hits --------------------------------------------------------------------------------------


def test_a_wildcard_action_replaced_by_a_list_and_resources_scoped_to_a_prefix() -> None:
    patch = """\
@@ -10,10 +10,14 @@ data "aws_iam_policy_document" "thumbnailer" {
   statement {
-    actions   = ["s3:*"]
-    resources = [
-      aws_s3_bucket.media.arn,
-      "${aws_s3_bucket.media.arn}/*",
+    actions = [
+      "s3:GetObject",
+      "s3:PutObject",
     ]
+    resources = ["${aws_s3_bucket.media.arn}/thumbs/*"]
   }
"""
    [hit] = findings("infra/iam/thumbnailer.tf", patch)
    assert "actions `s3:*` → `s3:GetObject`, `s3:PutObject`" in hit.message
    assert ("resources `${aws_s3_bucket.media.arn}/*`, `aws_s3_bucket.media.arn` → "
            "`${aws_s3_bucket.media.arn}/thumbs/*`") in hit.message  # fmt: skip
    assert hit.line == 11 and "auth" in hit.symptoms and hit.strength == 0.6


def test_an_action_removed_from_a_json_policy() -> None:
    patch = """\
@@ -4,9 +4,8 @@
     {
       "Effect": "Allow",
       "Action": [
         "sqs:ReceiveMessage",
-        "sqs:DeleteMessage",
-        "sqs:ChangeMessageVisibility"
+        "sqs:GetQueueAttributes"
       ],
       "Resource": "arn:aws:sqs:eu-west-1:111122223333:invoices"
     }
"""
    [hit] = findings("policies/invoice-worker.json", patch)
    assert "actions `sqs:ChangeMessageVisibility`, `sqs:DeleteMessage` removed" in hit.message


def test_rbac_verbs_removed_from_a_role() -> None:
    patch = """\
@@ -6,6 +6,6 @@ metadata:
 rules:
   - apiGroups: [""]
     resources: ["pods", "endpoints"]
-    verbs: ["get", "list", "watch"]
+    verbs: ["get"]
"""
    [hit] = findings("deploy/rbac/service-discovery-role.yaml", patch)
    assert "verbs `list`, `watch` removed" in hit.message


def test_an_explicit_deny_or_a_revoke_added() -> None:
    deny = """\
@@ -20,3 +20,9 @@
   statement {
     actions = ["kms:Decrypt"]
   }
+  statement {
+    effect    = "Deny"
+    actions   = ["kms:Decrypt"]
+    resources = [var.legacy_key_arn]
+  }
"""
    [hit] = findings("iam/payments.tf", deny)
    assert "an explicit Deny added" in hit.message
    revoke = ("@@ -1,2 +1,3 @@\n GRANT SELECT ON orders TO reporting;\n"
              "+REVOKE SELECT ON customers FROM reporting;\n")  # fmt: skip
    [hit] = findings("db/grants/V42__reporting_grants.sql", revoke)
    assert "REVOKE SELECT ON customers FROM reporting" in hit.message


# --- near misses -------------------------------------------------------------------------------


def test_widening_or_reformatting_a_policy_is_no_narrowing() -> None:
    wider = """\
@@ -3,3 +3,4 @@
     actions = [
       "s3:GetObject",
+      "s3:PutObject",
     ]
"""
    assert findings("iam/uploader.tf", wider) == []
    reflowed = """\
@@ -3,2 +3,5 @@
-    actions = ["s3:GetObject", "s3:PutObject"]
+    actions = [
+      "s3:PutObject",
+      "s3:GetObject",
+    ]
"""
    assert findings("iam/uploader.tf", reflowed) == []
    covered = """\
@@ -3,2 +3,2 @@
-    actions = ["s3:GetObject", "s3:PutObject"]
+    actions = ["s3:*"]
"""
    assert findings("iam/uploader.tf", covered) == []


def test_container_resources_images_and_condition_keys_are_no_grants() -> None:
    limits = """\
@@ -20,6 +20,6 @@ spec:
       containers:
         - name: api
-          image: "registry.example.com/api:Release1"
+          image: "registry.example.com/api:Release2"
           resources:
-            limits: {cpu: "2", memory: 2Gi}
+            limits: {cpu: "1", memory: 1Gi}
"""
    assert findings("deploy/api.yaml", limits) == []
    condition = """\
@@ -8,3 +8,3 @@
     condition {
-      values = ["s3:prefix", "exports/*"]
+      values = ["s3:prefix", "exports/2026/*"]
     }
"""
    assert findings("iam/exports.tf", condition) == []


def test_docs_tests_and_comments_are_ignored() -> None:
    patch = '@@ -1,2 +1,2 @@\n-    actions = ["s3:*"]\n+    actions = ["s3:GetObject"]\n'
    assert findings("docs/iam-examples.md", patch) == []
    assert findings("tests/fixtures/policy.tf", patch) == []
    commented = '@@ -1,2 +1,2 @@\n-#    actions = ["s3:*"]\n+#    actions = ["s3:GetObject"]\n'
    assert findings("iam/app.tf", commented) == []


def test_permission_errors_are_the_auth_family() -> None:
    assert "auth" in families(["botocore ClientError: AccessDenied when calling PutObject"])
    assert "auth" in families(
        ['pods is forbidden: User "system:serviceaccount:x" cannot list resource']
    )
    assert "auth" in families(["ERROR: permission denied for table customers"])
    assert "auth" not in families(["certificate has expired", "connection refused"])
