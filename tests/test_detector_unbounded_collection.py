"""unbounded_collection: a process-wide collection that only grows, or a cache with no bound."""

from __future__ import annotations

from agents.root_cause.detectors import unbounded_collection
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return unbounded_collection.detect(change_facts("PR #1", [file], {file: patch}))


def test_python_module_level_dict_written_per_request() -> None:
    patch = """\
@@ -1,6 +1,13 @@
 import logging

+_SESSIONS: dict[str, "Session"] = {}
+
 log = logging.getLogger(__name__)


 def handle(request):
-    session = open_session(request.user_id)
+    session = _SESSIONS.get(request.user_id)
+    if session is None:
+        session = open_session(request.user_id)
+        _SESSIONS[request.user_id] = session
     return session.run(request)
"""
    [hit] = findings("api/handlers.py", patch)
    assert (hit.file, hit.line) == ("api/handlers.py", 3)
    assert "module-level collection `_SESSIONS`" in hit.message
    assert "key `request.user_id`" in hit.message and "line 12" in hit.message
    assert "memory" in hit.symptoms and hit.strength >= 0.6


def test_typescript_map_go_sync_map_and_java_static_map() -> None:
    ts = """\
@@ -1,3 +1,8 @@
 import { Request } from "express";
+const seenTokens = new Map<string, number>();
+
+export function remember(req: Request): void {
+  seenTokens.set(req.headers["x-token"] as string, Date.now());
+}
"""
    go = """\
@@ -3,3 +3,9 @@ package cache
 import "sync"

+var tenants sync.Map
+
+func Remember(id string, t *Tenant) {
+\ttenants.Store(id, t)
+}
"""
    java = """\
@@ -5,3 +5,9 @@
 public class QuoteService {
+    private static final Map<String, Quote> QUOTES = new ConcurrentHashMap<>();
+
+    public Quote quote(String sku) {
+        return QUOTES.computeIfAbsent(sku, this::price);
+    }
 }
"""
    [t] = findings("src/tokens.ts", ts)
    [g] = findings("internal/cache/tenants.go", go)
    [j] = findings("src/main/java/com/example/QuoteService.java", java)
    assert (t.line, g.line, j.line) == (2, 5, 6)
    assert "seenTokens" in t.message and "static collection `QUOTES`" in j.message
    assert "package-level map `tenants`" in g.message and "key `id`" in g.message


def test_unbounded_lru_cache_on_a_method_and_a_function() -> None:
    patch = """\
@@ -1,3 +1,12 @@
 import functools

+@functools.lru_cache(maxsize=None)
+def geocode(address: str) -> tuple[float, float]:
+    return _lookup(address)
+
+class Pricer:
+    @functools.cache
+    def price(self, sku: str) -> int:
+        return self._price(sku)
"""
    hits = findings("pricing/geo.py", patch)
    assert [h.line for h in hits] == [3, 8]
    assert "geocode(address)" in hits[0].message
    assert "method `price`" in hits[1].message and hits[1].strength > hits[0].strength


def test_caffeine_without_bounds_and_ruby_constant_append() -> None:
    java = """\
@@ -1,2 +1,5 @@
 class Catalog {
+    private final Cache<String, Item> items = Caffeine.newBuilder()
+        .recordStats()
+        .build();
 }
"""
    ruby = """\
@@ -1,3 +1,8 @@
 class AuditTrail
+  EVENTS = []
+
+  def self.record(event)
+    EVENTS << event
+  end
 end
"""
    [caffeine] = findings("src/main/java/Catalog.java", java)
    [events] = findings("app/lib/audit_trail.rb", ruby)
    assert caffeine.line == 2 and "Caffeine cache built without maximumSize" in caffeine.message
    assert events.line == 2 and "`EVENTS` grows per call: appended to" in events.message


def test_kotlin_field_written_from_an_expression_bodied_function() -> None:
    patch = """\
@@ -14,7 +14,12 @@ class TariffLookup(
     private val rates: RateClient,
     private val meters: MeterRegistry,
 ) {
+    private val seen = ConcurrentHashMap<Ref, Tariff>()
+
+    fun lookup(r: Request): Tariff =
+        seen.computeIfAbsent(Ref.of(r)) { rates.fetch(r) }
+
     fun describe(): String = "tariffs"
 }
"""
    [hit] = findings("src/main/kotlin/shop/TariffLookup.kt", patch)
    assert (hit.file, hit.line) == ("src/main/kotlin/shop/TariffLookup.kt", 17)
    assert "class field `seen` of `TariffLookup`" in hit.message
    assert "written with key `Ref.of(r)` at line 20" in hit.message
    assert "memory" in hit.symptoms and hit.strength == 0.6  # the key is built from `r`


def test_kotlin_field_keyed_by_a_call_under_a_header_above_the_hunk() -> None:
    patch = """\
@@ -9,4 +9,8 @@ class FareQuoter(
 ) {
+    private val recent = ConcurrentHashMap<String, Fare>()
+
+    fun quote(request: HttpRequest): Fare =
+        recent.computeIfAbsent(keyFor(request)) { fares.fetch(it) }
 }
"""
    [hit] = findings("src/main/kotlin/shop/FareQuoter.kt", patch)
    assert hit.line == 10 and "class field `recent` of `FareQuoter`" in hit.message
    assert "key `keyFor(request)`" in hit.message and hit.strength == 0.6


def test_a_metrics_gauge_on_the_map_is_not_a_bound() -> None:
    concurrent = """\
@@ -8,6 +8,14 @@ class FareQuoter(
     private val registry: MeterRegistry,
 ) {
+    private val recent = ConcurrentHashMap<Key, Fare>()
+
+    init {
+        registry.gaugeMapSize("fares.recent", emptyList(), recent)
+    }
+
+    fun quote(q: Query): Fare =
+        recent.computeIfAbsent(Key.of(q)) { load(q) }
 }
"""
    plain = """\
@@ -8,6 +8,12 @@ class FareQuoter(
 ) {
+    private val recent = mutableMapOf<Key, Fare>()
+
+    init {
+        registry.gaugeMapSize("fares.recent", emptyList(), recent)
+    }
+
+    fun quote(q: Query): Fare = recent.getOrPut(Key.of(q)) { load(q) }
 }
"""
    [shared] = findings("src/main/kotlin/shop/FareQuoter.kt", concurrent)
    [gauged] = findings("src/main/kotlin/shop/FareQuoter.kt", plain)
    assert shared.line == 10 and "key `Key.of(q)` at line 17" in shared.message
    assert gauged.line == 9 and "registered with a metrics gauge" in gauged.message
    assert "key `Key.of(q)` at line 15" in gauged.message


def test_java_and_csharp_fields_of_long_lived_classes() -> None:
    java = """\
@@ -10,6 +10,11 @@ public class FareQuoter {
     private final FareClient fares;
+    private final Map<Key, Fare> recent = new ConcurrentHashMap<>();
+
+    public Fare quote(Query query) {
+        return recent.computeIfAbsent(Key.of(query), k -> fares.fetch(query));
+    }
 }
"""
    csharp = """\
@@ -10,6 +10,10 @@ public class FareQuoter
 {
+    private readonly ConcurrentDictionary<string, Fare> _recent = new();
+
+    public Fare Quote(Query query) =>
+        _recent.GetOrAdd(KeyFor(query), _ => _fares.Fetch(query));
 }
"""
    kotlin = """\
@@ -3,4 +3,7 @@ class StockView(
     private val stock: StockRepository,
 ) {
+    private val lines = mutableMapOf<String, Int>()
+
+    fun count(sku: String): Int = lines.getOrPut(sku) { stock.count(sku) }
 }
"""
    [j] = findings("src/main/java/shop/FareQuoter.java", java)
    [c] = findings("src/Shop/FareQuoter.cs", csharp)
    [k] = findings("src/main/kotlin/shop/StockView.kt", kotlin)
    assert j.line == 11 and "key `Key.of(query)`" in j.message
    assert c.line == 11 and "class field `_recent`" in c.message
    assert k.line == 5 and "injected StockRepository" in k.message


# --- near misses -----------------------------------------------------------------------------


def test_local_dict_and_literal_keys_are_fine() -> None:
    patch = """\
@@ -1,3 +1,12 @@
+COUNTERS = {}
+
+
 def handle(request):
+    seen = {}
+    for item in request.items:
+        seen[item.id] = item
+    COUNTERS["requests"] = COUNTERS.get("requests", 0) + 1
     return 1
"""
    assert findings("api/metrics.py", patch) == []


def test_evicted_or_bounded_collections_are_fine() -> None:
    evicted = """\
@@ -1,2 +1,10 @@
+_INFLIGHT = {}
+
+def start(job):
+    _INFLIGHT[job.id] = job
+
+def finish(job):
+    _INFLIGHT.pop(job.id, None)
"""
    bounded = """\
@@ -1,2 +1,6 @@
+@functools.lru_cache(maxsize=1024)
+def geocode(address):
+    return _lookup(address)
+
+_RECENT = collections.deque(maxlen=100)
"""
    no_args = """\
@@ -1,2 +1,4 @@
+@functools.cache
+def settings():
+    return load_settings()
"""
    assert findings("jobs/tracker.py", evicted) == []
    assert findings("pricing/geo.py", bounded) == []
    assert findings("app/config.py", no_args) == []


def test_tests_and_instance_fields_are_ignored() -> None:
    test_file = """\
@@ -1,2 +1,6 @@
+_SEEN = {}
+
+def fake_handle(request):
+    _SEEN[request.id] = request
"""
    instance = """\
@@ -1,3 +1,8 @@
 class Batch:
+    def __init__(self):
+        self.items = {}
+
+    def add(self, key, value):
+        self.items[key] = value
"""
    model_field = """\
@@ -1,3 +1,9 @@
 class Alert(BaseModel):
+    labels: dict[str, str] = {}
+
+
+def merge(alert, extra):
+    labels = dict(alert.labels)
+    labels[extra.key] = extra.value
"""
    assert findings("tests/test_handlers.py", test_file) == []
    assert findings("app/batch.py", instance) == []
    assert findings("app/alerts.py", model_field) == []


def test_commented_out_cache_is_ignored() -> None:
    patch = """\
@@ -1,2 +1,4 @@
+# @functools.lru_cache(maxsize=None)
+def geocode(address):
+    return _lookup(address)
"""
    assert findings("pricing/geo.py", patch) == []


def test_bounded_cleared_or_local_kotlin_maps_are_fine() -> None:
    bounded = """\
@@ -8,6 +8,12 @@ class FareQuoter(
     private val fares: FareClient,
 ) {
+    private val recent = Caffeine.newBuilder()
+        .maximumSize(10_000)
+        .build<Key, Fare>()
+
+    fun quote(q: Query): Fare =
+        recent.get(Key.of(q)) { fares.fetch(q) }
 }
"""
    cleared = """\
@@ -8,6 +8,15 @@ class FareQuoter(
     private val fares: FareClient,
 ) {
+    private val recent = ConcurrentHashMap<Key, Fare>()
+
+    fun quote(q: Query): Fare =
+        recent.computeIfAbsent(Key.of(q)) { fares.fetch(q) }
+
+    @Scheduled(fixedDelay = 60_000)
+    fun reset() {
+        recent.clear()
+    }
 }
"""
    local = """\
@@ -8,6 +8,12 @@ class FareQuoter(
     private val fares: FareClient,
 ) {
+    fun quoteAll(qs: List<Query>): List<Fare> {
+        val recent = ConcurrentHashMap<Key, Fare>()
+        return qs.map { q ->
+            recent.computeIfAbsent(Key.of(q)) { fares.fetch(q) }
+        }
+    }
 }
"""
    assert findings("src/main/kotlin/shop/FareQuoter.kt", bounded) == []
    assert findings("src/main/kotlin/shop/FareQuoter.kt", cleared) == []
    assert findings("src/main/kotlin/shop/FareQuoter.kt", local) == []


def test_fields_of_value_classes_and_of_kotlin_tests_are_ignored() -> None:
    data = """\
@@ -1,3 +1,6 @@
+data class Basket(val owner: String) {
+    private val lines = ConcurrentHashMap<String, Int>()
+
+    fun add(sku: String) = lines.merge(sku, 1, Int::plus)
+}
"""
    plain = """\
@@ -1,3 +1,6 @@
+class Basket(val owner: String) {
+    private val lines = mutableMapOf<String, Int>()
+
+    fun add(sku: String) = lines.merge(sku, 1, Int::plus)
+}
"""
    test = """\
@@ -9,4 +9,8 @@ class FareQuoterTest(
 ) {
+    private val recent = ConcurrentHashMap<String, Fare>()
+
+    fun quote(request: HttpRequest): Fare =
+        recent.computeIfAbsent(keyFor(request)) { fares.fetch(it) }
 }
"""
    assert findings("src/main/kotlin/shop/Basket.kt", data) == []
    assert findings("src/main/kotlin/shop/Basket.kt", plain) == []
    assert findings("src/test/kotlin/shop/FareQuoterTest.kt", test) == []


def test_a_field_in_a_later_hunk_is_owned_by_that_hunks_class_not_an_earlier_hunk() -> None:
    patch = """\
@@ -1,4 +1,5 @@
 import com.acme.rates.RateClient
+import java.util.concurrent.ConcurrentHashMap

 /**
@@ -30,6 +31,12 @@ class QuoteService(
         .register(registry)

-    fun quote(q: Query): Quote = rates.fetch(q)
+    private val quotes = ConcurrentHashMap<QuoteKey, Quote>()
+
+    fun quote(q: Query): Quote =
+        quotes.computeIfAbsent(QuoteKey.of(q)) { rates.fetch(q) }
"""
    [hit] = findings("src/main/kotlin/com/acme/quotes/QuoteService.kt", patch)
    assert "class field `quotes` of `QuoteService`" in hit.message
    same_local = patch.replace("    private val quotes", "        val quotes")
    assert findings("src/main/kotlin/com/acme/quotes/QuoteService.kt", same_local) == []
