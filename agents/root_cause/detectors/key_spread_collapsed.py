"""Key spread collapsed: a change that makes the key which spreads work across partitions the
same for most of it: a partition, hash, shard or routing key, or an SQS FIFO message group,
that came from an entity's id and now comes from a constant, or from the day or the hour.
Stores and queues spread load by that key: DynamoDB and Kinesis give each partition or shard
its own throughput (a hot key is throttled while the table has room), Kafka sends a key's
records to one partition (one consumer), and a FIFO queue hands a message group to one
consumer at a time. Everything then goes through one partition or one consumer: throttling,
a backlog that more consumers do not drain, latency. Quiet at low traffic, it fails when the
traffic on that one key passes what one partition takes: a latent risk that load sets off.

Catches, in code outside docs and tests, a key's value on an added line that is a string
literal, an upper-case constant, or a prefix with a date at day or hour granularity
(`Format("2006-01-02")`, `strftime("%Y-%m-%d")`, `toISOString().slice(0, 10)`,
`LocalDate.now()`), where the key is a field or argument named for it (`MessageGroupId`,
`PartitionKey`, `partition_key`, `hash_key`, `shard_key`, `routing_key`, `pk`), or the return
value of a function named for a key or a message group (`shardKeyOf`, `messageGroupFor`,
`partition_key_for`) in which a removed line built it from a variable (an id). For a function
returning several keys (`pk, sk`), the first is the partition key.

Ignores keys still built from an id (another id), consumer group names (`group.id`: a
constant by design), cache, lock, idempotency, API and encryption keys, keys that only gain a
prefix, comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.detectors._lines import COMMENT
from agents.root_cause.facts.diff import DiffLine, parse
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "key_spread_collapsed"
SYMPTOMS = ("throttling", "queue", "latency", "timeouts", "errors")

# a field or argument that is a partition / group key: `MessageGroupId: x`, `pk = x`
_KEY_FIELD = re.compile(
    r"""(?:^|[\s{(,])["']?(?P<name>message_?group_?id|partition_?key|hash_?key|shard(?:ing)?_?key|"""
    r"""routing_?key|pk)["']?\s*(?::(?!:)|=(?!=))\s*(?P<value>.+)""",
    re.I,
)
# a function whose name says it makes such a key (not a cache's, a lock's or a secret's)
_KEY_FUNCTION = re.compile(
    r"(?:\bfunc\s+(?:\([^)]*\)\s*)?|\bfunction\s+|\bdef\s+|\bfun\s+|"
    r"(?:public|private|protected|static|final|\s)+(?!return\b|new\b)[\w<>\[\]]+\s+)"
    r"(?P<name>\w*(?:key|group_?id|groupid|message_?group|partition|shard)\w*)\s*\(",
    re.I,
)
_ARROW_FUNCTION = re.compile(
    r"\b(?:const|let|var)\s+(?P<name>\w*(?:key|group_?id|groupid|message_?group|partition|"
    r"shard)\w*)\s*=\s*(?:async\s*)?\(",
    re.I,
)
_OTHER_KEYS = re.compile(r"cache|lock|idempot|dedup|api_?key|secret|encrypt|sign|sort|cursor", re.I)
_FUNCTION_START = re.compile(r"^\s*(?:func|function|def|fun|export|public|private|protected)\b|"
                             r"\b(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?\(")  # fmt: skip
_RETURN = re.compile(r"^\s*return\s+(?P<value>.+?);?\s*$")
_CONSTANT = re.compile(r"""^(?:"[^"]*"|'[^']*'|`[^`$]*`|[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)*)$""")
_DAY_OR_HOUR = re.compile(
    r"""Format\(\s*"2006-01-02(?:T15)?"|strftime\(\s*["']%Y-?%m-?%d(?:T?%H)?["']|"""
    r"""toISOString\(\)\.slice\(\s*0\s*,\s*(?:10|13)\s*\)|toDateString\(|LocalDate\.now|"""
    r"""\bdate\.today\(|\.date\(\)\.isoformat\(|["']yyyy-?MM-?dd(?:'T'HH|HH)?["']|"""
    r"""ISO_LOCAL_DATE\b|format\(\s*["']YYYY-?MM-?DD""",
)
_VARIABLE = re.compile(r"[A-Za-z_]\w*\s*[.\[]|\b[a-z_]\w*\b")
_STRING = re.compile(r""""[^"]*"|'[^']*'|`[^`]*`""")


def detect(change: ChangeFacts) -> list[Finding]:
    for file, patch in change.patches.items():
        if kinds.file_kind(file) != "code":
            continue
        lines = parse(patch)
        for i, d in enumerate(lines):
            if d.sign != "+" or COMMENT.match(d.text):
                continue
            value, before = _key_value(lines, i)
            if value is None or not _collapsed(value) or not _from_a_variable(before):
                continue
            what = "a constant" if _CONSTANT.match(value) else "the date"
            return [Finding(
                NAME, f"sets the key that spreads the work across partitions to {what}: every "
                "write (or message) now lands on one partition or message group, which one "
                "shard or one consumer serves (throttled, or a backlog that more consumers "
                "do not drain, once the traffic on it outgrows it)", file, d.new or 0,
                SYMPTOMS, strength=0.6 if what == "a constant" else 0.5,
            )]  # fmt: skip
    return []


def _key_value(lines: list[DiffLine], i: int) -> tuple[str | None, list[str]]:
    """The key value an added line sets and the removed lines it replaces in its hunk."""
    d = lines[i]
    field = _KEY_FIELD.search(d.text)
    if field and not _OTHER_KEYS.search(field["name"]):
        removed = _removed(lines, d.hunk)
        name = field["name"].lower().replace("_", "")
        before = [m["value"] for t in removed if (m := _KEY_FIELD.search(t))
                  and m["name"].lower().replace("_", "") == name]  # fmt: skip
        return _first(field["value"]), before or _returns(removed)
    returned = _RETURN.match(d.text)
    if returned and (function := _enclosing_function(lines, i)) and not _OTHER_KEYS.search(
            function):  # fmt: skip
        return _first(returned["value"]), _returns(_removed(lines, d.hunk))
    return None, []


def _removed(lines: list[DiffLine], hunk: int) -> list[str]:
    return [x.text for x in lines if x.hunk == hunk and x.sign == "-"]


def _enclosing_function(lines: list[DiffLine], i: int) -> str | None:
    """The name of the key function whose body line `i` is in (new-file lines only)."""
    for d in reversed(lines[:i]):
        if d.sign == "-" or d.hunk != lines[i].hunk:
            continue
        if match := _KEY_FUNCTION.search(d.text) or _ARROW_FUNCTION.search(d.text):
            return match["name"]
        if _FUNCTION_START.search(d.text):
            return None
    return None


def _returns(removed: list[str]) -> list[str]:
    return [_first(m["value"]) for t in removed if (m := _RETURN.match(t))]


def _first(expression: str) -> str:
    """The first of a comma-separated list of values (`pk, sk`), outside brackets and
    strings, without a trailing `,` or `;`."""
    depth, quote = 0, ""
    for j, char in enumerate(expression):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            return expression[:j].strip()
    return expression.strip().rstrip(",;").strip()


def _collapsed(value: str) -> bool:
    """A constant, or a date (and constant prefixes) with no other variable in it."""
    if _CONSTANT.match(value):
        return True
    if not _DAY_OR_HOUR.search(value):
        return False
    rest = _STRING.sub("", _DAY_OR_HOUR.sub("", value))
    names = set(re.findall(r"[A-Za-z_]\w*", rest))
    return not any(re.search(r"id$|no$|num|uuid|user|customer|account|tenant|order", n, re.I)
                   for n in names)  # fmt: skip


def _from_a_variable(before: list[str]) -> bool:
    """The key it replaces was built from a variable (a different value per item)."""
    return any(not _collapsed(b) and _VARIABLE.search(_STRING.sub("", b)) for b in before)
