"""blocking_call_in_async: a synchronous, blocking call added inside an async function."""

from __future__ import annotations

from agents.root_cause.detectors import blocking_call_in_async
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return blocking_call_in_async.detect(change_facts("PR #1", [file], {file: patch}))


# --- hits ------------------------------------------------------------------------------------


def test_requests_get_in_an_async_handler_found_through_the_hunk_header() -> None:
    patch = """\
@@ -30,6 +30,9 @@ async def get_order(order_id: str, db: Session = Depends(db)) -> Order:
     order = await db.get(Order, order_id)
     if order is None:
         raise HTTPException(404)
+    rating = requests.get(f"{RATINGS_URL}/{order.sku}", timeout=3).json()
+    order.rating = rating["score"]
     return order
"""
    [hit] = findings("app/api/orders.py", patch)
    assert (hit.file, hit.line) == ("app/api/orders.py", 33)
    assert "`requests.get`" in hit.message and "get_order" in hit.message
    assert "latency" in hit.symptoms and "timeouts" in hit.symptoms


def test_a_sleep_in_an_async_def_added_in_the_same_patch() -> None:
    patch = """\
@@ -10,3 +10,8 @@ import time
 import os
 import json
+async def poll_status(job_id):
+    while not done(job_id):
+        time.sleep(0.5)
+    return result(job_id)
+
"""
    [hit] = findings("worker/poll.py", patch)
    assert hit.line == 14 and "time.sleep" in hit.message


def test_a_sync_file_read_in_an_async_javascript_function() -> None:
    patch = """\
@@ -8,4 +8,5 @@ router.get('/templates/:id', async function renderTemplate(req, res) {
   const id = req.params.id;
+  const body = fs.readFileSync(path.join(TEMPLATES, id + '.html'), 'utf8');
   res.send(render(body, req.query));
 });
"""
    [hit] = findings("src/routes/templates.js", patch)
    assert "readFileSync" in hit.message


# --- no hits ---------------------------------------------------------------------------------


def test_an_awaited_or_threaded_call_is_no_hit() -> None:
    patch = """\
@@ -30,4 +30,6 @@ async def get_order(order_id: str) -> Order:
     order = await load(order_id)
+    rating = await asyncio.to_thread(requests.get, RATINGS_URL, timeout=3)
+    await asyncio.sleep(0.5)
     return order
"""
    assert findings("app/api/orders.py", patch) == []


def test_a_blocking_call_in_a_synchronous_function_is_no_hit() -> None:
    patch = """\
@@ -5,3 +5,7 @@ import requests
 import os
 import json
+def fetch_rates():
+    return requests.get(RATES_URL, timeout=5).json()
+
+
"""
    assert findings("jobs/rates.py", patch) == []
    nested = """\
@@ -40,3 +40,7 @@ async def refresh(app):
     loop = asyncio.get_running_loop()
+    def fetch():
+        return requests.get(RATES_URL, timeout=5).json()
+    rates = await loop.run_in_executor(None, fetch)
"""
    assert findings("jobs/rates.py", nested) == []


def test_tests_comments_and_calls_after_the_async_function_ended_are_no_hits() -> None:
    patch = """\
@@ -1,3 +1,7 @@
 async def handler(request):
     return web.Response(text="ok")
+
+def warm_cache():
+    time.sleep(1)
+    # requests.get(URL) was here
"""
    assert findings("app/handlers.py", patch) == []
    in_test = """\
@@ -3,3 +3,4 @@ async def test_handler(client):
     resp = await client.get("/")
+    time.sleep(0.1)
"""
    assert findings("tests/test_handlers.py", in_test) == []
