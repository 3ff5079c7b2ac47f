"""A runtime no longer sized to its container: a change that removes what told a runtime how
many CPUs or how much memory its container has, or that sizes a pool from the host's CPU
count. In a container, a runtime that reads the node sees all of its cores and memory, not
the container's limits: Go before 1.25 sets GOMAXPROCS to the node's cores (dozens of threads
burning a 2-CPU quota in bursts: CFS throttling, latency at the peak), an old JVM or Node
sizes its heap from the node's memory (the container is OOMKilled before the collector
runs), and a pool of `cpu_count()` threads or processes is sized for the node.

Catches, outside docs and tests:
- removed with nothing equivalent added back: Go's `go.uber.org/automaxprocs` (its import or
  its `go.mod` requirement; ignored when the change shows the module on Go 1.25 or later,
  which reads the CPU quota itself), `GOMAXPROCS` and `GOMEMLIMIT` settings,
  `runtime.GOMAXPROCS(` and `debug.SetMemoryLimit(` calls; the JVM's `-XX:ActiveProcessorCount`,
  `-XX:MaxRAMPercentage`/`-XX:MaxRAM`/`-Xmx` and `-XX:+UseContainerSupport`; Node's
  `--max-old-space-size` and `UV_THREADPOOL_SIZE`; .NET's `DOTNET_PROCESSOR_COUNT` and
  `DOTNET_GCHeapHardLimit`;
- added: a pool, worker or thread count taken from the host's CPU count
  (`os.cpu_count()`, `multiprocessing.cpu_count()`, `runtime.NumCPU()`,
  `Runtime.getRuntime().availableProcessors()` on a JVM told not to read the container,
  `os.cpus().length`, `Environment.ProcessorCount`).

Ignores a setting moved (removed and added in the same change), values changed (another
detector weighs limits lowered or raised), the host's CPU count read for logging, docs and
tests. A latent risk: it shows under load, or on the first larger node.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "runtime_sizing_removed"
CPU_SYMPTOMS = ("cpu", "latency", "timeouts")
MEMORY_SYMPTOMS = ("memory", "crash", "availability")

# (what it is, the pattern, whether it sizes CPU rather than memory)
_SIZING: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("automaxprocs", re.compile(r"go\.uber\.org/automaxprocs"), True),
    ("GOMAXPROCS", re.compile(r"\bGOMAXPROCS\b"), True),
    ("GOMEMLIMIT", re.compile(r"\bGOMEMLIMIT\b|debug\.SetMemoryLimit\("), False),
    ("-XX:ActiveProcessorCount", re.compile(r"-XX:ActiveProcessorCount"), True),
    ("the JVM's heap bound", re.compile(r"-XX:(?:Max|Initial)RAM(?:Percentage)?\b|-Xmx\d"), False),
    ("-XX:+UseContainerSupport", re.compile(r"-XX:\+UseContainerSupport"), False),
    ("--max-old-space-size", re.compile(r"--max[-_]old[-_]space[-_]size"), False),
    ("UV_THREADPOOL_SIZE", re.compile(r"\bUV_THREADPOOL_SIZE\b"), True),
    ("DOTNET_PROCESSOR_COUNT", re.compile(r"\bDOTNET_PROCESSOR_COUNT\b"), True),
    ("DOTNET_GCHeapHardLimit", re.compile(r"\bDOTNET_GCHeapHardLimit\w*"), False),
)
_HOST_CPUS = re.compile(
    r"\b(?:os|multiprocessing|psutil)\.cpu_count\(\)|\bruntime\.NumCPU\(\)"
    r"|availableProcessors\(\)|\bos\.cpus\(\)\.length|Environment\.ProcessorCount"
)
_POOL_WORDS = re.compile(r"pool|worker|thread|concurren|parallel|processes|procs|executor", re.I)
_LOGGED = re.compile(r"\b(?:log|logger|print|console)\w*[.(]", re.I)
_COMMENT = re.compile(r"^\s*(#|//|/?\*|--|<!--)")
_GO_DIRECTIVE = re.compile(r"^\s*[+ -]?\s*(?:go|toolchain go)\s*1\.(\d+)")
_CONTAINER_AWARE_GO = 25  # Go 1.25 sets GOMAXPROCS from the container's CPU limit itself


def detect(change: ChangeFacts) -> list[Finding]:
    removed = _code(change.removed)
    added = _code(change.added)
    found: list[Finding] = []
    for what, pattern, cpu in _SIZING:
        gone = next((ln for ln in removed if pattern.search(ln.text)), None)
        if gone is None or any(pattern.search(ln.text) for ln in added):
            continue
        if what == "automaxprocs" and _go_minor(change) >= _CONTAINER_AWARE_GO:
            continue
        found.append(_finding(what, gone, cpu))
    for ln in added:
        if (
            _HOST_CPUS.search(ln.text)
            and _POOL_WORDS.search(ln.text)
            and not _LOGGED.search(ln.text)
        ):
            found.append(Finding(
                NAME, "sizes a pool from the host's CPU count: in a container that is the "
                "node's cores, not the container's CPU limit, so the pool outgrows its quota "
                "(throttling, latency under load)", ln.file, ln.line, CPU_SYMPTOMS, strength=0.5,
            ))  # fmt: skip
            break
    return found[:2]


def _finding(what: str, gone: Line, cpu: bool) -> Finding:
    if cpu:
        message = (f"removes {what}: the runtime then sizes its threads from the node's cores, "
                   "not the container's CPU limit, and burns its CPU quota in bursts (CFS "
                   "throttling, latency under load)")  # fmt: skip
        return Finding(NAME, message, gone.file, gone.line, CPU_SYMPTOMS, strength=0.6)
    message = (
        f"removes {what}: the runtime then sizes its heap from the node's memory, "
        "not the container's limit, and the container is OOMKilled before it collects"
    )
    return Finding(NAME, message, gone.file, gone.line, MEMORY_SYMPTOMS, strength=0.6)


def _code(lines: tuple[Line, ...]) -> list[Line]:
    return [
        ln
        for ln in lines
        if kinds.file_kind(ln.file) != "docs_tests" and not _COMMENT.match(ln.text)
    ]


def _go_minor(change: ChangeFacts) -> int:
    """The Go minor version a go.mod in the change states (0 when none shows)."""
    best = 0
    for file, patch in change.patches.items():
        if not file.endswith("go.mod"):
            continue
        for line in patch.splitlines():
            match = _GO_DIRECTIVE.match(line)
            if match and not line.startswith("-"):
                best = max(best, int(match.group(1)))
    return best
