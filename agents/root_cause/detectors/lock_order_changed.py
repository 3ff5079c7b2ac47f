"""Locks taken in a new order: a change that moves the call taking a lock (`SELECT ... FOR
UPDATE`, `LOCK TABLE`, an advisory lock, `select_for_update()`, a helper named `lock…`, a
mutex's `Lock()` or `acquire()`) to the other side of another call on the same transaction
or connection. Two transactions that take the same rows in opposite orders wait on each
other: the database kills one (PostgreSQL `deadlock detected`, SQLSTATE 40P01; MySQL 1213)
and its request fails, or both wait until a lock or statement timeout; a process-local
mutex taken in two orders hangs. The code paths that still take them in the old order are
usually untouched by the change, so its tests pass and the deadlock needs concurrent load.

Catches, within one hunk of a code or SQL file, a lock-taking call that the change removes
and adds back (the same call) so that a data-access call left in place (one that uses the
transaction, connection or session, or a SQL statement) is now on its other side.

Ignores a lock call the change only adds or only removes, one that moves together with the
calls around it (their order unchanged), calls that are not data access, comments, docs and
tests.
"""

from __future__ import annotations

import re

from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "lock_order_changed"
SYMPTOMS = ("locks", "errors", "timeouts", "latency")

_LOCK = re.compile(
    r"(?i:\bfor\s+(?:no\s+key\s+)?update\b|\bfor\s+share\b|\block\s+tables?\b"
    r"|\bpg_advisory(?:_xact)?_lock\w*|\bget_lock\s*\(|select_for_update|\bwith_lock\b|\block!)"
    r"|\b[lL]ock(?:[A-Z_]\w*)?\s*\(|\w(?:_l|L)ock\s*\(|\.R?Lock\(\)|\.acquire\(|\bforUpdate\(|"
    r"PESSIMISTIC_(?:WRITE|READ)"
)
_DATA = re.compile(
    r"\b(?:tx|txn|trx|transaction|conn|connection|db|session|cursor|cur|client|em|"
    r"entityManager|repo|repository)\b\s*[,)]|\b(?:tx|txn|trx|conn|db|session|cursor|cur)\s*\."
    r"|\b(?:SELECT|UPDATE|INSERT|DELETE)\b"
)
_COMMENT = re.compile(r"^\s*(#|//|--|/\*|\*)")
_CALL = re.compile(r"(\w+)\s*\(")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if file_kind(file, patch) not in ("code", "schema") or not _LOCK.search(patch):
            continue
        lines = diff.parse(patch)
        for hunk in sorted({d.hunk for d in lines}):
            moved = _moved(file, [d for d in lines if d.hunk == hunk])
            if moved:
                found.append(moved)
    return found[:2]


def _moved(file: str, lines: list[diff.DiffLine]) -> Finding | None:
    old = [d for d in lines if d.sign != "+" and not _COMMENT.match(d.text)]
    new = [d for d in lines if d.sign != "-" and not _COMMENT.match(d.text)]
    old_keys, new_keys = [_key(d.text) for d in old], [_key(d.text) for d in new]
    for d in lines:
        if d.sign != "+" or _COMMENT.match(d.text) or not _LOCK.search(d.text):
            continue
        lock = _key(d.text)
        if old_keys.count(lock) != 1 or new_keys.count(lock) != 1:
            continue
        if not any(o.sign == "-" and _key(o.text) == lock for o in old):
            continue  # not moved: taken anew
        before_old = set(old_keys[: old_keys.index(lock)])
        before_new = set(new_keys[: new_keys.index(lock)])
        for other in new:
            key = _key(other.text)
            if (other.sign != " " or key == lock or not _DATA.search(other.text)
                    or old_keys.count(key) != 1 or new_keys.count(key) != 1):  # fmt: skip
                continue
            if (key in before_old) != (key in before_new):
                side = "after" if key in before_new else "before"
                call = _name(other.text)
                return Finding(
                    NAME, f"takes `{_name(d.text)}` {side} `{call}` where it took it "
                    f"{'before' if side == 'after' else 'after'}: code paths still taking these "
                    "locks in the old order now wait on this one, and under concurrent load "
                    "the database reports deadlocks (40P01) or requests wait for lock timeouts",
                    file, d.new, SYMPTOMS, strength=0.55,
                )  # fmt: skip
    return None


def _key(text: str) -> str:
    return " ".join(text.split())


def _name(text: str) -> str:
    lock = _LOCK.search(text)
    calls = [m.group(1) for m in _CALL.finditer(text) if m.group(1) not in ("await", "if")]
    if lock and not calls:
        return lock.group(0).strip()
    return next((c for c in calls if _LOCK.search(f"{c}(")), calls[0] if calls else _key(text))
