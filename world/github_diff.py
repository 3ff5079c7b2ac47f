"""Diff and patch text for the GitHub stand-in: unified diffs and inverted (revert) changes.

`unified_diff` is what GitHub serves for `Accept: application/vnd.github.diff`;
`inverted` turns a scenario's file change into the one a revert pull request shows.
"""

from __future__ import annotations

from itertools import groupby
from typing import Literal

from world.github_views import fake_sha
from world.scenario import FileChange

FileStatus = Literal["added", "modified", "removed", "renamed"]


def unified_diff(files: list[FileChange] | tuple[FileChange, ...]) -> str:
    """The text GitHub serves for `Accept: application/vnd.github.diff`."""
    return "".join(_file_diff(f) for f in files)


def _file_diff(change: FileChange) -> str:
    name, blob = change.filename, fake_sha(change.filename, change.patch)[:7]
    old, new = f"a/{name}", f"b/{name}"
    head = [f"diff --git a/{name} b/{name}"]
    if change.status == "added":
        head += ["new file mode 100644", f"index 0000000..{blob}"]
        old = "/dev/null"
    elif change.status == "removed":
        head += ["deleted file mode 100644", f"index {blob}..0000000"]
        new = "/dev/null"
    else:
        head += [f"index {fake_sha(name)[:7]}..{blob} 100644"]
    patch = change.patch if change.patch.endswith("\n") or not change.patch else change.patch + "\n"
    return "\n".join([*head, f"--- {old}", f"+++ {new}", ""]) + patch


_FLIP: dict[FileStatus, FileStatus] = {"added": "removed", "removed": "added"}


def inverted(change: FileChange) -> FileChange:
    """The change that undoes `change` (what a revert PR shows)."""
    lines = [_invert_line(ln) for ln in change.patch.splitlines(keepends=True)]
    runs = groupby(lines, key=lambda ln: ln[:1] in ("+", "-") and not ln.startswith("@@"))
    # in each run of changed lines, removals come first, as git prints them
    ordered = [
        ln for changed, run in runs for ln in (sorted(run, key=_is_added) if changed else run)
    ]
    added, removed = change.counts()
    return FileChange(
        filename=change.filename,
        status=_FLIP.get(change.status, change.status),
        additions=removed,
        deletions=added,
        patch="".join(ordered),
    )


def _invert_line(line: str) -> str:
    if line.startswith("@@"):
        parts = line.split(" ")
        if len(parts) >= 3 and parts[1].startswith("-") and parts[2].startswith("+"):
            parts[1], parts[2] = "-" + parts[2][1:], "+" + parts[1][1:]
        return " ".join(parts)
    if line[:1] in ("+", "-"):
        return ("-" if line[0] == "+" else "+") + line[1:]
    return line


def _is_added(line: str) -> bool:
    return line.startswith("+")
