"""selector_changed: a Service's, Deployment's or policy's label selector changed."""

from __future__ import annotations

from agents.root_cause.detectors import selector_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return selector_changed.detect(change_facts("PR #1", [file], {file: patch}))


# --- hits --------------------------------------------------------------------------------------


def test_a_services_selector_moved_to_new_labels() -> None:
    patch = """\
@@ -8,6 +8,7 @@ spec:
   ports:
     - port: 80
       targetPort: http
   selector:
-    app: billing-web
+    app.kubernetes.io/name: billing-web
+    app.kubernetes.io/instance: prod
"""
    [hit] = findings("deploy/billing-web/service.yaml", patch)
    assert "`app: billing-web` → `app.kubernetes.io/name: billing-web; app.kube…`" in hit.message
    assert hit.line == 12 and "availability" in hit.symptoms and hit.strength == 0.55


def test_a_charts_selector_now_from_a_template_helper() -> None:
    patch = """\
@@ -10,7 +10,7 @@ spec:
   replicas: {{ .Values.replicaCount }}
   selector:
     matchLabels:
-      app: {{ .Chart.Name }}
+      {{- include "search.selectorLabels" . | nindent 6 }}
"""
    [hit] = findings("charts/search/templates/deployment.yaml", patch)
    assert "`app: {{ .Chart.Name }}` → `search.selectorLabels`" in hit.message


def test_a_network_policys_pod_selector_changed_inline() -> None:
    patch = """\
@@ -5,4 +5,4 @@ metadata:
 spec:
-  podSelector: {matchLabels: {role: db}}
+  podSelector: {matchLabels: {tier: database}}
   policyTypes: [Ingress]
"""
    [hit] = findings("k8s/netpol-db.yaml", patch)
    assert "`{matchLabels: {role: db}}` → `{matchLabels: {tier: database}}`" in hit.message


# --- near misses -------------------------------------------------------------------------------


def test_metadata_labels_alone_select_nothing() -> None:
    patch = """\
@@ -3,6 +3,7 @@ metadata:
   name: billing-web
   labels:
     app: billing-web
+    team: payments
 spec:
   selector:
     app: billing-web
"""
    assert findings("deploy/billing-web/service.yaml", patch) == []


def test_a_selector_written_again_the_same_is_no_change() -> None:
    patch = """\
@@ -8,4 +8,4 @@ spec:
   selector:
-    tier: web
-    app: shop
+    app: shop
+    tier: web
"""
    assert findings("deploy/shop/service.yaml", patch) == []


def test_docs_tests_code_and_comments_are_ignored() -> None:
    patch = "@@ -1,3 +1,3 @@\n selector:\n-  app: a\n+  app: b\n"
    assert findings("docs/k8s-labels.md", patch) == []
    assert findings("tests/fixtures/service.yaml", patch) == []
    assert findings("src/selector.py", patch) == []
    commented = "@@ -1,3 +1,3 @@\n selector:\n-  # app: a\n+  # app: b\n   app: c\n"
    assert findings("deploy/svc.yaml", commented) == []
