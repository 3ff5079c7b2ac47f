"""The alert's free text as the pipeline reads it (untrusted: quote it in prompts)."""

from __future__ import annotations

from core.state import Alert

TEXT_ANNOTATIONS = ("summary", "description", "message")


def alert_text(alert: Alert) -> str:
    return " ".join(alert.annotations.get(k, "") for k in TEXT_ANNOTATIONS)
