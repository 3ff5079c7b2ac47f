"""cookie_grows: a cookie or forwarded header that makes every later request larger."""

from __future__ import annotations

from agents.root_cause.detectors import cookie_grows
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding
from agents.root_cause.symptoms import families


def findings(file: str, patch: str) -> list[Finding]:
    return cookie_grows.detect(change_facts("PR #1", [file], {file: patch}))


def test_a_history_cookie_appended_to_on_every_visit() -> None:
    patch = """\
@@ -1,3 +1,12 @@
 import { cookies } from "next/headers";
+export function rememberViewed(sku: string) {
+  const seen: string[] = JSON.parse(cookies().get("recent")?.value ?? "[]");
+  seen.push(sku);
+  cookies().set("recent", JSON.stringify(seen), { maxAge: 60 * 60 * 24 * 365 });
+}
"""
    [hit] = findings("src/lib/recent.ts", patch)
    assert hit.strength == 0.5 and hit.line == 5 and hit.symptoms == ("headers",)


def test_a_flask_cookie_list_and_an_express_cookie() -> None:
    flask = """\
@@ -8,2 +8,7 @@ def track(resp, campaign):
+    seen = request.cookies.get("campaigns", "").split(",")
+    seen.append(campaign)
+    resp.set_cookie("campaigns", ",".join(seen), max_age=31536000)
+    return resp
"""
    [grows] = findings("web/tracking.py", flask)
    assert grows.strength == 0.5 and "grows with each visit" in grows.message
    express = """\
@@ -3,2 +3,4 @@ router.get("/", (req, res) => {
+  res.cookie("ab_bucket", bucketFor(req.user), { maxAge: 864e5 });
   res.render("home");
"""
    [new] = findings("src/routes/home.js", express)
    assert new.strength == 0.3 and "writes a new cookie" in new.message


def test_a_forwarded_header_from_a_collection_is_weak() -> None:
    patch = '@@ -4,2 +4,3 @@\n+  headers.set("x-flags", JSON.stringify(flags));\n'
    [hit] = findings("src/middleware.ts", patch)
    assert hit.strength == 0.3


def test_not_findings_bounded_expired_read_and_tests() -> None:
    bounded = """\
@@ -1,2 +1,6 @@
+  seen.push(sku);
+  const last = seen.slice(-10);
+  cookies().set("recent", JSON.stringify(last));
"""
    expired = '@@ -1,2 +1,2 @@\n+  res.cookie("legacy_cart", "", { maxAge: 0 });\n'
    read = '@@ -1,2 +1,2 @@\n+  const cart = req.cookies.get("cart");\n'
    in_tests = '@@ -1,2 +1,2 @@\n+  res.cookie("x", JSON.stringify(list));\n+  list.push(1);\n'
    assert findings("src/lib/recent.ts", bounded)[0].strength == 0.3  # a cookie, bounded
    assert findings("src/routes/cart.js", expired) == []
    assert findings("src/routes/cart.js", read) == []
    assert findings("src/lib/__tests__/recent.test.ts", in_tests) == []
    assert findings("docs/cookies.md", '@@ -1 +1,2 @@\n+res.cookie("a", "b")\n') == []


def test_only_headers_too_large_is_its_symptom() -> None:
    assert "headers" in families(["HTTP 400 Request Header Or Cookie Too Large"])
    assert "headers" in families(["HTTP 431 Request Header Fields Too Large"])
    assert "headers" not in families(["HTTP 400 Bad Request: invalid JSON body"])
    assert "headers" not in families(["431 requests in the last hour"])
