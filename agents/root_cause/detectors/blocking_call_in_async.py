"""A blocking call added inside an async function: while it waits (an HTTP request through a
synchronous client, a sleep, a file or subprocess read), the event loop serves nothing else,
so every request of the process slows down, health checks time out and pods look hung.

Catches, in Python, `requests.*`, `urllib`'s `urlopen`, `time.sleep`, `subprocess.run` and
its siblings, `httpx.get`/`httpx.Client`, synchronous database drivers' `connect` and
`socket.create_connection`; in JavaScript and TypeScript the `*Sync` calls of `fs` and
`child_process` and `Atomics.wait`; each on an added line inside an `async def` or `async
function` (the function is found on the lines above it in the patch, or in the hunk header
git writes). Ignores calls that are awaited, handed to a thread (`to_thread`,
`run_in_executor`, `run_in_threadpool`, `run_sync`), calls in synchronous functions, and tests.
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import indent
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "blocking_call_in_async"
SYMPTOMS = ("latency", "timeouts", "availability", "cpu")
_BLOCKING = re.compile(
    r"(?<![\w.])(?:requests\.(?:get|post|put|patch|delete|head|request)|"
    r"(?:urllib\.request\.)?urlopen|time\.sleep|subprocess\.(?:run|call|check_call|check_output)|"
    r"httpx\.(?:get|post|put|patch|delete|request|Client)|psycopg2?\.connect|pymysql\.connect|"
    r"sqlite3\.connect|socket\.create_connection|"
    r"(?:fs\.)?(?:readFileSync|writeFileSync|existsSync|readdirSync|statSync)|"
    r"(?:child_process\.)?(?:execSync|spawnSync|execFileSync)|Atomics\.wait)\s*\("
)
_HANDED_OFF = re.compile(
    r"\bawait\b|to_thread|run_in_executor|run_in_threadpool|run_sync|asyncify|defer_to_thread"
)
_ASYNC_DEF = re.compile(r"^\s*async\s+def\s+(?P<name>\w+)|\basync\s+function\s*(?P<js>\w*)|"
                        r"(?P<arrow>\basync\s*\([^)]*\)\s*=>)")  # fmt: skip
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+\w+|\bfunction\b|=>\s*\{?\s*$")
_HUNK = re.compile(r"^@@ [^@]* @@ ?(?P<header>.*)$")


def detect(change: ChangeFacts) -> list[Finding]:
    found = []
    for file, patch in change.patches.items():
        if file_kind(file) != "code":
            continue
        hit = _first_blocking(patch)
        if hit:
            line, call, function = hit
            found.append(Finding(
                NAME, f"`{call}` blocks the event loop inside async `{function}` (every request "
                "of the process waits while it runs)", file, line, SYMPTOMS, 0.7,
            ))  # fmt: skip
    return found


def _first_blocking(patch: str) -> tuple[int, str, str] | None:
    """(line in the new file, the call, the async function) of the first blocking call added."""
    function: tuple[int, str] | None = None  # (indent, name) of the enclosing async function
    new = 0
    for raw in patch.splitlines():
        head = _HUNK.match(raw)
        if head:
            numbers = re.search(r"\+(\d+)", raw)
            new = int(numbers.group(1)) if numbers else 0
            function = _async(head["header"], -1)
            continue
        if raw.startswith("-") or not raw:
            continue
        sign, text = raw[0], raw[1:]
        if sign == "\\":
            continue
        if text.strip():
            depth = indent(text)
            if function and function[0] >= 0 and depth <= function[0]:
                function = None  # left the function's body
            if _DEF.search(text):
                function = _async(text, depth)  # a synchronous def: its body may block
            elif sign == "+" and function:
                call = _BLOCKING.search(text)
                if call and not _HANDED_OFF.search(text) and not text.lstrip().startswith("#"):
                    return new, call.group(0).rstrip(" ("), function[1]
        new += 1
    return None


def _async(text: str, depth: int) -> tuple[int, str] | None:
    match = _ASYNC_DEF.search(text)
    if not match:
        return None
    return depth, match["name"] or match["js"] or "arrow function"
