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
