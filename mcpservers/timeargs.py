"""Time arguments shared by the Prometheus, logs and Kubernetes servers.

"now" is `REPLAY_NOW` when it is set (a replay: the data is from the scenario's day), else
the real clock. A time argument is RFC 3339 (UTC when it names no zone), Unix seconds,
`now`, or `now-DURATION` such as `now-15m`; a duration is `90s`, `5m`, `1h30m`, `2d` or
a number of seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_RELATIVE = re.compile(r"^now\s*(?:-\s*(?P<ago>\S+))?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def replay_now(env: Mapping[str, str]) -> datetime | None:
    """`REPLAY_NOW` as an aware datetime; None when unset or empty (use the real clock)."""
    raw = env.get("REPLAY_NOW", "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"REPLAY_NOW must be RFC 3339 like 2026-03-14T10:20:00Z; got {raw!r}"
        ) from exc
    if value.tzinfo is None:
        raise ValueError(f"REPLAY_NOW needs a time zone (Z or +00:00); got {raw!r}")
    return value.astimezone(UTC)


def parse_duration(value: str, name: str) -> timedelta:
    """`90s`, `5m`, `1h30m`, `2d`, `250ms` or plain seconds, as a positive timedelta."""
    text = value.strip()
    if _NUMBER.match(text):
        seconds = float(text)
    elif _DURATION.match(text):
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))
    else:
        raise ValueError(f"{name} must be a duration like 30s, 5m or 1h30m; got {value!r}")
    if seconds <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}")
    return timedelta(seconds=seconds)


def parse_time(value: str | None, name: str, now: datetime) -> datetime | None:
    """A time argument as an aware UTC datetime; None when not given."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    relative = _RELATIVE.match(text)
    if relative:
        ago = relative.group("ago")
        return now - parse_duration(ago, name) if ago else now
    if _NUMBER.match(text):
        return datetime.fromtimestamp(float(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{name} must be RFC 3339 like 2026-03-14T10:04:00Z, Unix seconds, or now-15m; "
            f"got {value!r}"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def window(
    start: str | None, end: str | None, now: datetime, default: timedelta
) -> tuple[datetime, datetime]:
    """[start, end]: end defaults to now, start to `default` before end."""
    until = parse_time(end, "end", now) or now
    since = parse_time(start, "start", now) or until - default
    if since > until:
        raise ValueError(f"start ({iso(since)}) is after end ({iso(until)})")
    return since, until


def iso(value: datetime) -> str:
    """RFC 3339 in UTC with a Z; milliseconds only when there are any."""
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond // 1000:03d}".rstrip("0")
    return text + "Z"


def iso_unix(seconds: float) -> str:
    return iso(datetime.fromtimestamp(seconds, UTC))


def iso_nanos(nanos: int) -> str:
    """A nanosecond Unix time (Loki's) as RFC 3339, keeping sub-second digits."""
    whole, frac = divmod(nanos, 1_000_000_000)
    text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{frac:09d}".rstrip("0") if frac else "") + "Z"


def seconds_text(value: timedelta) -> str:
    """A duration as Prometheus reads it: `60s`, `0.5s`."""
    seconds = value.total_seconds()
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{seconds:g}s"
