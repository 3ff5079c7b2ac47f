"""Generic webhooks as their senders post them: JMESPath expressions say where each alert
field comes from (docs/alerts.md, "Mappings").

A mapping names, per field (`name`, `status`, `starts_at`, `labels`, `annotations`,
`fingerprint`, `values`, `generator_url`, `group_key`), one JMESPath expression evaluated on
the body. Values are then read leniently, as real senders write them: statuses in their own
words (`Triggered`, `ALARM`, `incident.resolved`, `ok`), times as RFC 3339, ISO 8601 with
`+0000`, or epoch seconds or milliseconds, labels as objects, `key:value` lists or strings,
or `[key, value]` pairs. `name` and `starts_at` are required (`starts_at` falls back to the
time the service received the alert); a missing one is a problem naming the field and the
expression that found nothing. The fingerprint defaults to a hash of the body.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jmespath
import yaml
from jmespath import functions
from jmespath.exceptions import JMESPathError

from agents.ingest.generic_schema import describe, parse_rfc3339
from core.state import AlertMapping, RawAlert

FIELDS = (
    "name", "status", "starts_at", "labels", "annotations", "fingerprint", "values",
    "generator_url", "group_key",
)  # fmt: skip
REQUIRED = ("name", "starts_at")
Problem = tuple[str, str]

COMMON = AlertMapping(
    name="common",
    fields={
        "name": "name || alertname || alert_name || title || event_name || check_name || "
        "check || subject || summary",
        "status": "status || state || alert_status || event_status",
        "starts_at": "starts_at || startsAt || started_at || start_time || fired_at || "
        "triggered_at || timestamp || time || date || created_at || occurred_at",
        "labels": "labels || tags",
        "annotations": "merge(annotations || `{}`, {summary: summary, description: "
        "description || message || text || body, link: url || link || html_url || "
        "dashboard || dashboard_url, runbook_url: runbook_url || runbook})",
        "fingerprint": "fingerprint || dedup_key || dedupe_key || incident_key || alert_id || id",
        "values": "values",
        "generator_url": "generator_url || source_url || url || link",
    },
)
"""Common field names, for senders without a declared mapping."""

_RESOLVED = {"resolved", "resolve", "recovered", "recovery", "ok", "closed", "close", "normal",
             "inactive", "up", "success", "succeeded", "cleared", "clear", "healthy"}  # fmt: skip
_FIRING = {"firing", "fire", "alerting", "alert", "alarm", "triggered", "trigger", "retriggered",
           "open", "opened", "active", "problem", "critical", "warning", "warn", "error", "down",
           "fail", "failed", "failure", "acknowledged", "escalated", "insufficient", "nodata",
           "unhealthy", "pending", "created", "new"}  # fmt: skip
_URL = re.compile(r"https?://[^\s\"'<>)\]]+")


class _Functions(functions.Functions):
    """Extra JMESPath functions for real payloads."""

    @functions.signature({"types": ["string", "null"]})
    def _func_from_json(self, text: str | None) -> Any:
        """A JSON document embedded as a string (an SNS `Message`)."""
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    @functions.signature({"types": ["string", "array", "null"]}, {"types": ["string"]})
    def _func_key_values(self, value: str | list[Any] | None, sep: str) -> dict[str, str]:
        """`"env:prod,service:api"` or `["env:prod", "service:api"]` as an object."""
        items = value.split(",") if isinstance(value, str) else list(value or [])
        out: dict[str, str] = {}
        for item in items:
            if isinstance(item, str) and sep in item:
                key, _, val = item.partition(sep)
                out[key.strip()] = val.strip()
        return out

    @functions.signature({"types": ["array", "null"]})
    def _func_pairs(self, value: list[Any] | None) -> dict[str, str]:
        """`[["env", "prod"], ...]` or `[{"key": "env", "value": "prod"}, ...]` as an object."""
        out: dict[str, str] = {}
        for item in value or []:
            if isinstance(item, list) and len(item) == 2:
                out[str(item[0])] = str(item[1])
            elif isinstance(item, dict):
                key = item.get("key", item.get("name", item.get("Name")))
                val = item.get("value", item.get("Value"))
                if key is not None and val is not None:
                    out[str(key)] = str(val)
        return out

    @functions.signature({"types": ["string", "null"]})
    def _func_first_url(self, text: str | None) -> str | None:
        """The first http(s) URL inside a text."""
        found = _URL.search(text or "")
        return found.group(0).rstrip(".,;") if found else None

    @functions.signature({"types": ["array", "null"]})
    def _func_frames(self, frames: list[Any] | None) -> str | None:
        """Stack frames (`filename`/`abs_path`, `lineno`, `function`) as lines, innermost
        first, the application's own frames only when it marks them (`in_app`)."""
        rows = [f for f in frames or [] if isinstance(f, dict)]
        own = [f for f in rows if f.get("in_app")] or rows
        lines = [
            f"{f.get('filename') or f.get('abs_path') or '?'}:{f.get('lineno', '?')}"
            + (f" in {f['function']}" if f.get("function") else "")
            for f in reversed(own)
        ]
        return "\n".join(lines) or None


_OPTIONS = jmespath.Options(custom_functions=_Functions())


class MappingError(ValueError):
    """A mapping that cannot be used: an unknown field or an invalid expression."""


def check(mapping: AlertMapping) -> None:
    """Raises MappingError naming the mapping, the field and why."""
    for field, expression in mapping.fields.items():
        if field not in FIELDS:
            raise MappingError(
                f"mapping {mapping.name!r}: unknown field {field!r}; expected {', '.join(FIELDS)}"
            )
        try:
            jmespath.compile(expression)
        except JMESPathError as exc:
            raise MappingError(
                f"mapping {mapping.name!r}: {field}: invalid JMESPath {expression!r}: {exc}"
            ) from exc


def extract(
    mapping: AlertMapping, body: Any, received_at: datetime | None
) -> tuple[dict[str, Any], list[Problem]]:
    """The generic alert's fields from `body`, and the problems (field, why) found."""
    if not isinstance(body, dict):
        return {}, [("(body)", f"expected an object; got {describe(body)}")]
    raw = {field: _search(mapping.fields.get(field), body) for field in FIELDS}
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for field in FIELDS:
        try:
            value = _READERS[field](raw[field])
        except ValueError as exc:
            problems.append((field, f"{exc} (from {_where(mapping, field)})"))
            continue
        if value is not None:
            out[field] = value
    if "starts_at" not in out and received_at is not None and "starts_at" not in dict(problems):
        out["starts_at"] = received_at
    for field in REQUIRED:
        if field not in out and field not in dict(problems):
            why = f"{_where(mapping, field)} found nothing; declare a mapping (docs/alerts.md)"
            problems.append((field, f"required field is missing: {why}"))
    out.setdefault("fingerprint", body_fingerprint(body))
    return out, problems


def body_fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _search(expression: str | None, body: dict[str, Any]) -> Any:
    if not expression:
        return None
    try:
        return jmespath.search(expression, body, options=_OPTIONS)
    except JMESPathError:
        return None  # a type error inside the body (a string where an object was expected)


def _where(mapping: AlertMapping, field: str) -> str:
    expression = mapping.fields.get(field)
    return f"mapping {mapping.name!r} `{expression}`" if expression else f"mapping {mapping.name!r}"


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | int | float):
        return str(value)
    raise ValueError(f"expected a string; got {describe(value)}")


def _status(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    words = set(re.split(r"[^a-z0-9]+", text.lower().replace("-", "")))
    if words & _RESOLVED:
        return "resolved"
    if words & _FIRING or re.sub(r"[^a-z]", "", text.lower()) in ("nodata", "insufficientdata"):
        return "firing"
    raise ValueError(
        f"expected a status like firing/alerting/triggered or resolved/ok; got {text!r}"
    )


def read_time(value: Any) -> datetime | None:
    """RFC 3339, ISO 8601 (`+0000`, no zone = UTC, a space for T), or epoch s/ms."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a time; got {describe(value)}")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        seconds = number / 1000 if number > 1e11 else number
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise ValueError(f"expected a time; got {describe(value)}")
    text = value.strip().replace(" ", "T", 1)
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    if not re.search(r"([Zz]|[+-]\d{2}:\d{2})$", text):
        text += "Z"
    try:
        return parse_rfc3339(text)
    except ValueError:
        raise ValueError(f"expected a time (RFC 3339, ISO 8601 or epoch); got {value!r}") from None


def _labels(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            if isinstance(item, list) and len(item) == 2:
                out[str(item[0])] = str(item[1])
            elif isinstance(item, str) and ":" in item:
                key, _, val = item.partition(":")
                out[key.strip()] = val.strip()
        return out
    if isinstance(value, dict):
        return {str(k): _scalar(v) for k, v in value.items() if v is not None and v != ""}
    raise ValueError(f"expected an object of labels; got {describe(value)}")


def _annotations(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"expected an object; got {describe(value)}")
    return {str(k): _scalar(v) for k, v in value.items() if _meaningful(v)}


def _meaningful(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip(" :-"))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _values(value: Any) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"expected an object of numbers; got {describe(value)}")
    out: dict[str, float] = {}
    for key, item in value.items():
        try:
            out[str(key)] = float(item)
        except (TypeError, ValueError):
            continue  # a value that is not a number is not a measurement
    return out


_READERS: dict[str, Any] = {
    "name": _text,
    "status": _status,
    "starts_at": read_time,
    "labels": _labels,
    "annotations": _annotations,
    "fingerprint": _text,
    "values": _values,
    "generator_url": _text,
    "group_key": _text,
}


BUILT_IN = Path(__file__).resolve().parent / "mappings.yaml"


def load_mappings(path: Path | None = None) -> dict[str, AlertMapping]:
    """The built-in mappings, then those of `path` (which add or replace by name).
    Raises MappingError naming the file, the mapping and the field."""
    found: dict[str, AlertMapping] = {}
    for source in (BUILT_IN, path):
        if source is None:
            continue
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise MappingError(f"{source}: {exc}") from exc
        entries = data.get("mappings") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise MappingError(f"{source}: expected a top-level 'mappings:' object")
        for name, fields in entries.items():
            if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
                raise MappingError(f"{source}: mappings.{name}: expected field: expression pairs")
            mapping = AlertMapping(name=str(name), fields=dict(fields))
            try:
                check(mapping)
            except MappingError as exc:
                raise MappingError(f"{source}: {exc}") from exc
            found[str(name)] = mapping
    return found


def resolve(
    wanted: str | Mapping[str, str] | None, known: Mapping[str, AlertMapping]
) -> AlertMapping | None:
    """A mapping by name, or one given inline; None for no mapping. Raises MappingError."""
    if wanted is None:
        return None
    if isinstance(wanted, str):
        if wanted not in known:
            names = ", ".join(sorted(known)) or "none"
            raise MappingError(f"no alert mapping named {wanted!r}; known mappings: {names}")
        return known[wanted]
    mapping = AlertMapping(name="inline", fields=dict(wanted))
    check(mapping)
    return mapping


def route_alert(
    route: str, body: str, known: Mapping[str, AlertMapping], received_at: datetime | None = None
) -> RawAlert:
    """The raw alert a webhook route received: `alertmanager`, `grafana`, `generic`, or
    `generic/<mapping>` (read through that mapping). Raises MappingError for an unknown one."""
    fmt, _, name = route.partition("/")
    if fmt not in ("alertmanager", "grafana", "generic") or (name and fmt != "generic"):
        raise MappingError(f"unknown alert route {route!r}")
    return RawAlert.model_validate(
        {"format": fmt, "body": body, "mapping": resolve(name, known) if name else None,
         "received_at": received_at}
    )  # fmt: skip
