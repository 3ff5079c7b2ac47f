"""The model's advisory triage answer: a constrained schema and its translation to state."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agents.shared.alerts import alert_text
from agents.triage.logic import CATEGORIES
from core.prompting import quote
from core.state import Alert, ModelAdvice, Severity, Triage

CONFIDENCE = {"low": 0.3, "medium": 0.6, "high": 0.9}

Category = Literal[
    "certificate", "memory", "crash", "saturation", "errors", "latency", "availability", "other"
]


class TriageAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: Severity
    category: Category
    confidence: Literal["low", "medium", "high"]


def prompt_values(alert: Alert, decided: Triage) -> dict[str, Any]:
    return {
        "name": alert.name,
        "status": alert.status,
        "labels": json.dumps(alert.labels, sort_keys=True),
        "service": decided.service or "unknown",
        "tier": decided.tier if decided.tier is not None else "unknown",
        "environment": decided.environment or "unknown",
        "text": quote(alert_text(alert), 600),
        "categories": ", ".join([name for name, _ in CATEGORIES] + ["other"]),
    }


def advice_from(model: str, answer: TriageAnswer) -> ModelAdvice:
    return ModelAdvice(
        model=model,
        severity=answer.severity,
        category=answer.category,
        confidence=CONFIDENCE[answer.confidence],
    )
