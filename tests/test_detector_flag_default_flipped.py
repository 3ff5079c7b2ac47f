"""flag_default_flipped: a feature flag's default or fallback turned on."""

from __future__ import annotations

from agents.root_cause.detectors import flag_default_flipped
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return flag_default_flipped.detect(change_facts("PR #1", [file], {file: patch}))


def test_yaml_flag_file_default_turned_on() -> None:
    patch = """\
@@ -1,6 +1,6 @@
 flags:
   new_checkout_flow:
-    enabled: false
+    enabled: true
     owner: payments
   legacy_export:
"""
    [hit] = findings("config/feature_flags.yaml", patch)
    assert (hit.file, hit.line) == ("config/feature_flags.yaml", 3)
    assert "new_checkout_flow.enabled" in hit.message and "false → true" in hit.message
    assert "errors" in hit.symptoms


def test_openfeature_default_variant_changed() -> None:
    patch = """\
@@ -3,7 +3,7 @@
     "search-reranker-v2": {
       "state": "ENABLED",
       "variants": { "on": true, "off": false },
-      "defaultVariant": "off"
+      "defaultVariant": "on"
     }
   }
"""
    [hit] = findings("flags/flagd.json", patch)
    assert hit.line == 6
    assert "search-reranker-v2" in hit.message and "defaultVariant changed: off → on" in hit.message


def test_code_fallback_flipped_in_python_go_and_java() -> None:
    python = """\
@@ -8,3 +8,3 @@ def use_async_ledger() -> bool:
-    return os.getenv("FEATURE_ASYNC_LEDGER", "false") == "true"
+    return os.getenv("FEATURE_ASYNC_LEDGER", "true") == "true"
"""
    go = """\
@@ -20,3 +20,3 @@ func newHandler(ld *ldclient.LDClient, user ldcontext.Context) *Handler {
-\tbatched, _ := ld.BoolVariation("batched-writes", user, false)
+\tbatched, _ := ld.BoolVariation("batched-writes", user, true)
 \treturn &Handler{batched: batched}
"""
    java = """\
@@ -14,3 +14,3 @@ public class PricingConfig {
-    @Value("${features.dynamic-pricing:false}")
+    @Value("${features.dynamic-pricing:true}")
     private boolean dynamicPricing;
"""
    [py] = findings("ledger/settings.py", python)
    [golang] = findings("internal/handler/handler.go", go)
    [jv] = findings("src/main/java/com/example/PricingConfig.java", java)
    assert py.line == 8 and '"false" → "true"' not in py.message and "false → true" in py.message
    assert golang.line == 20 and "BoolVariation" in golang.message
    assert jv.line == 14 and "dynamic-pricing" in jv.message


def test_env_file_and_rollout_raised_to_100() -> None:
    env = "@@ -1,2 +1,2 @@\n-FEATURE_SPLIT_SHIPMENTS=off\n+FEATURE_SPLIT_SHIPMENTS=on\n A=1\n"
    rollout = """\
@@ -1,5 +1,5 @@
 flags:
   smart_routing:
     enabled: true
-    rollout_percentage: 5
+    rollout_percentage: 100
"""
    [flag] = findings(".env.production", env)
    [pct] = findings("config/flags.yaml", rollout)
    assert (
        flag.line == 1 and "FEATURE_SPLIT_SHIPMENTS" in flag.message and "off → on" in flag.message
    )
    assert pct.line == 4 and "rollout raised to 100%: 5 → 100" in pct.message
    assert pct.strength >= 0.7


# --- near misses -----------------------------------------------------------------------------


def test_flag_turned_off_is_the_opposite_direction() -> None:
    patch = """\
@@ -1,4 +1,4 @@
 flags:
   new_checkout_flow:
-    enabled: true
+    enabled: false
"""
    assert findings("config/feature_flags.yaml", patch) == []


def test_unrelated_boolean_and_partial_rollout() -> None:
    config = "@@ -1,2 +1,2 @@\n-pretty_print: false\n+pretty_print: true\n port: 8080\n"
    rollout = """\
@@ -1,4 +1,4 @@
 flags:
   smart_routing:
-    rollout_percentage: 5
+    rollout_percentage: 25
"""
    code = """\
@@ -3,3 +3,3 @@
-    client = Client(debug=False)
+    client = Client(debug=True)
"""
    assert findings("config/app.yaml", config) == []
    assert findings("config/flags.yaml", rollout) == []
    assert findings("app/client.py", code) == []


def test_tls_switches_belong_to_another_detector() -> None:
    patch = "@@ -1 +1 @@\n-  verify_ssl_enabled: false\n+  verify_ssl_enabled: true\n"
    assert findings("config/features.yaml", patch) == []


def test_tests_and_comments_are_ignored() -> None:
    test_file = """\
@@ -3,3 +3,3 @@
-    flags = {"new_checkout_flow": False}
+    flags = {"new_checkout_flow": True}
"""
    comment = (
        "@@ -1,2 +1,2 @@\n-# new_checkout_flow: false\n+# new_checkout_flow: true\n flags: {}\n"
    )
    assert findings("tests/test_checkout.py", test_file) == []
    assert findings("config/feature_flags.yaml", comment) == []


def test_an_ordinary_keyword_argument_is_not_a_flag() -> None:
    patch = """\
@@ -3,3 +3,3 @@
-    resp = session.get(url, allow_redirects=False)
+    resp = session.get(url, allow_redirects=True)
"""
    assert findings("app/fetch.py", patch) == []
