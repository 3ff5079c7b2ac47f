"""Payload grows: a change that makes every message of an existing schema carry more: a
repeated field of another message type (a list of nested records per item), or raw bytes (an
image, a thumbnail, a document) added to a message that responses and events already send.
Messages travel under fixed maximums: gRPC clients receive at most 4 MB by default, Kafka
brokers take records up to `message.max.bytes` (1 MB), SQS and SNS 256 KB, MySQL statements
`max_allowed_packet`, proxies a body size. A list response multiplies the growth by the page
size, so the largest pages cross the limit first and fail with `message larger than max`,
`RecordTooLargeException` or 413, while small pages go on working.

Catches added lines of a Protocol Buffers (`.proto`) or Avro (`.avsc`) schema that add to a
message or record that was already there (context lines around them in the hunk): a
`repeated` field whose type is a message (a capitalised name, not a scalar), strong (0.5),
or a `bytes` field or an Avro array of records, weaker (0.4).

Ignores new messages (nothing sends them yet), scalar and repeated scalar fields, removed
fields, comments, and schemas in docs or tests.
"""

from __future__ import annotations

import re

from agents.root_cause.facts.diff import DiffLine, parse
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "payload_grows"
SYMPTOMS = ("size", "memory", "latency")

_SCALARS = frozenset({
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
})  # fmt: skip
_REPEATED = re.compile(r"^\s*repeated\s+(?P<type>[\w.]+)\s+\w+\s*=\s*\d+")
_BYTES = re.compile(r"^\s*(?:optional\s+)?bytes\s+\w+\s*=\s*\d+")
_MESSAGE_START = re.compile(r"^\s*(?:message|enum|service|oneof)\s+\w+\s*\{")
_AVRO_ARRAY = re.compile(
    r'"type"\s*:\s*\{\s*"type"\s*:\s*"array"\s*,\s*"items"\s*:\s*(?:"[A-Z]|\{)'
)
_COMMENT = re.compile(r"^\s*(//|/\*|\*)")
_DOCS_OR_TESTS = re.compile(r"(^|/)(docs?|tests?|testdata|examples?)/", re.I)


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if _DOCS_OR_TESTS.search(file) or not file.endswith((".proto", ".avsc")):
            continue
        lines = parse(patch)
        for i, d in enumerate(lines):
            if d.sign != "+" or _COMMENT.match(d.text) or not _in_existing(lines, i):
                continue
            strength, what = _grows(d.text)
            if strength:
                found.append(Finding(
                    NAME, f"adds {what} to a message that is already sent: each one carries "
                    "more, and a list of them (a page of results) can pass the size its "
                    "readers or the transport accept (a 4 MB gRPC maximum, a broker's or a "
                    "queue's record limit)", file, d.new or 0, SYMPTOMS, strength=strength,
                ))  # fmt: skip
    return sorted(found, key=lambda f: -f.strength)[:1]


def _grows(text: str) -> tuple[float, str]:
    repeated = _REPEATED.match(text)
    name = repeated["type"].split(".")[-1] if repeated else ""
    if repeated and name not in _SCALARS and name[:1].isupper():
        return 0.5, f"a list of nested {repeated['type']} records"
    if _BYTES.match(text) or (repeated and repeated["type"] == "bytes"):
        return 0.4, "raw bytes"
    if _AVRO_ARRAY.search(text):
        return 0.4, "an array of records"
    return 0.0, ""


def _in_existing(lines: list[DiffLine], i: int) -> bool:
    """Whether added line `i` sits in a message that was there before: the nearest message
    start above it is a context line (for Avro: the hunk has context lines)."""
    hunk = lines[i].hunk
    for d in reversed(lines[:i]):
        if d.hunk != hunk:
            break
        if _MESSAGE_START.match(d.text):
            return d.sign == " "
        if d.sign == " " and d.text.strip().startswith("}"):
            return False  # the message it was in ended: a new one started below
    # no message start in the hunk: a field added inside a message the hunk starts within
    before = [d for d in lines[:i] if d.hunk == hunk]
    return any(d.sign == " " and d.text.strip() for d in before)
