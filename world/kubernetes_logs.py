"""`GET .../pods/{name}/log` for the Kubernetes stand-in, from the scenario's log streams.

A container's log is the lines of the streams whose labels name its pod (`pod`) and, when
they say, its `namespace` and `container`; when no stream names the pod, the streams with
no `pod` label whose `app` is the pod's app or deployment. The current container shows
what it logged since it started (`started_at` of a running container), `previous=true` the
run that ended with `last_termination`. `sinceSeconds`, `sinceTime`, `tailLines`,
`timestamps` and `limitBytes` work as in `kubectl logs`; nothing after the scenario's `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from starlette.datastructures import QueryParams

from world.kubernetes_http import bad_request, flag, int_param
from world.loki_api import log_entries, to_ns
from world.signals_spec import Container, LogStream, Pod, to_time

_NEVER_STARTED = ("ContainerCreating", "PodInitializing", "ImagePullBackOff", "ErrImagePull")


def pod_log(
    ns: str, pod: Pod, streams: Sequence[LogStream], params: QueryParams, now: datetime
) -> str:
    container = _container(pod, params.get("container"))
    first, last = _window(pod, container, flag(params, "previous"), now)
    first = max(first, _since(params, now))
    lines = [
        (ns_at, text)
        for ns_at, text in _lines(ns, pod, container.name, streams)
        if first <= ns_at <= last
    ]
    tail = int_param(params, "tailLines")
    if tail is not None and tail >= 0:
        lines = lines[len(lines) - tail :] if tail else []
    stamped = flag(params, "timestamps")
    text = "".join(f"{_stamp(at)} {line}\n" if stamped else f"{line}\n" for at, line in lines)
    limit = int_param(params, "limitBytes")
    if limit is not None and limit > 0:
        text = text.encode()[:limit].decode("utf-8", "ignore")
    return text


def _container(pod: Pod, name: str | None) -> Container:
    names = [c.name for c in pod.containers]
    if not name:
        if len(names) > 1:
            choices = " ".join(names)
            raise bad_request(
                f"a container name must be specified for pod {pod.name}, choose one of: [{choices}]"
            )
        return pod.containers[0]
    found = next((c for c in pod.containers if c.name == name), None)
    if found is None:
        raise bad_request(f"container {name} is not valid for pod {pod.name}")
    return found


def _window(pod: Pod, c: Container, previous: bool, now: datetime) -> tuple[int, int]:
    """The ns range of the requested run of the container."""
    if previous:
        last = c.last_termination
        if last is None:
            raise bad_request(
                f'previous terminated container "{c.name}" in pod "{pod.name}" not found'
            )
        begin = to_ns(to_time(last.started_at)) if last.started_at else 0
        return begin, to_ns(to_time(last.finished_at))
    if c.state == "waiting" and c.restarts == 0 and (c.reason or "") in _NEVER_STARTED:
        why = c.reason or "ContainerCreating"
        raise bad_request(f'container "{c.name}" in pod "{pod.name}" is waiting to start: {why}')
    begin = to_ns(to_time(c.started_at)) if c.state == "running" and c.started_at else 0
    return begin, to_ns(now)


def _since(params: QueryParams, now: datetime) -> int:
    seconds = int_param(params, "sinceSeconds")
    stamp = params.get("sinceTime")
    if seconds is not None and stamp:
        raise bad_request("at most one of sinceTime or sinceSeconds may be specified")
    if seconds is not None:
        if seconds < 1:
            raise bad_request("sinceSeconds: Invalid value: must be greater than 0")
        return to_ns(now) - seconds * 10**9
    if stamp:
        try:
            return to_ns(to_time(stamp))
        except ValueError as exc:
            raise bad_request(f"sinceTime: {exc}") from None
    return 0


def _lines(
    ns: str, pod: Pod, container: str, streams: Sequence[LogStream]
) -> list[tuple[int, str]]:
    def fits(labels: dict[str, str]) -> bool:
        return labels.get("namespace", ns) == ns and labels.get("container", container) == container

    named = [s for s in streams if s.labels.get("pod") == pod.name and fits(s.labels)]
    if not named:
        apps = {pod.labels.get("app"), pod.labels.get("app.kubernetes.io/name"), pod.deployment}
        apps.discard(None)
        named = [
            s
            for s in streams
            if "pod" not in s.labels and s.labels.get("app") in apps and fits(s.labels)
        ]
    merged = [entry for s in named for entry in log_entries(s)]
    return sorted(merged, key=lambda e: e[0])


def _stamp(at_ns: int) -> str:
    """RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano)."""
    seconds, nanos = divmod(at_ns, 10**9)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f".{nanos:09d}".rstrip("0").rstrip(".")
    return f"{base}{fraction}Z"
