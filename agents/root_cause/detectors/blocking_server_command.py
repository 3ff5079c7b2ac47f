"""A blocking server command: code that starts sending a command which walks a whole
keyspace or database on a single-threaded server (Redis, Valkey, KeyDB), so that every other
client of that server waits while it runs: Redis `KEYS pattern` is O(N) in all keys, and a
synchronous `FLUSHALL`/`FLUSHDB` frees everything before answering. With a few thousand keys
in staging it takes microseconds; with millions in production each call blocks the server
for hundreds of milliseconds, and called often (an invalidation per update) it stalls all
clients: timeouts and pool exhaustion far from the change.

Catches added lines that call them in the common clients: `r.keys("p:*")` (redis-py, node,
Jedis: a `keys` method given a pattern), `rdb.Keys(ctx, …)` (go-redis), a raw command
(`cmd("KEYS")`, `execute_command("KEYS", …)`, `call('KEYS', …)` in Lua, `["KEYS", …]`), and
`flushall()`/`flushdb()`/`FlushAll(ctx)`/`"FLUSHDB"` without `ASYNC`.

Ignores `SCAN`/`scan_iter` (incremental: the fix), a dict's or map's `keys()` (no pattern),
`Object.keys(x)` and friends, the async flush (`FLUSHALL ASYNC`, `flushall(asynchronous=True)`),
removed lines, comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.detectors._lines import COMMENT
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "blocking_server_command"
SYMPTOMS = ("latency", "timeouts", "connections", "cpu", "errors")

_KEYS = re.compile(
    r"(?<![\w.])(?!Object\.|Reflect\.)(?:[A-Za-z_][\w]*\.)+keys\(\s*(?![)\s])|"  # r.keys("p*")
    r"\.Keys\(\s*ctx\b|"  # go-redis
    r"""(?:cmd|command|execute_command|send_command|call|pcall|do|Do)\(\s*["']KEYS["']|"""
    r"""\[\s*["']KEYS["']\s*,"""
)
_FLUSH = re.compile(r"""\.(?:flushall|flushdb|FlushAll|FlushDB)\(|["'](?:FLUSHALL|FLUSHDB)["']""")
_ASYNC = re.compile(r"async", re.I)
_NOT_A_CLIENT = re.compile(r"(?<![\w.])(Object|Reflect|Map|dict|os\.environ|self\.__dict__)\.")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for line in change.added:
        if kinds.file_kind(line.file) == "docs_tests" or COMMENT.match(line.text):
            continue
        code = line.text.strip()
        if _KEYS.search(code) and not _NOT_A_CLIENT.search(code):
            what = "KEYS, which walks every key in the server while all its clients wait"
        elif _FLUSH.search(code) and not _ASYNC.search(code):
            what = "a synchronous FLUSH, which frees every key before the server answers anyone"
        else:
            continue
        found.append(Finding(
            NAME, f"`{code[:100]}` sends {what}: O(N) in the keyspace, it blocks a "
            "single-threaded server for longer the more keys production holds",
            line.file, line.line, SYMPTOMS, strength=0.6,
        ))  # fmt: skip
    return found[:2]
