"""A goroutine left blocked on a send nobody receives: Go code that starts a goroutine sending
its result on an unbuffered channel (`make(chan T)`) while the function that made the
channel can stop listening first: a `select` that returns on a context's `Done()`, a timer
or the first of several answers, or more goroutines sending than receives taken. Each
abandoned sender waits forever with everything it holds (its stack, the result, the
request's buffers), so goroutines and memory climb with traffic for hours after the deploy
until the pods hit their memory limit (OOMKilled) or spend their time in GC: a leak that
builds up, not a failure at the deploy.

Catches, in a Go file's added lines, a channel made without a capacity, sent to (`ch <-`)
by code a `go` statement runs, and received (`<-ch`) either inside a `select` that has
another case, or fewer times than goroutines are started (one started in a loop counts as
many).

Ignores buffered channels (`make(chan T, 1)` or more), a send that is itself a `select` case
(the sender can give up), channels that are only closed (done signals), and non-Go files,
docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import code_lines, indent
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "goroutine_blocked_send"
SYMPTOMS = ("memory", "crash", "latency")

_MAKE = re.compile(r"\b(\w+)\s*:?=\s*make\(\s*chan\s+[^,()]+(?:\([^()]*\))?\s*\)")
_GO = re.compile(r"^\s*go\s+[\w.]+\s*\(|^\s*go\s+func\b")
_SELECT = re.compile(r"^\s*select\s*\{")
_CASE = re.compile(r"^\s*case\b")
_DEFAULT = re.compile(r"^\s*default\s*:")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, lines in code_lines(change).items():
        if not file.endswith(".go"):
            continue
        hit = _blocked(file, lines)
        if hit:
            found.append(hit)
    return found[:2]


def _blocked(file: str, lines: list[Line]) -> Finding | None:
    made = {m.group(1): line for line in lines if (m := _MAKE.search(line.text))}
    if not made:
        return None
    launches = sum((2 if _in_loop(lines, n) else 1)
                   for n, line in enumerate(lines) if _GO.search(line.text))  # fmt: skip
    if not launches:
        return None
    cases = _select_cases(lines)
    for name, where in made.items():
        send = re.compile(rf"(?<![\w.]){re.escape(name)}\s*<-")
        receive = re.compile(rf"<-\s*{re.escape(name)}\b")
        sends = [ln for ln in lines if send.search(ln.text)]
        if not sends or any(_CASE.match(ln.text) for ln in sends):
            continue  # nobody sends, or the sender can give up
        receives = [ln for ln in lines if receive.search(ln.text)]
        raced = any(
            any(receive.search(c.text) for c in group) and len(group) > 1 for group in cases
        )
        if raced or len(receives) < launches:
            why = (
                "a select can return on another case first"
                if raced
                else f"{launches} goroutines are started and {len(receives)} receives taken"
            )
            return Finding(
                NAME, f"goroutines send on the unbuffered channel `{name}` and {why}: each "
                "abandoned sender blocks forever, holding its memory, so goroutines and "
                "memory grow with traffic until the pods run out of memory",
                file, where.line, SYMPTOMS, strength=0.6,
            )  # fmt: skip
    return None


_FOR = re.compile(r"^\s*for\b")


def _in_loop(lines: list[Line], n: int) -> bool:
    """The line sits in a `for` block: the goroutine it starts is started many times."""
    level = indent(lines[n].text)
    for line in reversed(lines[:n]):
        if line.text.strip() and indent(line.text) < level:
            if _FOR.match(line.text):
                return True
            level = indent(line.text)
            if level == 0:
                return False
    return False


def _select_cases(lines: list[Line]) -> list[list[Line]]:
    """The `case` lines of each `select` block in the added lines (a `default` counts as a
    case: the select does not wait)."""
    groups: list[list[Line]] = []
    current: list[Line] | None = None
    opened = 0
    for line in lines:
        text = line.text
        if _SELECT.match(text):
            current, opened = [], indent(text)
            groups.append(current)
            continue
        if current is None:
            continue
        level = indent(text)
        if text.strip() == "}" and level <= opened:
            current = None
        elif level <= opened + 1 and (_CASE.match(text) or _DEFAULT.match(text)):
            current.append(line)
    return groups
