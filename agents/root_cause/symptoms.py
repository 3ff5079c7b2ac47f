"""Symptom families: what an incident looks like from the outside, and which kinds of
change can produce each (docs/diagnosis.md, "Symptoms and settings").

The families of an incident come from the alert's name and text, the error types and log
lines the pages show, and the names of the series that left their baseline. A changed
setting, a dependency bump or a detector's finding fits an incident when their families
meet; that fit, not the finding alone, is what the ranking weighs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.root_cause.facts.types import SettingFamily

FAMILIES = (
    "latency", "timeouts", "errors", "connections", "memory", "cpu", "disk", "tls", "dns",
    "throttling", "locks", "crash", "availability", "queue", "cache", "data", "contract", "auth",
    "scheduling", "headers", "size",
)  # fmt: skip

_WORDS: tuple[tuple[str, str], ...] = (
    ("timeouts", r"timeout|timed out|deadline|read timed|etimedout|gateway time"),
    ("latency", r"latency|slow|p9\d|duration|response time|apdex"),
    ("connections", r"connection|pool|too many clients|max_?connections|maxclients|"
                    r"econnrefused|connect(ion)? refused|sockets?|hikari|goaway|"
                    r"too_many_pings|enhance_your_calm|reset by peer|connection reset"),
    # a pod's resources shown beside a failure (`memory limit 512Mi`) are its configuration
    ("memory", r"oom|out of memory|memory(?!\s*(?:limit|request)s?\s*[:=]?\s*\d)|heap|"
               r"gc overhead|garbage|rss|evicted.*memory"),
    ("cpu", r"\bcpu\b|throttled cpu|load average|saturat|backtrack|event loop lag"),
    ("disk", r"disk|volume|inode|no space|filesystem|pvc|storage full|diskpressure"),
    ("tls", r"tls|ssl|certificate|x509|handshake|cert_|unable to get local issuer"),
    ("dns", r"\bdns\b|nxdomain|servfail|eai_again|resolv|no such host|name resolution"),
    ("throttling", r"\b429\b|rate.?limit|throttl|quota|too many requests|slowdown|"
                   r"throughput ?exceeded|provisioned ?throughput|requestlimitexceeded"),
    ("locks", r"\block|deadlock|lock wait|blocking|access exclusive|waiting for"),
    ("crash", r"crash|backoff|restart|exit code|panic|segfault|killed|oomkilled|fatal"),
    ("availability", r"unavailable|down\b|unreachable|probe|health|5xx|\b50[0234]\b|"
                     r"not ready|imagepull|pending|failedscheduling|replicas? (mismatch|unavail)"),
    # a lag, but not a replica's (that is stale data, below)
    ("queue", r"queue|backlog|(?<!replica )(?<!replication )(?<!replica-\d )\blag|consumer|"
              r"kafka|sqs|celery|sidekiq|offset|oldest message|message age|messages visible"),
    ("cache", r"cache|hit ratio|hit rate|miss|evict"),
    ("errors", r"error|exception|fail|5xx|typeerror|nullpointer|traceback"),
    # a call refused for lack of permission (not a credential that expired: that is timing)
    ("auth", r"access ?denied|permission ?denied|\bforbidden\b|\b403\b|unauthori[sz]ed|"
             r"not authori[sz]ed|insufficient (privilege|permission)|is not allowed to|"
             r"cannot \w+ resource|implicit ?deny|explicit ?deny"),
    # a pod that cannot be placed: what a larger request (or a full node, a quota) causes
    ("scheduling", r"\bpending\b|failedscheduling|unschedulable|insufficient (cpu|memory)|"
                   r"forbidden: exceeded quota|didn't match|node\(s\) had"),
    # requests refused for the size of their headers (cookies), at a proxy or the server
    ("headers", r"header(?:s)? (?:or cookie )?too (?:large|big|long)|cookie too large|"
                r"header fields too large|http 431|header(?:s)? overflow|"
                r"large_client_header_buffers|max_?http_?header_?size|maxheadersize"),
    # a message, statement, body or record refused for its size against a fixed maximum
    ("size", r"larger than (?:the )?(?:max|\d)|toolarge|too (?:large|big)\b|"
             r"(?<!took )(?<!taking )too long\b(?! (?:ago|to\b))|exceeds? (?:the )?(?:max|limit|"
             r"allowed)|max_allowed_packet|packet for query|message size|(?:payload|body|entity|"
             r"record|document|item) (?:size|too)|entity too large|\b413\b|size limit|"
             r"exceeds? \d+ ?(?:bytes|[kmg]i?b)|shorter than \d+ ?(?:bytes|characters)"),
    # also a value the store refuses for its content (a character set, a type, a range)
    ("data", r"stale|inconsisten|replication|replica\S*\s+lag|duplicate|corrupt|wrong|"
             r"incorrect (?:string|integer|decimal|datetime) value|invalid byte sequence|"
             r"invalid input syntax|out of range value|data truncat|right truncat"),
    # a payload whose shape the reader did not expect (a caller validating a response)
    ("contract", r"validation ?error|zoderror|schema (validation|mismatch)|unmarshal|"
                 r"deserializ|jsonmappingexception|mismatchedinput|unrecognized ?field|"
                 r"unexpected (field|token|type|response)|missing (required )?(field|property|key)|"
                 r"expected \w+, (got|received)|invalid[_ ](response|payload)|"
                 r"cannot (parse|decode)|decod\w* error"),
)  # fmt: skip
_PATTERNS = [(family, re.compile(words, re.I)) for family, words in _WORDS]
WORDS = dict(_WORDS)
"""Each symptom family's words, as a pattern (for a rule that extends one family's)."""
NEGATED = re.compile(
    r"\b(?:no|not|zero|without|never|0)\s+(?:an?\s+)?(?:oom\w*|out of memory|crash\w*|"
    r"restarts?|evictions?|probe failures?|throttling|timeouts?|5xx|errors?|pending)\b",
    re.I,
)
"""A symptom said not to have happened (`no OOMKilled`, `0 restarts`): a page ruling it out."""

SETTING_SYMPTOMS: dict[SettingFamily, tuple[str, ...]] = {
    "timeout": ("timeouts", "latency", "errors", "availability"),
    # a connection's liveness: pings a server refuses (GOAWAY), idle connections cut under it
    "keepalive": ("connections", "errors", "availability", "timeouts"),
    "retry": ("latency", "timeouts", "cpu", "connections", "throttling", "queue", "errors"),
    "backoff": ("latency", "cpu", "connections", "throttling", "queue", "errors"),
    "pool": ("connections", "timeouts", "latency", "errors", "availability"),
    "workers": ("latency", "queue", "cpu", "memory", "connections", "timeouts"),
    "memory": ("memory", "crash", "availability", "scheduling"),
    "cpu": ("cpu", "latency", "throttling", "crash", "scheduling"),
    "replicas": ("availability", "latency", "cpu", "connections", "queue", "scheduling"),
    "autoscaling": (
        "availability",
        "latency",
        "cpu",
        "connections",
        "throttling",
        "queue",
        "scheduling",
    ),
    "ttl": ("cache", "latency", "cpu", "connections", "data"),
    "cache_key": ("cache", "latency", "cpu", "connections", "memory"),
    # a cache shrunk or removed sends its calls on to what it fronted: a database's CPU and
    # connections, a rate-limited API's quota (throttling); raised, it holds more memory
    "cache_size": ("memory", "cache", "latency", "cpu", "connections", "throttling", "timeouts"),
    "batch": ("memory", "latency", "queue", "timeouts", "size"),
    "log_level": ("disk", "latency", "cpu"),
    "sampling": ("disk", "cpu", "latency"),
    "schedule": ("latency", "cpu", "connections", "locks", "queue", "disk"),
    "flag": ("errors", "latency", "crash", "data"),
    "tls": ("tls", "errors", "availability"),
    "rate_limit": ("throttling", "errors", "availability", "latency"),
    "probe": ("availability", "crash"),
    "image": ("availability", "crash", "errors"),
    "retention": ("disk", "data"),
    # a breaker that opens fails calls fast (503s, "not permitted"); one that never opens
    # lets a slow dependency hold threads and connections
    "breaker": ("errors", "availability", "latency", "connections"),
    "other": (),
}
"""Which symptoms a changed setting of each family can produce."""

RAISED_SYMPTOMS: dict[SettingFamily, tuple[str, ...]] = {
    # a longer timeout cannot make a call time out: it holds the call, its thread and its
    # connection longer
    "timeout": ("latency", "connections", "queue", "memory"),
    # a container given more memory or CPU is neither killed nor throttled for it: a larger
    # request may leave pods unplaced (`scheduling`)
    "memory": ("scheduling",),
    "cpu": ("scheduling",),
    "cache_size": ("memory",),
}
"""Where raising a setting can produce fewer symptoms than changing it (the container's own
resources: a runtime's heap raised inside an unchanged limit is another matter; the caller
decides which)."""

CPU_REQUEST_RAISED = ("scheduling", "latency", "availability", "timeouts", "queue")
"""A CPU request raised: an autoscaler that targets CPU utilisation measures it against the
request, so with the same use per pod it reports less and scales out later or never (too few
pods at the peak: latency, timeouts, a backlog), besides leaving pods unplaced."""

KIND_SYMPTOMS: dict[str, tuple[str, ...]] = {
    "schema": ("locks", "latency", "timeouts", "errors", "connections", "cpu"),
    "dependency": ("errors", "tls", "crash", "latency", "memory", "timeouts"),
    "scheduled_job": ("latency", "cpu", "connections", "locks", "queue", "disk"),
}
"""Which symptoms a change of a kind can produce even without a recognised setting."""


def families(texts: Iterable[str]) -> set[str]:
    """The symptom families named in these texts (alert, error types, log lines, series)."""
    text = NEGATED.sub(" ", " ".join(texts))
    return {family for family, pattern in _PATTERNS if pattern.search(text)}


def fit(change_symptoms: Iterable[str], incident: set[str], primary: Iterable[str] = ()) -> float:
    """How well a change's possible symptoms fit the incident's (0..1): 1 when they include
    what the alert itself is about (`primary`), else the share of the incident's families
    the change could explain."""
    possible = set(change_symptoms)
    if possible & set(primary):
        return 1.0
    meet = possible & incident
    if not meet or not incident:
        return 0.0
    return min(1.0, len(meet) / min(3, len(incident)))
