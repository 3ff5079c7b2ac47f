"""response_uncacheable: responses that shared caches (a CDN, a proxy) can no longer store."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import response_uncacheable
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return response_uncacheable.detect(change_facts("PR #1", [file], {file: patch}))


# --- hits ------------------------------------------------------------------------------------


def test_session_middleware_moved_from_two_routes_to_every_route() -> None:
    patch = """\
@@ -14,6 +14,7 @@ export function mount(app: Express) {
   app.use(compression());
-  app.use('/cart', session(sessionOptions), cartRouter);
-  app.use('/me', session(sessionOptions), meRouter);
+  app.use(session(sessionOptions));
+  app.use('/cart', cartRouter);
+  app.use('/me', meRouter);
   app.use(router);
"""
    [hit] = findings("src/server/mount.ts", patch)
    assert hit.line == 15 and "session middleware mounted for every route" in hit.message
    assert "cache" in hit.symptoms and "latency" in hit.symptoms


def test_django_session_middleware_added() -> None:
    patch = """\
@@ -40,6 +40,7 @@ MIDDLEWARE = [
     "django.middleware.security.SecurityMiddleware",
+    "django.contrib.sessions.middleware.SessionMiddleware",
     "django.middleware.common.CommonMiddleware",
 ]
"""
    [hit] = findings("shop/settings/production.py", patch)
    assert "Set-Cookie" in hit.message


@pytest.mark.parametrize(
    ("file", "old", "line", "said"),
    [
        ("src/pages/product.tsx", "  res.setHeader('Cache-Control', 'public, max-age=600');",
         "  res.setHeader('Cache-Control', 'private, max-age=60');", "Cache-Control private"),
        ("deploy/nginx/site.conf", '    add_header Cache-Control "public, s-maxage=300";',
         '    add_header Cache-Control "no-store" always;', "Cache-Control no-store"),
        ("app/controllers/catalog.rb", "    expires_in 5.minutes",
         '    response.headers["Vary"] = "Accept-Encoding, Cookie"', "vary on Cookie"),
        ("edge/main.vcl", "  set beresp.ttl = 300s;", '  set beresp.http.Vary = "User-Agent";',
         "vary on User-Agent"),
    ],
)  # fmt: skip
def test_cache_headers_that_keep_shared_caches_from_storing(
    file: str, old: str, line: str, said: str
) -> None:
    [hit] = findings(file, f"@@ -3,3 +3,3 @@\n context\n-{old}\n+{line}\n context\n")
    assert said in hit.message, hit.message


# --- no hits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "  app.use('/account', session(sessionOptions), accountRouter);",  # one path keeps it
        "  res.setHeader('Cache-Control', 'public, max-age=300, stale-while-revalidate=60');",
        '    add_header Vary "Accept-Encoding";',
        "  // app.use(session(sessionOptions)) would make every page uncacheable",
        "  const sessionTimeout = config.sessionTtl;",
        "  app.use(compression());",
    ],
)
def test_cacheable_responses_and_scoped_sessions_are_no_hit(line: str) -> None:
    assert findings("src/server/app.ts", f"@@ -3,2 +3,3 @@\n context\n+{line}\n context\n") == []


def test_a_new_private_header_where_nothing_was_cacheable_is_no_hit() -> None:
    patch = """\
@@ -50,3 +50,4 @@ router.get('/v1/refills/:id', async (req, res) => {
   const refill = await refills.get(req.params.id, req.user.id);
+  res.set('Cache-Control', 'private, no-store');
   res.json(refill);
"""
    assert findings("src/refills/routes.ts", patch) == []


def test_docs_and_tests_are_no_hit() -> None:
    patch = "@@ -1,1 +1,2 @@\n # caching\n+Set `Cache-Control: no-store` on account pages.\n"
    assert findings("docs/caching.md", patch) == []
    test = "@@ -1,1 +1,2 @@\n x\n+  app.use(session(opts));\n"
    assert findings("tests/test_app.ts", test) == []
