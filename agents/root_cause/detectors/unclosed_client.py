"""A client, connection or file opened in added code (or a connection checked out of a pool)
and not closed on every path: each error or early exit leaks one (memory grows, the server's
connection limit is reached, the pool runs dry).

Catches a client constructor or `connect`/`open` call whose closing call (`close`, `quit`,
`disconnect`, `release`, `end`, `dispose`) is missing, or runs only on the success path
(an early `return`/`raise`/`throw`/`continue` after the open and no `finally`, `defer`,
`with`, `using` or try-with-resources). Ignores context-managed opens (`with x() as c`,
`using (...)`, `try (...)`, `defer c.Close()`), and opens in tests.
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import code_lines
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "unclosed_client"
SYMPTOMS = ("connections", "memory", "crash", "availability")
_OPEN = re.compile(
    r"createClient\(|new (Redis|Client|Pool|Socket|FileInputStream|Jedis)\b|redis\.Redis\(|"
    r"Redis\.from_url\(|\.connect\(|create_engine\(|\bopen\(|sql\.Open\(|net\.Dial\(|"
    r"psycopg2?\.connect\(|pymysql\.connect\(|new pg\.Client\(|new Kafka\w*\(|"
    # a connection checked out of a pool: not returned, the pool runs dry
    r"\.getConnection\(|\bpool\.(?:acquire|connect|getConnection)\(|\.getResource\(|"
    r"\.checkout\("
)
_MANAGED = re.compile(r"^\s*(with|async with)\b|\busing\s*\(|\btry\s*\(|\bdefer\b")
_CLOSE = re.compile(r"\.(quit|close|Close|disconnect|release|end|dispose|shutdown)\(")
_LEAVE = re.compile(r"^\s*(throw\b|return\b|raise\b|continue\b|break\b)")
_SAFE = re.compile(r"\bfinally\b|\bdefer\b|\bensure\b")


def detect(change: ChangeFacts) -> list[Finding]:
    found = []
    for file, lines in code_lines(change).items():
        for i, line in enumerate(lines):
            if _OPEN.search(line.text) and not _MANAGED.search(line.text):
                if _leaks(lines[i + 1 :]):
                    found.append(Finding(NAME, "a client or connection opened here is not "
                                         "closed on every path (no finally)", file, line.line,
                                         SYMPTOMS, 0.6))  # fmt: skip
                break
    return found


def _leaks(after: list[Line]) -> bool:
    closes = [t for t in after if _CLOSE.search(t.text)]
    safe = any(_SAFE.search(t.text) for t in after)
    exits = any(_LEAVE.search(t.text) for t in after)
    return not closes or (exits and not safe)
