"""Our own alert format (`docs/alerts.md`, "Generic"), and the RFC 3339 type all formats share.

For sources that are neither Alertmanager nor Grafana: a script, a cron job, another
monitoring system. The model forbids unknown keys so a typo is an error, not a silent
default.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)  # Go's zero time.Time: Alertmanager's "unset"


def describe(value: Any) -> str:
    """A JSON value as a user sees it in an error: its JSON type and a short rendering."""
    if value is None:
        return "null"
    kind = {bool: "a boolean", str: "a string", int: "a number", float: "a number"}.get(
        type(value), "an object" if isinstance(value, dict) else "an array"
    )
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"


def parse_rfc3339(value: Any) -> datetime:
    """An RFC 3339 timestamp with a zone (any number of fraction digits) as an aware datetime."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(
            "expected an RFC 3339 timestamp with a zone, like 2026-03-14T10:04:00Z; "
            f"got {describe(value)}"
        )
    head, sep, rest = value.upper().partition(".")
    if sep:  # datetime takes at most 6 fraction digits; Go sends up to 9
        digits = re.match(r"\d+", rest)
        assert digits is not None  # the pattern above guarantees digits after the dot
        head = f"{head}.{digits.group()[:6]}{rest[digits.end() :]}"
    return datetime.fromisoformat(head)


def _set(value: datetime) -> datetime:
    if value == _ZERO_TIME:
        raise ValueError("expected the time the alert started; got the zero time 0001-01-01")
    return value


def _unset_if_zero(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = parse_rfc3339(value)
    return None if moment == _ZERO_TIME else moment


Timestamp = Annotated[datetime, BeforeValidator(parse_rfc3339), AfterValidator(_set)]
"""A required RFC 3339 timestamp; the zero time is rejected."""

OptionalTimestamp = Annotated[datetime | None, BeforeValidator(_unset_if_zero)]
"""An RFC 3339 timestamp; null or the zero time ("0001-01-01T00:00:00Z") means unset."""


def default_fingerprint(name: str, labels: dict[str, str]) -> str:
    """sha256 of the name and the labels sorted by key, as compact JSON; first 16 hex digits."""
    key = json.dumps([name, sorted(labels.items())], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


class GenericAlert(BaseModel):
    """One alert in incident-graph's own webhook format."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        title="incident-graph generic alert",
        json_schema_extra={
            "examples": [
                {
                    "name": "CheckoutErrorRate",
                    "status": "firing",
                    "starts_at": "2026-03-14T10:12:00Z",
                    "labels": {"service": "shop-api", "severity": "critical"},
                    "annotations": {"summary": "5xx rate at 7% for 5m"},
                    "values": {"error_rate": 0.07},
                }
            ]
        },
    )

    name: str = Field(min_length=1, description="The alert's name, like an alertname label.")
    status: Literal["firing", "resolved"] = Field(
        default="firing", description="firing, or resolved once the condition cleared."
    )
    starts_at: Timestamp = Field(description="When the alert started (RFC 3339 with a zone).")
    labels: dict[str, str] = Field(
        default={}, description="Trusted routing labels; `service` names the owning service."
    )
    annotations: dict[str, str] = Field(
        default={}, description="Untrusted free text: summary, description, dashboard, ..."
    )
    fingerprint: str | None = Field(
        default=None,
        min_length=1,
        description="Stable identity; default: sha256 of name and sorted labels, 16 hex digits.",
    )
    values: dict[str, float] = Field(default={}, description="Measured values by name.")


def generic_json_schema() -> dict[str, Any]:
    """The generic format's JSON schema (draft 2020-12), as served to users and in the docs."""
    return GenericAlert.model_json_schema(mode="validation")
