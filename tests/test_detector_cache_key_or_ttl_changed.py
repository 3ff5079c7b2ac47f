"""cache_key_or_ttl_changed: cache keys made more specific or renamed, TTLs cut, caching removed."""

from __future__ import annotations

from agents.root_cause.detectors import cache_key_or_ttl_changed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return cache_key_or_ttl_changed.detect(change_facts("PR #1", [file], {file: patch}))


def test_python_cache_key_now_includes_the_query_string() -> None:
    patch = """\
@@ -10,4 +10,4 @@ def product(request, pid):
-    cache_key = f"product:{pid}"
+    cache_key = f"product:{pid}:{request.get_full_path()}"
     data = cache.get(cache_key)
     if data is None:
"""
    [hit] = findings("app/views.py", patch)
    assert (hit.file, hit.line) == ("app/views.py", 10)
    assert "cache key now includes 'full_path'" in hit.message
    assert "cache" in hit.symptoms


def test_typescript_cache_key_with_a_timestamp_never_hits() -> None:
    patch = (
        "@@ -3 +3 @@\n"
        "-  const cacheKey = `feed:${userId}`;\n"
        "+  const cacheKey = `feed:${userId}:${Date.now()}`;\n"
    )
    [hit] = findings("src/feed/cache.ts", patch)
    assert hit.line == 3
    assert "'Date.now'" in hit.message and "nothing is ever hit" in hit.message
    assert hit.strength >= 0.8


def test_cache_key_version_bumped_in_go() -> None:
    patch = (
        "@@ -14 +14 @@\n"
        '-\tcacheKey := fmt.Sprintf("items:v1:%s", id)\n'
        '+\tcacheKey := fmt.Sprintf("items:v2:%s", id)\n'
    )
    [hit] = findings("internal/items/cache.go", patch)
    assert hit.line == 14
    assert "cache key version changed v1 → v2" in hit.message


def test_ttl_set_to_zero_and_ttl_literal_cut_in_ruby() -> None:
    yaml = "@@ -1,3 +1,3 @@\n cache:\n-  ttl: 3600\n+  ttl: 0\n   backend: redis\n"
    [zero] = findings("config/cache.yaml", yaml)
    assert zero.line == 2 and "cache.ttl set 3600 → 0" in zero.message
    ruby = """\
@@ -3,3 +3,3 @@ class Price
   def current
-    Rails.cache.fetch([self, "price"], expires_in: 12.hours) do
+    Rails.cache.fetch([self, "price"], expires_in: 5.minutes) do
"""
    [cut] = findings("app/models/price.rb", ruby)
    assert cut.line == 4
    assert "expires_in lowered 12.hours → 5.minutes" in cut.message
    assert "144× shorter TTL" in cut.message


def test_django_cache_timeout_and_http_max_age() -> None:
    django = """\
@@ -1,5 +1,5 @@
 CACHES = {
     "default": {
         "BACKEND": "django.core.cache.backends.redis.RedisCache",
-        "TIMEOUT": 300,
+        "TIMEOUT": 30,
"""
    [hit] = findings("app/settings.py", django)
    assert hit.line == 4 and "TIMEOUT lowered 300 → 30" in hit.message
    nginx = (
        "@@ -8 +8 @@\n"
        '-    add_header Cache-Control "public, max-age=3600";\n'
        '+    add_header Cache-Control "public, max-age=60";\n'
    )
    [edge] = findings("deploy/nginx/site.conf", nginx)
    assert "max-age lowered 3600 → 60" in edge.message


def test_caching_removed_or_switched_off() -> None:
    python = """\
@@ -3,4 +3,3 @@
-@lru_cache(maxsize=1024)
 def load_currencies():
     return fetch_currencies()
"""
    [removed] = findings("app/currency.py", python)
    assert removed.line == 3 and "caching removed: @lru_cache" in removed.message
    [off] = findings(".env", "@@ -1 +1 @@\n-CACHE_ENABLED=true\n+CACHE_ENABLED=false\n")
    assert off.line == 1 and "caching switched off" in off.message


def test_key_function_now_puts_the_query_string_into_a_multi_line_key() -> None:
    python = """\
@@ -20,9 +20,7 @@ def listing_cache_key(request):
     return ":".join(
         [
             "listing",
-            request.query_params.get("category", ""),
-            request.query_params.get("page", "1"),
+            str(request.url.query),
         ]
     )
"""
    [py] = findings("shop/views/listing.py", python)
    assert (py.file, py.line) == ("shop/views/listing.py", 23)
    assert "cache key built in listing_cache_key() now includes 'request.url.query'" in py.message
    assert "instead of category, page" in py.message and py.strength == 0.6
    typescript = """\
@@ -4,8 +4,7 @@ import type { Request } from "express";
 export function cacheKeyForListing(req: Request): string {
   return [
     "listing",
-    req.query.category ?? "",
-    req.query.page ?? "1",
+    req.originalUrl,
   ].join(":");
 }
"""
    [ts] = findings("web/src/listing/keys.ts", typescript)
    assert ts.line == 7 and "cacheKeyForListing() now includes 'originalUrl'" in ts.message
    assert "instead of category, page" in ts.message


def test_key_for_functions_in_cache_modules_in_go_java_and_ruby() -> None:
    go = """\
@@ -10,8 +10,7 @@ import (
 func listingKeyFor(r *http.Request) string {
 \treturn strings.Join([]string{
 \t\t"listing",
-\t\tr.URL.Query().Get("category"),
-\t\tr.URL.Query().Get("page"),
+\t\tr.URL.RawQuery,
 \t}, ":")
 }
"""
    java = """\
@@ -12,8 +12,7 @@ public final class ListingKeys {
     static String cacheKeyFor(HttpServletRequest request) {
         return String.join(":",
             "listing",
-            request.getParameter("category"),
-            request.getParameter("page"));
+            request.getQueryString());
     }
 }
"""
    ruby = """\
@@ -2,7 +2,7 @@ module Listing
   def self.listing_cache_key(request)
     [
       "listing",
-      request.params["category"],
+      request.headers.to_h,
     ].join(":")
   end
"""
    [g] = findings("internal/cache/keys.go", go)
    [j] = findings("src/main/java/shop/ListingKeys.java", java)
    [r] = findings("app/services/listing.rb", ruby)
    assert g.line == 13 and "listingKeyFor() now includes 'RawQuery'" in g.message
    assert j.line == 15 and "cacheKeyFor() now includes 'getQueryString'" in j.message
    assert r.line == 5 and "'request.headers.to_h' instead of category" in r.message


def test_key_function_with_a_url_or_a_timestamp_spread_over_lines() -> None:
    method = """\
@@ -30,5 +30,5 @@ class ListingView(View):
     def listing_cache_key(self, request):
         return "listing:" + ":".join(
-            (self.kwargs["category"], request.GET.get("page", "1"))
+            (self.kwargs["category"], request.url)
         )
"""
    arrow = """\
@@ -1,6 +1,6 @@
 export const cacheKeyForFeed = (req: Request): string =>
   [
     "feed",
-    req.params.region,
+    Date.now(),
   ].join(":");
"""
    [url] = findings("app/catalog/views.py", method)
    [now] = findings("src/feed/keys.ts", arrow)
    assert url.line == 32 and "now includes 'request.url' instead of page" in url.message
    assert now.line == 4 and "'Date.now'" in now.message and now.strength == 0.8


def test_key_version_constants_bumped_in_cache_modules_are_weaker() -> None:
    python = "@@ -3 +3 @@\n-KEY_VERSION = 3\n+KEY_VERSION = 4\n"
    [py] = findings("app/cache/keys.py", python)
    assert py.line == 3 and "KEY_VERSION changed 3 → 4: every key misses at once" in py.message
    assert py.strength == 0.4 and "cache" in py.symptoms
    kotlin = (
        "@@ -3 +3 @@\n"
        '-    private const val KEY_PREFIX = "q1"\n'
        '+    private const val KEY_PREFIX = "q2"\n'
    )
    [kt] = findings("src/main/kotlin/shop/cache/Keys.kt", kotlin)
    assert "KEY_PREFIX changed q1 → q2" in kt.message and kt.strength == 0.4
    yaml = "@@ -1,3 +1,3 @@\n cache:\n-  key_version: 1\n+  key_version: 2\n"
    [block] = findings("config/app.yaml", yaml)
    assert block.line == 2 and "cache.key_version changed 1 → 2" in block.message
    go = '@@ -5 +5 @@\n-const CACHE_VERSION = "v7"\n+const CACHE_VERSION = "v8"\n'
    [anywhere] = findings("internal/listing/store.go", go)
    assert "CACHE_VERSION changed v7 → v8" in anywhere.message


def test_key_function_given_one_more_named_parameter_is_fine() -> None:
    patch = """\
@@ -20,8 +20,9 @@ def listing_cache_key(request):
     return ":".join(
         [
             "listing",
             request.query_params.get("category", ""),
             request.query_params.get("page", "1"),
+            request.query_params.get("sort", "relevance"),
         ]
     )
"""
    go = """\
@@ -10,7 +10,8 @@ import (
 func listingKeyFor(r *http.Request) string {
 \treturn strings.Join([]string{
 \t\tr.URL.Query().Get("category"),
+\t\tr.URL.Query().Get("sort"),
 \t}, ":")
 }
"""
    assert findings("shop/views/listing.py", patch) == []
    assert findings("internal/cache/keys.go", go) == []


def test_versions_and_prefixes_outside_caches_are_not_findings() -> None:
    api = "@@ -1 +1 @@\n-export const API_VERSION = 2;\n+export const API_VERSION = 3;\n"
    signer = "@@ -5 +5 @@\n-const keyVersion = 3\n+const keyVersion = 4\n"
    bucket = '@@ -3 +3 @@\n-S3_KEY_PREFIX = "exports/v1/"\n+S3_KEY_PREFIX = "exports/v2/"\n'
    assert findings("src/api/client.ts", api) == []
    assert findings("internal/keys/signer.go", signer) == []
    assert findings("app/exports.py", bucket) == []


def test_docstrings_and_other_functions_are_not_keys() -> None:
    docstring = """\
@@ -20,4 +20,4 @@
 def listing_cache_key(request):
-    \"\"\"The key of a listing page: its category and page.\"\"\"
+    \"\"\"The key of a listing page: category and page, not request.url.query\"\"\"
     return ":".join(
"""
    logged = """\
@@ -20,4 +20,4 @@
 def render_listing(request):
-    log.info("listing %s", request.path)
+    log.info("listing %s", request.url)
     return render(request)
"""
    key_for_elsewhere = """\
@@ -1,5 +1,5 @@
 def route_key_for(request):
     return (
-        request.method,
+        request.url,
     )
"""
    assert findings("shop/views/listing.py", docstring) == []
    assert findings("shop/views/listing.py", logged) == []
    assert findings("shop/routing.py", key_for_elsewhere) == []


def test_raised_ttl_is_not_a_finding() -> None:
    patch = "@@ -1,2 +1,2 @@\n cache:\n-  ttl: 60\n+  ttl: 3600\n"
    assert findings("config/cache.yaml", patch) == []


def test_token_and_session_expiry_are_not_caches() -> None:
    patch = "@@ -1,3 +1,3 @@\n auth:\n-  token_ttl: 3600\n+  token_ttl: 600\n"
    assert findings("config/auth.yaml", patch) == []
    session = "@@ -1 +1 @@\n-SESSION_EXPIRY_SECONDS=86400\n+SESSION_EXPIRY_SECONDS=3600\n"
    assert findings(".env", session) == []


def test_new_cache_keyed_per_user_and_a_decorator_moved_are_not_findings() -> None:
    added = '@@ -1,0 +1,1 @@\n+    cache_key = f"prefs:{user_id}"\n'
    assert findings("app/prefs.py", added) == []
    moved = """\
@@ -1,6 +1,6 @@
-@lru_cache(maxsize=256)
 def a():
     return 1
+@lru_cache(maxsize=256)
 def b():
     return 2
"""
    assert findings("app/helpers.py", moved) == []


def test_tests_and_comments_are_ignored() -> None:
    test = '@@ -1 +1 @@\n-    cache_key = f"p:{pid}"\n+    cache_key = f"p:{pid}:{time.time()}"\n'
    assert findings("tests/test_views.py", test) == []
    comment = "@@ -1,2 +1,2 @@\n cache:\n-  # ttl: 3600\n+  # ttl: 0\n"
    assert findings("config/cache.yaml", comment) == []


def test_a_key_that_read_named_values_through_an_alias_now_takes_the_whole_request() -> None:
    python = """\
@@ -30,9 +30,7 @@ def search_cache_key(request):
-    args = request.args
     return "|".join((
         "search",
-        args.get("q", ""),
-        args["region"],
+        request.query_string.decode(),
     ))
"""
    [py] = findings("api/search.py", python)
    assert py.line == 32 and "search_cache_key() now includes 'query_string'" in py.message
    typescript = """\
@@ -2,7 +2,6 @@
 export function reportCacheKey(req: Request): string {
-  const q = req.query;
-  return `report:${q.team}:${q.week}`;
+  return `report:${req.originalUrl}`;
 }
"""
    [ts] = findings("src/reports/cache.ts", typescript)
    assert ts.line == 3 and "'originalUrl'" in ts.message
    ruby = """\
@@ -8,6 +8,5 @@ module Catalog
   def self.page_cache_key(request)
-    p = request.params
-    ["catalog", p[:category], p[:page]].join(":")
+    ["catalog", request.fullpath].join(":")
   end
"""
    [rb] = findings("app/models/catalog.rb", ruby)
    assert rb.line == 9 and "full" in rb.message.lower()


def test_an_alias_of_the_whole_request_value_already_in_the_key_is_not_a_finding() -> None:
    inlined = """\
@@ -30,6 +30,5 @@ def search_cache_key(request):
-    qs = request.query_string
-    return "search|" + qs.decode()
+    return "search|" + request.query_string.decode()
"""
    named_kept = """\
@@ -30,7 +30,8 @@ def search_cache_key(request):
     args = request.args
     return "|".join((
         "search",
         args.get("q", ""),
+        args.get("region", "eu"),
     ))
"""
    passed_on = """\
@@ -2,5 +2,5 @@
 export function reportCacheKey(req: Request): string {
   const q = req.query;
-  return buildKey("report", q);
+  return buildKey("report:v2", q, req.originalUrl);
 }
"""
    assert findings("api/search.py", inlined) == []
    assert findings("api/search.py", named_kept) == []
    assert findings("src/reports/cache.ts", passed_on) == []


def test_a_kept_cache_lookup_removed_sends_every_call_to_the_backend() -> None:
    go = """\
@@ -40,12 +40,6 @@ func (s *Signer) key(ctx context.Context, id string) ([]byte, error) {
-    if k, ok := s.keyCache.Get(id); ok {
-        return k, nil
-    }
     out, err := s.hsm.Unwrap(ctx, id)
     if err != nil {
         return nil, err
     }
-    s.keyCache.Add(id, out)
     return out, nil
"""
    [hit] = findings("internal/signer/signer.go", go)
    assert "caching removed" in hit.message and "throttling" in hit.symptoms
    py = """\
@@ -10,6 +10,4 @@ def rates(self, currency):
-        cached = self.rate_cache.get(currency)
-        if cached is not None:
-            return cached
         return self.client.fetch_rates(currency)
"""
    [rates] = findings("app/fx.py", py)
    assert "caching removed" in rates.message


def test_a_lookup_moved_to_another_cache_is_not_a_finding() -> None:
    moved = """\
@@ -10,4 +10,4 @@ def rates(self, currency):
-        cached = self.rate_cache.get(currency)
+        cached = self.shared_cache.get(f"fx:{currency}")
         if cached is not None:
"""
    assert findings("app/fx.py", moved) == []
