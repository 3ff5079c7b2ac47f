"""How far back a change counts as part of an incident: the investigation reads the changes
merged in this window before the alert started, and the gate lets a revert target only a
change merged inside it."""

from __future__ import annotations

from datetime import timedelta

CHANGE_WINDOW = timedelta(hours=72)
