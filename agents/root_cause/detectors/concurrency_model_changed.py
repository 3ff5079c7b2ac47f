"""The way the service runs concurrent work switched: Java's virtual threads turned on, a
Python server moved to green threads (gevent, eventlet) or to another worker class. Code
that was safe on platform threads or sync workers can stall the new model: on virtual
threads a blocking call inside `synchronized` (many JDBC drivers and older HTTP clients)
pins its carrier thread, and with one carrier per CPU a few such calls stop every request
on the pod; under green threads a C library's blocking call (a database driver not
patched) blocks the whole worker. It shows under load (a peak), as latency climbing to
timeouts, a connection pool held by stalled requests, and probes failing, while CPU stays
low.

Catches, in added lines of production code and configuration: a setting that turns virtual
threads on (`spring.threads.virtual.enabled: true`, `quarkus.virtual-threads.enabled`,
`jdk.virtualThreadScheduler.*`), code that runs work on them
(`Executors.newVirtualThreadPerTaskExecutor()`, `Thread.ofVirtual()`,
`@RunOnVirtualThread`); gevent or eventlet monkey-patching added; a gunicorn worker class set
to a green-thread, threaded or async one where it was another (`worker_class`, `-k`,
`--worker-class`).

Ignores virtual threads turned off, a worker class unchanged, comments, docs, tests and
other environments' configuration.
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import COMMENT
from agents.root_cause.facts.settings import production_file
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "concurrency_model_changed"
SYMPTOMS = ("latency", "timeouts", "connections", "availability", "queue")

_VIRTUAL_KEY = re.compile(r"virtual[._-]?threads?|threads?[._-]virtual|virtualThreadScheduler",
                          re.I)  # fmt: skip
_ON = re.compile(r"^[\"']?(true|on|yes|1|enabled)[\"']?$", re.I)
_VIRTUAL_CODE = re.compile(r"newVirtualThreadPerTaskExecutor\s*\(|Thread\.ofVirtual\s*\(|"
                           r"@RunOnVirtualThread\b|Thread\.startVirtualThread\s*\(")  # fmt: skip
_GREEN = re.compile(r"\bgevent\.monkey\.patch_all\s*\(|\bmonkey\.patch_all\s*\(|"
                    r"\beventlet\.monkey_patch\s*\(")  # fmt: skip
_WORKER_CLASS = re.compile(r"(?:\bworker_class\b\s*[=:]\s*|--worker-class[=\s]+|(?<![\w-])-k\s+)"
                           r"[\"']?(?P<c>[\w.:]+)")  # fmt: skip
_PINS = ("a blocking call inside `synchronized` (many JDBC drivers, older HTTP clients) pins "
         "its carrier thread, and with one carrier per CPU a few such calls stall every "
         "request under load")  # fmt: skip
_BLOCKS = ("a blocking call the new model does not yield on (a C driver, a lock) holds the "
           "whole worker, so requests queue under load")  # fmt: skip


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for s in change.settings:
        if (
            _VIRTUAL_KEY.search(s.key)
            and s.after
            and _ON.match(s.after.strip())
            and not (s.before and _ON.match(s.before.strip()))
            and _production(s.file)
        ):
            found.append(Finding(NAME, f"virtual threads turned on ({s.key} = {s.after}): "
                                 + _PINS, s.file, s.line, SYMPTOMS, 0.55))  # fmt: skip
            break
    removed = [line.text for line in change.removed]  # what the change replaced, read once
    green_before = any(_GREEN.search(r) for r in removed)
    before = [m["c"] for r in removed if (m := _WORKER_CLASS.search(r))]
    for line in change.added:
        if not _production(line.file) or COMMENT.match(line.text):
            continue
        if _VIRTUAL_CODE.search(line.text) and not found:
            found.append(Finding(NAME, "work moved onto virtual threads (`"
                                 + line.text.strip()[:80] + "`): " + _PINS, line.file,
                                 line.line, SYMPTOMS, 0.5))  # fmt: skip
        elif _GREEN.search(line.text) and not green_before:
            found.append(
                Finding(
                    NAME,
                    "green threads patched in (`" + line.text.strip()[:60] + "`): " + _BLOCKS,
                    line.file,
                    line.line,
                    SYMPTOMS,
                    0.5,
                )
            )
        else:
            worker = _WORKER_CLASS.search(line.text)
            if worker and before and worker["c"] not in before:
                found.append(Finding(NAME, f"worker class changed from {before[0]} to "
                                     f"{worker['c']}: " + _BLOCKS, line.file, line.line,
                                     SYMPTOMS, 0.45))  # fmt: skip
    return found


def _production(file: str) -> bool:
    return file_kind(file) != "docs_tests" and production_file(file) is not False
