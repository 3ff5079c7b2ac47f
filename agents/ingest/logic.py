"""Parse a webhook body into one `Alert` (pure: no I/O, no clock, no environment).

`parse_alert` is the one entry point, shared by scenario replays and the webhook service.
Every failure is an `AlertFormatError` whose `.problems` name the field and what was
expected, ready to become an HTTP 422 body. The formats are documented in `docs/alerts.md`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import DEFAULT_REF_TEMPLATE
from pydantic_core import ErrorDetails

from agents.ingest.generic_schema import (
    GenericAlert,
    OptionalTimestamp,
    Timestamp,
    default_fingerprint,
    describe,
)
from agents.ingest.mapping import COMMON, extract
from core.state import Alert, RawAlert

__all__ = ["AlertFormatError", "parse_alert", "payload_json_schema"]

Source = Literal["alertmanager", "grafana", "generic"]
Status = Literal["firing", "resolved"]
Problem = tuple[str, str]  # (field path like "alerts[0].startsAt", what was expected)


class AlertFormatError(Exception):
    """A webhook body that is not a valid payload of its format; `.problems` lists why."""

    def __init__(self, source: Source, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        details = "; ".join(f"{path}: {message}" for path, message in problems)
        super().__init__(f"invalid {source} payload: {details}")


class _Wire(BaseModel):
    """Sources add fields over time, so unknown keys are ignored; known ones are type-checked."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class _AlertmanagerAlert(_Wire):
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: Timestamp
    endsAt: OptionalTimestamp = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1)


class _GrafanaAlert(_AlertmanagerAlert):
    silenceURL: str = ""
    dashboardURL: str = ""
    panelURL: str = ""
    values: dict[str, float] | None = None
    valueString: str = ""


A = TypeVar("A", bound=_AlertmanagerAlert)


class _Group(_Wire, Generic[A]):
    status: Status
    receiver: str = ""
    groupKey: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    truncatedAlerts: int = Field(default=0, ge=0)
    alerts: list[A] = Field(min_length=1)


class _AlertmanagerGroup(_Group[_AlertmanagerAlert]):
    version: Literal["4"] = "4"


class _GrafanaGroup(_Group[_GrafanaAlert]):
    version: Literal["1"] = "1"
    orgId: int = 0
    title: str = ""
    state: str = ""
    message: str = ""


M = TypeVar("M", bound=BaseModel)


def parse_alert(raw: RawAlert) -> Alert:
    """The alert an incident is about: for a group, its first firing alert, else its first."""
    data = _load_json(raw)
    if raw.format == "generic":
        return _generic(raw, data)
    if raw.format == "grafana":
        return _from_group(_validate(_GrafanaGroup, data, raw.format), raw.format)
    return _from_group(_validate(_AlertmanagerGroup, data, raw.format), raw.format)


def payload_json_schema(source: Source, ref_template: str = DEFAULT_REF_TEMPLATE) -> dict[str, Any]:
    """The JSON schema of a format's webhook body (the service's OpenAPI document)."""
    models: dict[str, type[BaseModel]] = {
        "alertmanager": _AlertmanagerGroup,
        "grafana": _GrafanaGroup,
        "generic": GenericAlert,
    }
    return models[source].model_json_schema(ref_template=ref_template)


def _load_json(raw: RawAlert) -> Any:
    try:
        return json.loads(raw.body)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno} (char {exc.pos})"
        problem = f"expected JSON: {exc.msg} at {where}"
        raise AlertFormatError(raw.format, [("(body)", problem)]) from exc
    except RecursionError:
        problem = "expected JSON nested less deeply"
        raise AlertFormatError(raw.format, [("(body)", problem)]) from None


def _validate(model: type[M], data: Any, source: Source) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = tuple(model.model_fields)
        problems = [(_path(err["loc"]), _message(err, fields)) for err in exc.errors()]
        raise AlertFormatError(source, problems) from exc


def _from_group(group: _Group[A], source: Source) -> Alert:
    index, chosen = next(
        ((i, a) for i, a in enumerate(group.alerts) if a.status == "firing"),
        (0, group.alerts[0]),
    )
    labels = {**group.commonLabels, **chosen.labels}
    name = labels.get("alertname", "")
    if not name:
        problem = "expected an 'alertname' label (in the alert's labels or in commonLabels)"
        raise AlertFormatError(source, [(f"alerts[{index}].labels.alertname", problem)])
    annotations = {**group.commonAnnotations, **chosen.annotations}
    values: dict[str, float] = {}
    if isinstance(chosen, _GrafanaAlert):
        links = {"dashboardURL": chosen.dashboardURL, "panelURL": chosen.panelURL}
        annotations.update({key: url for key, url in links.items() if url})
        values = dict(chosen.values or {})
    return Alert(
        source=source,
        fingerprint=chosen.fingerprint,
        name=name,
        status=chosen.status,
        starts_at=chosen.startsAt,
        labels=labels,
        annotations=annotations,
        values=values,
        generator_url=chosen.generatorURL or None,
        group_key=group.groupKey or None,
    )


OWN_FORMAT_KEYS = ("name", "starts_at")


def _generic(raw: RawAlert, data: Any) -> Alert:
    """A body with both `name` and `starts_at` and no mapping is incident-graph's own format
    (strict: a misspelt key is an error); any other body is read through its mapping, or
    common field names when it has none."""
    if raw.mapping is None and isinstance(data, dict) and all(k in data for k in OWN_FORMAT_KEYS):
        return _from_generic(_validate(GenericAlert, data, raw.format))
    fields, problems = extract(raw.mapping or COMMON, data, raw.received_at)
    if problems:
        raise AlertFormatError(raw.format, problems)
    return Alert(
        source="generic",
        fingerprint=fields["fingerprint"],
        name=fields["name"],
        status=fields.get("status", "firing"),
        starts_at=fields["starts_at"],
        labels=fields.get("labels", {}),
        annotations=fields.get("annotations", {}),
        values=fields.get("values", {}),
        generator_url=fields.get("generator_url"),
        group_key=fields.get("group_key"),
    )


def _from_generic(alert: GenericAlert) -> Alert:
    return Alert(
        source="generic",
        fingerprint=alert.fingerprint or default_fingerprint(alert.name, alert.labels),
        name=alert.name,
        status=alert.status,
        starts_at=alert.starts_at,
        labels=dict(alert.labels),
        annotations=dict(alert.annotations),
        values=dict(alert.values),
    )


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_EXPECTED = {
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "an array",
    "float_type": "a number",
    "int_type": "an integer",
    "bool_type": "true or false",
}


def _path(loc: tuple[int | str, ...]) -> str:
    """`alerts[0].labels.severity`; keys that are not identifiers are quoted: `labels["a.b/c"]`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part, ensure_ascii=False)}]"
    return path or "(body)"


def _message(err: ErrorDetails, fields: tuple[str, ...]) -> str:
    kind, ctx, got = err["type"], err.get("ctx", {}), describe(err["input"])
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field; expected one of: {', '.join(fields)}"
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "literal_error":
        return f"expected {ctx['expected']}; got {got}"
    if kind == "too_short":
        return f"expected at least one item; got {got}"
    if kind == "string_too_short":
        return f"expected a non-empty string; got {got}"
    if kind == "greater_than_equal":
        return f"expected a number >= {ctx['ge']}; got {got}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}; got {got}"
    return err["msg"]
