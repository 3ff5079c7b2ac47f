"""The error a run raises before anything starts, when a part it needs is missing or wrong."""

from __future__ import annotations


class StartupError(Exception):
    """A part the run needs is missing or invalid; the message names the file, the field
    and the fix. Commands print it and exit 2; nothing has run."""
