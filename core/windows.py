"""How far back a change counts as part of an incident: the investigation reads the changes
merged in this window before the alert started, and the gate lets a revert target only a
change merged inside it. A resource the pages show filling steadily since an older deploy
(a retention raised, a slow leak) takes the window back to that deploy, never further
than `LONGEST_WINDOW`."""

from __future__ import annotations

from datetime import datetime, timedelta

CHANGE_WINDOW = timedelta(hours=72)
LONGEST_WINDOW = timedelta(days=14)


def window_start(start: datetime, since: datetime | None = None) -> datetime:
    """Where the window before `start` begins: `CHANGE_WINDOW` back, or earlier at `since`,
    never further back than `LONGEST_WINDOW`."""
    usual = start - CHANGE_WINDOW
    return usual if since is None else min(usual, max(since, start - LONGEST_WINDOW))
