"""Unified diffs as lines: what each hunk removed and added, with line numbers, and the
key path (`resources.limits.memory`) each line sits under in indented files (YAML, HCL)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause.facts.types import Line

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_KEY = re.compile(r"^(\s*)(?:- )?([A-Za-z_\"'][\w.\"'/-]*)\s*[:=]\s*(?:[|>][-+]?)?\s*$")


@dataclass(frozen=True)
class DiffLine:
    sign: str  # "+", "-" or " "
    old: int | None  # line number in the old file
    new: int | None  # line number in the new file
    text: str
    path: tuple[str, ...]  # the keys this line is nested under (indented formats)
    hunk: int  # which hunk of the file (lines of different hunks are not paired)


def parse(patch: str) -> list[DiffLine]:
    out: list[DiffLine] = []
    old = new = 0
    hunk = -1
    stack: list[tuple[int, str]] = []  # (indent, key) of the enclosing blocks
    for raw in patch.splitlines():
        found = _HUNK.match(raw)
        if found:
            old, new, hunk, stack = int(found.group(1)), int(found.group(2)), hunk + 1, []
            continue
        if hunk < 0 or raw.startswith("\\"):  # before the first hunk: file headers
            continue
        # a blank line is context (editors and YAML block scalars drop its leading space)
        sign, text = (raw[:1], raw[1:]) if raw and raw[0] in "+- " else (" ", raw)
        indent = len(text) - len(text.lstrip())
        while stack and stack[-1][0] >= indent and text.strip():
            stack.pop()
        path = tuple(key for _, key in stack)
        out.append(
            DiffLine(
                sign, old if sign != "+" else None, new if sign != "-" else None, text, path, hunk
            )  # fmt: skip
        )
        opened = _KEY.match(text)
        if opened:  # a block opener (old or new file: close enough for naming a key)
            stack.append((indent, opened.group(2).strip("\"'")))
        if sign != "+":
            old += 1
        if sign != "-":
            new += 1
    return out


def added(file: str, lines: list[DiffLine]) -> list[Line]:
    return [Line(file, d.new or 0, d.text) for d in lines if d.sign == "+"]


def removed(file: str, lines: list[DiffLine]) -> list[Line]:
    return [Line(file, d.old or 0, d.text) for d in lines if d.sign == "-"]
