"""expiry_synchronized: expiries made to fall on the same moment (jitter removed, a clock
boundary)."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import expiry_synchronized
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, patch: str) -> list[Finding]:
    return expiry_synchronized.detect(change_facts("PR #1", [file], {file: patch}))


JITTER_GONE = (
    "@@ -20,4 +20,4 @@ def cached(key, load):\n     value = load()\n"
    "-    r.set(key, dumps(value), ex=TTL + random.randint(0, TTL_JITTER))\n"
    "+    r.set(key, dumps(value), ex=TTL)\n     return value\n"
)
HOUR_BOUNDARY = (
    "@@ -5,3 +5,8 @@\n+def expires_at_midnight(now=None):\n+    now = now or datetime.now(UTC)\n"
    "+    day = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)\n"
    "+    return int(day.timestamp())\n"
)
JAVA_EXPIREAT = (
    "@@ -40,2 +40,3 @@\n     String json = mapper.writeValueAsString(quote);\n"
    "+    Instant at = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);\n"
    "+    redis.expireAt(key, at.getEpochSecond());\n"
)
JITTER_SETTING = "@@ -3,3 +3,2 @@\n cache:\n   ttl_seconds: 900\n-  ttl_jitter_seconds: 300\n"
NODE_JITTER = (
    "@@ -8,2 +8,2 @@\n-  await redis.set(k, v, 'EX', ttl + Math.floor(Math.random() * spread));\n"
    "+  await redis.set(k, v, 'EX', ttl);\n"
)


@pytest.mark.parametrize(
    ("file", "patch", "said"),
    [
        ("app/cache.py", JITTER_GONE, "jitter"),
        ("app/cache.py", HOUR_BOUNDARY, "clock boundary"),
        ("src/main/java/QuoteCache.java", JAVA_EXPIREAT, "clock boundary"),
        ("config/cache.yaml", JITTER_SETTING, "jitter"),
        ("src/cache.ts", NODE_JITTER, "jitter"),
    ],
)  # fmt: skip
def test_expiries_made_to_fall_together(file: str, patch: str, said: str) -> None:
    [hit, *_] = findings(file, patch)
    assert said in hit.message and "cache" in hit.symptoms


@pytest.mark.parametrize(
    ("file", "patch"),
    [
        # jitter kept, only reworded
        ("app/cache.py", JITTER_GONE.replace("ex=TTL)", "ex=TTL + random.randint(0, SPREAD))")),
        # a retry's jitter removed: not an expiry
        ("app/client.py", "@@ -3,2 +3,2 @@\n-    time.sleep(backoff + random.uniform(0, 1))\n"
         "+    time.sleep(backoff)\n"),
        # a report bucketed by hour: no expiry near
        ("app/report.py", "@@ -3,1 +3,2 @@\n x\n+    bucket = ts.replace(minute=0, second=0)\n"),
        # a fixed TTL lowered: the cache detector's, not a boundary
        ("app/cache.py", "@@ -3,2 +3,2 @@\n-    r.set(k, v, ex=3600)\n+    r.set(k, v, ex=600)\n"),
        # docs
        ("docs/cache.md", JITTER_GONE),
    ],
)  # fmt: skip
def test_no_synchronized_expiry(file: str, patch: str) -> None:
    assert findings(file, patch) == []
