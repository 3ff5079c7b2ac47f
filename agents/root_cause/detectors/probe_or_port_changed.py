"""A health probe, a port or an image tag's format changed: pods that were healthy now fail
their probes (restarts, no ready endpoints), traffic goes to a port nothing listens on, or the
new tag does not exist in the registry (image pull errors).

Catches, paired within a hunk (removed → added):
- a readiness/liveness/startup probe's (or a Compose/Dockerfile `HEALTHCHECK`'s, a load
  balancer health check's) path, port, command, or timing (`initialDelaySeconds`,
  `periodSeconds`, `timeoutSeconds`, `failureThreshold`, `interval`, `retries`...); tighter
  timings are stronger than looser ones; a probe block removed; a health route's path changed
  in code (`@app.get("/healthz")`, `HandleFunc("/ready", ...)`);
- a container, service or server port (`containerPort`, `targetPort`, `port`, `nodePort`,
  `server.port`, `PORT=`, `EXPOSE`, Compose `ports`, `listen`, `ListenAndServe(":8080")`,
  `app.listen(3000)`, `--port`, `--bind`), by number or by name;
- an image tag whose format changed (`1.4.2` → `v1.4.3`, a version → a commit sha, a
  version → `latest`) in manifests, Helm values, kustomize `newTag`, Compose, HCL.

Ignores image bumps in the same format, port or probe settings only added or removed
(except a whole probe removed), identical values rewritten (`8080` → `"8080"`), comments,
docs and tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import number, pairs
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "probe_or_port_changed"
SYMPTOMS = ("availability", "crash", "errors")
PORT_SYMPTOMS = ("availability", "errors", "connections")
IMAGE_SYMPTOMS = ("availability", "crash")

_PROBE = re.compile(  # `readinessProbe`, and a chart's `probes.readiness`
    r"(readiness|liveness|startup)_?probe|probes_(readiness|liveness|startup)(?![a-z])|"
    r"^(readiness|liveness|startup)$|"
    r"health_?check|healthcheck|health_?probe",
    re.I,
)
_PROBE_BLOCK = re.compile(r"^\s*(readinessProbe|livenessProbe|startupProbe|healthcheck|"
                          r"health_check|healthCheck)\s*:\s*$")  # fmt: skip
_PROBE_PATH = re.compile(r"(^|_)(path|url|endpoint|test|command|cmd|exec|matcher)$|"
                         r"health_?check_?path$|"
                         r"base_?path$", re.I)  # fmt: skip
_PROBE_PORT = re.compile(r"(^|_)port$", re.I)
_TIMING = re.compile(
    r"initial_?delay|period|timeout|failure_?threshold|success_?threshold|interval|retries|"
    r"start_?period|healthy_?threshold|unhealthy_?threshold|grace",
    re.I,
)
_TIGHTER_WHEN_HIGHER = re.compile(r"success_?threshold|(?<!un)healthy_?threshold$", re.I)
_PORT_KEY = re.compile(
    r"^(container_?port|target_?port|node_?port|host_?port|port|ports|server_?port|http_?port|"
    r"https_?port|grpc_?port|listen_?port|listen|app_?port|service_?port|management_?server_?port|"
    r"bind|addr|address|listen_?addr(ess)?|expose)$",
    re.I,
)
_CONTAINER_PORT = re.compile(r"container|target|node|host|^port$|^ports$|server|listen|bind|"
                             r"expose|^http_?port$|^app_?port$|service", re.I)  # fmt: skip
_CLIENT_SIDE = re.compile(r"db|database|redis|postgres|mysql|mongo|cache|smtp|mail|kafka|broker|"
                          r"upstream|client|remote|backend|proxy|elastic|memcache|amqp|rabbit",
                          re.I)  # fmt: skip  # the port of something else: a client setting
_IMAGE_KEY = re.compile(r"^(image|new_?tag|image_?tag|tag)$", re.I)
_ROUTE = re.compile(r"[\"'](/[\w/.-]*(?:health|ready|readiness|live|liveness|alive|ping|status|"
                    r"actuator)[\w/.-]*)[\"']", re.I)  # fmt: skip
_UNKEYED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EXPOSE", re.compile(r"^\s*EXPOSE\s+(.+?)\s*$", re.I)),
    ("HEALTHCHECK", re.compile(r"^\s*HEALTHCHECK\s+(.+?)\s*$", re.I)),
    ("ListenAndServe", re.compile(r"ListenAndServe(?:TLS)?\(\s*\"([^\"]*)\"")),
    ("listen()", re.compile(r"\.listen\(\s*(\d{2,5})\b")),
    ("listen", re.compile(r"^\s*listen\s+([^;]+);")),
    ("--port", re.compile(r"--port[= ]+[\"']?(\d{2,5})\b")),
    ("--bind", re.compile(r"(?:--bind|-b)[= ]+[\"']?([\w.:\[\]]*:\d{2,5})\b")),
    ("-p", re.compile(r"\s-p\s+[\"']?(\d{2,5}:\d{2,5})\b")),
    ("ports", re.compile(r"^\s*-\s*[\"']?((?:[\d.]+:)?\d{2,5}(?::\d{2,5})?(?:/\w+)?)[\"']?\s*$")),
)
_KEYISH = re.compile(  # a key _judge reads has one of these: a cheap first pass
    r"path|url|endpoint|test|command|cmd|exec|matcher|health|probe|port|delay|period|timeout|"
    r"threshold|interval|retries|start|grace|listen|bind|addr|expose|image|tag",
    re.I,
)
_NEEDLES = {"EXPOSE": "expose", "HEALTHCHECK": "healthcheck", "ListenAndServe": "listenandserve",
            "listen()": ".listen(", "listen": "listen", "--port": "--port", "--bind": "-b",
            "-p": "-p ", "ports": "-"}  # fmt: skip
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--\s|;)")
_ANNOTATION = re.compile(
    r"^\s*[\"']?([\w./-]+/[\w.-]+)[\"']?\s*:\s+(.+?)\s*,?\s*$"
)  # `a.io/x-y: v`
_OPENER = re.compile(r"^\s*\"?([\w.-]+)\"?\s*(?::|=)?\s*(?:\"[^\"]*\"\s*)*\{\s*$")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if file_kind(file, patch) == "docs_tests":
            continue
        lines = diff.parse(patch)
        seen: set[int | None] = set()
        for finding in [*_keyed(file, lines), *_unkeyed(file, lines), *_removed_probes(file, lines),
                        *_routes(file, lines)]:  # fmt: skip
            if finding.line not in seen:
                seen.add(finding.line)
                found.append(finding)
    return found


def _keyed(file: str, lines: list[diff.DiffLine]) -> Iterator[Finding]:
    before: dict[tuple[int, str], tuple[str, diff.DiffLine]] = {}
    after: dict[tuple[int, str], tuple[str, diff.DiffLine]] = {}
    for i, d in enumerate(lines):
        if d.sign == " " or not _KEYISH.search(d.text) or _COMMENT.match(d.text):
            continue
        found = pairs(d.text) or [
            (m.group(1), m.group(2)) for m in [_ANNOTATION.match(d.text)] if m
        ]
        for key, value in found:
            context = d.path[-4:] or tuple(_openers(lines, i))
            slot = (d.hunk, ".".join([*context, key]))
            (before if d.sign == "-" else after).setdefault(slot, (value, d))
    for slot, (new, line) in after.items():
        if slot not in before:
            continue
        old = before[slot][0]
        if _clean(old) == _clean(new):
            continue
        finding = _judge(file, slot[1], _clean(old), _clean(new), line)
        if finding:
            yield finding


def _judge(file: str, key_path: str, old: str, new: str, line: diff.DiffLine) -> Finding | None:
    key = _words(key_path.split(".")[-1])
    context = _words(key_path)
    if _PROBE.search(context) or _PROBE.search(key):
        probe = _probe_name(key_path)
        if _PROBE_PATH.search(key) or (_PROBE.search(key) and "/" in old + new):
            return Finding(NAME, f"{probe} path/command changed: {old} → {new}", file, line.new,
                           SYMPTOMS, 0.65)  # fmt: skip
        if _PROBE_PORT.search(key):
            return Finding(NAME, f"{probe} port changed: {old} → {new}", file, line.new,
                           SYMPTOMS, 0.65)  # fmt: skip
        if _TIMING.search(key):
            return _timing(file, probe, key_path.split(".")[-1], old, new, line.new)
        return None
    if _PORT_KEY.match(key):
        old_port, new_port = _port(old), _port(new)
        if old_port is None or new_port is None or old_port == new_port:
            return None
        container = bool(_CONTAINER_PORT.search(key)) and not _CLIENT_SIDE.search(context)
        return Finding(NAME, f"port changed: {key_path} {old_port} → {new_port}", file, line.new,
                       PORT_SYMPTOMS, 0.6 if container else 0.45)  # fmt: skip
    if _IMAGE_KEY.match(key) and (key != "tag" or "image" in context):
        return _image(file, key_path, old, new, line.new, tag_only=key != "image")
    return None


def _timing(
    file: str, probe: str, key: str, old: str, new: str, line: int | None
) -> Finding | None:
    was, now = number(old), number(new)
    if was is None or now is None or was == now:
        return None
    tighter = (now > was) if _TIGHTER_WHEN_HIGHER.search(_words(key)) else (now < was)
    if tighter:
        factor = max(was, now) / max(min(was, now), 1e-9)
        strength = 0.6 if factor >= 3 else 0.5
        return Finding(NAME, f"{probe} {key} tightened: {old} → {new} (fails, restarts or goes "
                       f"unready sooner)", file, line, SYMPTOMS, strength)  # fmt: skip
    return Finding(NAME, f"{probe} {key} loosened: {old} → {new}", file, line, SYMPTOMS, 0.3)


def _image(
    file: str, key: str, old: str, new: str, line: int | None, tag_only: bool
) -> Finding | None:
    old_tag = old if tag_only else _tag(old)
    new_tag = new if tag_only else _tag(new)
    if old_tag is None or new_tag is None or old_tag == new_tag:
        return None
    if not tag_only and _repository(old) != _repository(new):
        return None  # another image, not another tag format
    if _shape(old_tag) == _shape(new_tag):
        return None
    return Finding(NAME, f"image tag format changed: {key} {old_tag} ({_shape(old_tag)}) → "
                   f"{new_tag} ({_shape(new_tag)})", file, line, IMAGE_SYMPTOMS, 0.65)  # fmt: skip


def _unkeyed(file: str, lines: list[diff.DiffLine]) -> Iterator[Finding]:
    for hunk in _hunks(lines).values():
        texts = [d.text.lower() for d in hunk]
        for label, pattern in _UNKEYED:
            needle = _NEEDLES[label]
            lines_with = [d for d, text in zip(hunk, texts, strict=True) if needle in text]
            gone = _matches(lines_with, "-", pattern)
            came = _matches(lines_with, "+", pattern)
            if label == "ports":
                gone = [(v, d) for v, d in gone if "ports" in d.path]
                came = [(v, d) for v, d in came if "ports" in d.path]
            for (old, _), (new, d) in zip(gone, came, strict=False):
                if _clean(old) == _clean(new):
                    continue
                if label == "HEALTHCHECK":
                    yield Finding(NAME, f"HEALTHCHECK changed: {old} → {new}", file, d.new,
                                  SYMPTOMS, 0.55)  # fmt: skip
                elif _ports(old) != _ports(new):
                    yield Finding(NAME, f"port changed: {label} {old} → {new}", file, d.new,
                                  PORT_SYMPTOMS, 0.6)  # fmt: skip


def _hunks(lines: list[diff.DiffLine]) -> dict[int, list[diff.DiffLine]]:
    """The changed lines of each hunk."""
    out: dict[int, list[diff.DiffLine]] = {}
    for d in lines:
        if d.sign != " ":
            out.setdefault(d.hunk, []).append(d)
    return out


def _matches(
    lines: list[diff.DiffLine], sign: str, pattern: re.Pattern[str]
) -> list[tuple[str, diff.DiffLine]]:
    """(the pattern's value, the line) for the lines of one sign that it matches."""
    out = []
    for d in lines:
        if d.sign == sign and not _COMMENT.match(d.text):
            found = pattern.search(d.text)
            if found:
                out.append((found.group(1), d))
    return out


def _removed_probes(file: str, lines: list[diff.DiffLine]) -> Iterator[Finding]:
    """A whole probe block removed (and not added back in the file)."""
    kept = {m.group(1) for d in lines if d.sign == "+" for m in [_PROBE_BLOCK.match(d.text)] if m}
    for i, d in enumerate(lines):
        found = _PROBE_BLOCK.match(d.text) if d.sign == "-" else None
        if found and found.group(1) not in kept:
            yield Finding(
                NAME, f"{found.group(1)} removed", file, _new_line(lines, i), SYMPTOMS, 0.45
            )


def _routes(file: str, lines: list[diff.DiffLine]) -> Iterator[Finding]:
    """A health route's path changed in code (the line otherwise the same)."""
    for hunk in _hunks(lines).values():
        gone = [d for d in hunk if d.sign == "-" and _ROUTE.search(d.text)]
        came = [d for d in hunk if d.sign == "+" and _ROUTE.search(d.text)]
        for old, new in zip(gone, came, strict=False):
            if _COMMENT.match(old.text) or _COMMENT.match(new.text) or pairs(new.text):
                continue  # keyed settings are judged by _keyed
            a, b = _ROUTE.search(old.text), _ROUTE.search(new.text)
            assert a is not None and b is not None
            same_rest = _ROUTE.sub("''", old.text).strip() == _ROUTE.sub("''", new.text).strip()
            if a.group(1) != b.group(1) and same_rest:
                yield Finding(NAME, f"health route path changed: {a.group(1)} → {b.group(1)}",
                              file, new.new, SYMPTOMS, 0.6)  # fmt: skip


def _openers(lines: list[diff.DiffLine], index: int) -> list[str]:
    """The keys of the `{` blocks (JSON, HCL) a line sits in, outermost first."""
    indent = len(lines[index].text) - len(lines[index].text.lstrip())
    out: list[str] = []
    for d in reversed(lines[:index]):
        own = len(d.text) - len(d.text.lstrip())
        found = _OPENER.match(d.text) if d.sign != "-" and own < indent else None
        if found:
            out.insert(0, found.group(1))
            indent = own
    return out[-4:]


def _probe_name(key_path: str) -> str:
    for part in reversed(key_path.split(".")):
        if _PROBE.search(_words(part)):
            return part.split("/")[-1]
    return "health check"


def _port(value: str) -> str | None:
    text = value.strip().strip("\"'")
    if re.fullmatch(r"\d{1,5}", text):
        return text
    found = re.search(r":(\d{2,5})\b", text)
    if found:
        return found.group(1)
    if re.fullmatch(r"[a-z][a-z0-9-]{0,14}", text):  # a named port (`http`, `metrics`)
        return text
    return None


def _ports(value: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\d{2,5}", value)) or (value.strip(),)


def _tag(image: str) -> str | None:
    reference = image.strip().strip("\"'").split("@")[0]
    last = reference.split("/")[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _repository(image: str) -> str:
    reference = image.strip().strip("\"'").split("@")[0]
    head, _, last = reference.rpartition("/")
    return f"{head}/{last.split(':')[0]}" if head else last.split(":")[0]


def _shape(tag: str) -> str:
    prefix = "v-prefixed " if re.match(r"^v\d", tag) else ""
    core = tag[1:] if prefix else tag
    if re.fullmatch(r"\d+(\.\d+)+([-+][\w.]+)?", core):
        kind = "version"
    elif re.fullmatch(r"[0-9a-f]{7,40}", core) and re.search(r"[a-f]", core):
        kind = "commit sha"
    elif re.fullmatch(r"\d{4}-?\d{2}-?\d{2}[\w.-]*", core):
        kind = "date"
    elif re.fullmatch(r"\d+", core):
        kind = "number"
    elif re.fullmatch(r"[a-z]+", core):
        kind = "name"
    else:
        kind = "other"
    return prefix + kind


def _words(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return spaced.replace("-", "_").replace(".", "_").lower()


def _clean(value: str) -> str:
    return value.strip().strip("\"'").strip()


def _new_line(lines: list[diff.DiffLine], index: int) -> int | None:
    """Where a removed line was, as a line of the new file."""
    for d in lines[index:]:
        if d.new is not None:
            return d.new
    for d in reversed(lines[:index]):
        if d.new is not None:
            return d.new + 1
    return None
