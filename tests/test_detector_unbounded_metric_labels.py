"""unbounded_metric_labels: a request's own path or an id put into a metric's labels."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import unbounded_metric_labels
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, added: str, removed: str = "", after: str = "") -> list[Finding]:
    minus = f"-{removed}\n" if removed else ""
    patch = f"@@ -10,2 +10,3 @@\n def f():\n{minus}+{added}\n{after}"
    return unbounded_metric_labels.detect(change_facts("PR #1", [file], {file: patch}))


@pytest.mark.parametrize(
    ("file", "added", "after"),
    [
        ("app/metrics.py", "    REQUESTS.labels(request.method, request.path).inc()", ""),
        ("internal/mw/metrics.go",
         "\tlatency.WithLabelValues(r.Method, r.URL.Path).Observe(d.Seconds())", ""),
        ("src/mw/metrics.ts", "  const path = `${req.baseUrl}${req.path}`;",
         "   histogram.observe({ method: req.method, path }, seconds);\n"),
        ("src/mw/timing.js", "  const route = req.originalUrl;",
         "   const labels = { method: req.method, route, status: res.statusCode };\n"),
        ("billing/charge.py", '  statsd.increment("paid", tags=[f"customer:{customer_id}"])', ""),
        ("src/main/java/Metrics.java",
         '  registry.counter("http", Tags.of("uri", request.getRequestURI())).increment();',
         ""),
    ],
)  # fmt: skip
def test_an_unbounded_value_in_metric_labels(file: str, added: str, after: str) -> None:
    [hit] = findings(file, added, after=after)
    assert hit.line == 11 and "memory" in hit.symptoms and "series" in hit.message


@pytest.mark.parametrize(
    ("file", "added", "removed", "after"),
    [
        # the route template the framework matched: a fixed set of values
        ("src/mw/metrics.ts", "  const route = req.route ? req.route.path : 'unmatched';", "",
         "   const labels = { method: req.method, route };\n"),
        ("internal/mw/metrics.go",
         "\tlatency.WithLabelValues(r.Method, mux.CurrentRoute(r).Pattern).Observe(s)", "", ""),
        # the path in a log line, not a metric
        ("app/views.py", '  log.info("slow", path=request.path, user_id=user_id)', "", ""),
        # a set of ids in memory is no metric label
        ("app/seen.py", "    seen_users.add(user_id)", "", ""),
        # an assigned path used for a redirect, not by a metric
        ("src/auth.ts", "  const url = req.originalUrl;", "",
         "   return reply.redirect(`/login?next=${url}`);\n"),
        # removed, not added
        ("app/metrics.py", "    pass", "    REQUESTS.labels(request.path).inc()", ""),
        # a test
        ("tests/test_metrics.py", "    REQUESTS.labels('GET', request.path).inc()", "", ""),
    ],
)  # fmt: skip
def test_no_unbounded_label_added(file: str, added: str, removed: str, after: str) -> None:
    assert findings(file, added, removed, after) == []
