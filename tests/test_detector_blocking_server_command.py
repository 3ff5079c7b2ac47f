"""blocking_server_command: KEYS or a synchronous FLUSH sent to a single-threaded server."""

from __future__ import annotations

import pytest

from agents.root_cause.detectors import blocking_server_command
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import Finding


def findings(file: str, added: str, removed: str = "") -> list[Finding]:
    minus = f"-{removed}\n" if removed else ""
    patch = f"@@ -10,2 +10,2 @@\n def f():\n{minus}+{added}\n"
    return blocking_server_command.detect(change_facts("PR #1", [file], {file: patch}))


@pytest.mark.parametrize(
    ("file", "added"),
    [
        ("cache/invalidate.py", '    for key in self.redis.keys(f"cart:{user_id}:*"):'),
        ("internal/cache/purge.go", '\tkeys, err := c.rdb.Keys(ctx, "session:"+id+":*").Result()'),
        ("src/cache.ts", "  const stale = await redis.keys(`price:${sku}:*`);"),
        ("src/main/java/Cache.java", '    Set<String> keys = jedis.keys("quote:" + id + "*");'),
        ("lib/purge.rb", '    redis.call("KEYS", "feed:#{id}:*")'),
        ("ops/reset.py", "    client.flushdb()"),
    ],
)  # fmt: skip
def test_keys_or_a_synchronous_flush_added(file: str, added: str) -> None:
    [hit] = findings(file, added)
    assert hit.line == 11 and "latency" in hit.symptoms
    assert ("KEYS" in hit.message) != ("FLUSH" in hit.message)


@pytest.mark.parametrize(
    ("file", "added", "removed"),
    [
        # SCAN walks the keyspace in small steps: the fix, not the risk
        ("cache/invalidate.py", '    for key in self.redis.scan_iter(match=f"cart:{uid}:*"):', ""),
        # a dict's and an object's keys
        ("app/views.py", "    names = sorted(payload.keys())", ""),
        ("src/form.ts", "  const fields = Object.keys(values);", ""),
        # the asynchronous flush frees memory in the background
        ("ops/reset.py", "    client.flushall(asynchronous=True)", ""),
        # removed, not added
        ("cache/invalidate.py", "    pass", '    for key in self.redis.keys("cart:*"):'),
        # a test
        ("tests/test_cache.py", '    assert fake.keys("cart:*") == []', ""),
    ],
)  # fmt: skip
def test_no_blocking_command_added(file: str, added: str, removed: str) -> None:
    assert findings(file, added, removed) == []
