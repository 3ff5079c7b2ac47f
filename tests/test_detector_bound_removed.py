"""bound_removed: a clamp or maximum on what one request may ask for, dropped."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import bound_removed
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(patches: dict[str, str]) -> list[Finding]:
    return bound_removed.detect(change_facts("PR #1", list(patches), patches))


# --- hits ------------------------------------------------------------------------------------


def test_a_go_clamp_on_the_page_size_removed() -> None:
    patch = """\
@@ -20,9 +20,6 @@ func parseLimit(r *http.Request) (int, error) {
 \tn, err := strconv.Atoi(r.URL.Query().Get("limit"))
 \tif err != nil {
 \t\treturn 0, err
 \t}
-\tif n > maxRows {
-\t\tn = maxRows
-\t}
 \treturn n, nil
 }
"""
    [hit] = findings({"internal/api/limit.go": patch})
    assert (hit.file, hit.line) == ("internal/api/limit.go", 24)
    assert "`if n > maxRows {`" in hit.message and "memory" in hit.symptoms


def test_a_python_min_on_the_batch_size_removed() -> None:
    patch = """\
@@ -10,4 +10,4 @@ def export(request):
     size = int(request.GET.get("size", 100))
-    size = min(size, MAX_EXPORT_ROWS)
+    size = size or 100
     return stream(rows(size))
"""
    [hit] = findings({"reports/views.py": patch})
    assert "min(size, MAX_EXPORT_ROWS)" in hit.message


@pytest.mark.parametrize(
    ("file", "line"),
    [
        ("api/openapi.yaml", "          maximum: 500"),
        ("src/schemas/search.ts", "  limit: z.number().int().positive().max(200),"),
        ("src/main/java/com/acme/PageRequest.java", "    @Max(1000)"),
        ("db/queries/recent.sql", "ORDER BY created_at DESC LIMIT 500"),
    ],
)
def test_schema_and_query_maxima_removed(file: str, line: str) -> None:
    patch = f"@@ -3,3 +3,2 @@\n context\n-{line}\n context\n"
    assert findings({file: patch}), line


# --- no hits ---------------------------------------------------------------------------------


def test_a_bound_moved_to_configuration_is_no_hit() -> None:
    code = (
        "@@ -5,3 +5,3 @@\n x\n-    size = min(size, 500)\n"
        "+    size = min(size, settings.MAX_ROWS)\n"
    )
    assert findings({"reports/views.py": code}) == []


def test_a_removed_guard_that_does_not_clamp_is_no_hit() -> None:
    patch = """\
@@ -30,6 +30,4 @@ func (c *Client) call(ctx context.Context) error {
 \tfor attempt := 0; ; attempt++ {
-\t\tif attempt > maxRetries {
-\t\t\treturn errGaveUp
 \t\t}
"""
    assert findings({"internal/client/call.go": patch}) == []


def test_tests_docs_comments_and_unrelated_minimums_are_no_hit() -> None:
    assert findings({"internal/api/limit_test.go": "@@ -1,3 +1,2 @@\n x\n-\tif n > maxRows {\n"
                     "-\t\tn = maxRows\n"}) == []  # fmt: skip
    assert findings({"docs/api.md": "@@ -1,2 +1,1 @@\n-limit: maximum: 500\n x\n"}) == []
    assert findings({"src/a.py": "@@ -1,2 +1,1 @@\n-    # size = min(size, MAX_ROWS)\n x\n"}) == []
    assert findings({"src/a.py": "@@ -1,2 +1,1 @@\n-    width = min(left, right)\n x\n"}) == []
