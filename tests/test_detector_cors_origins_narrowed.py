"""cors_origins_narrowed: the origins a browser may call an API from, narrowed."""

from __future__ import annotations

from agents.root_cause.detectors import cors_origins_narrowed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return cors_origins_narrowed.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_a_wildcard_pattern_moved_from_code_to_an_exact_list() -> None:
    code = """\
@@ -10,6 +10,2 @@ public class Web implements WebMvcConfigurer {
-    registry.addMapping("/api/**")
-        .allowedOriginPatterns("https://*.orchard.example", "https://*.orchard.example.de")
-        .allowCredentials(true);
     }
"""
    config = """\
@@ -3,3 +3,7 @@ app:
+  cors:
+    allowed-origins:
+      - https://www.orchard.example
+      - https://www.orchard.example.de
+      - https://admin.orchard.example
"""
    [hit] = findings({"src/main/java/shop/Web.java": code,
                      "src/main/resources/application-prod.yml": config})  # fmt: skip
    assert "`https://*.orchard.example`" in hit.message and "3 exact origins" in hit.message
    assert hit.file.endswith("application-prod.yml")  # the list that now decides
    assert "auth" in hit.symptoms and hit.strength >= 0.5


def test_an_origin_removed_from_an_express_cors_list() -> None:
    patch = """\
@@ -4,3 +4,3 @@
 app.use(cors({
-  origin: ["https://app.lumen.test", "https://partners.lumen.test"],
+  origin: ["https://app.lumen.test"],
 }));
"""
    [hit] = findings({"server/app.js": patch})
    assert "`https://partners.lumen.test`" in hit.message


def test_allow_all_replaced_in_an_environment_variable() -> None:
    patch = """\
@@ -1,2 +1,2 @@
-CORS_ORIGINS="*"
+CORS_ORIGINS="https://console.kestrel.test"
"""
    [hit] = findings({"deploy/production.env": patch})
    assert "`*`" in hit.message


# --- no hits ---------------------------------------------------------------------------------


def test_an_origin_added_is_no_narrowing() -> None:
    patch = """\
@@ -2,2 +2,3 @@ cors:
   allowed-origins:
     - https://www.orchard.example
+    - https://beta.orchard.example
"""
    assert findings({"config/application.yml": patch}) == []


def test_a_list_rewritten_with_the_same_origins_or_still_covered_is_not_reported() -> None:
    same = """\
@@ -1,2 +1,2 @@
-CORS_ORIGINS=https://a.kestrel.test,https://b.kestrel.test
+CORS_ORIGINS="https://a.kestrel.test,https://b.kestrel.test"
"""
    covered = """\
@@ -1,2 +1,2 @@
-allowedOrigins: ["https://shop.kestrel.test"]
+allowedOriginPatterns: ["https://*.kestrel.test"]
"""
    assert findings({"deploy/prod.env": same}) == []
    assert findings({"config/web.yaml": covered}) == []


def test_urls_that_are_not_cors_origins_staging_tests_and_docs_are_not_reported() -> None:
    upstream = """\
@@ -1,2 +1,2 @@
-payments_url: https://pay.vendor.test
+payments_url: https://api.pay.vendor.test
"""
    staging = """\
@@ -1,2 +1,2 @@
-  allowed-origins: ["https://*.stage.orchard.example"]
+  allowed-origins: ["https://www.stage.orchard.example"]
"""
    assert findings({"config/application.yml": upstream}) == []
    assert findings({"src/main/resources/application-staging.yml": staging}) == []
    assert findings({"src/test/java/shop/CorsTest.java": staging}) == []
    assert findings({"docs/cors.md": staging}) == []
