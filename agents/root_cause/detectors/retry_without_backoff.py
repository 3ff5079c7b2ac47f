"""Retries with no pause between attempts: when a dependency slows or fails, every caller
re-sends at once, multiplying its load exactly when it can least take it (a retry storm).

Catches:

- a loop added that re-calls on error with no sleep, backoff or delay in its body
  (`for attempt in range(5): try ... except: continue`, `for i := 0; i < maxRetries; i++`
  with `if err != nil`, `for (let attempt = 0; ...)` with `catch`, `3.times do ... rescue`,
  `while True` retrying forever), and Ruby's `retry` in a `rescue` with no `sleep` before it;
- a sleep or backoff removed from a retry loop;
- a retry count raised or added (`retries`, `max_retries`, `max_attempts`, `retry_count`)
  while the patch shows the delay at 0 or no delay at all (weaker when merely absent);
- a backoff or retry delay set to 0, turned off or removed;
- retry helpers whose default is no delay, used without one: urllib3 `Retry(total=...)`
  without `backoff_factor`, tenacity/retrying `@retry` without `wait`, `axiosRetry` without
  `retryDelay`, Faraday's `request :retry` without `interval`, Spring's
  `RetryTemplate.builder().maxAttempts(...)` without a back-off, Polly's `.Retry(...)` /
  `.RetryForever()`.

Ignores retries whose library backs off by default (Sidekiq, Kubernetes `backoffLimit`,
Istio/Envoy route retries, gRPC retry policies, `p-retry`, `@Retryable`, `retry-go`),
retry counts lowered, loops that already wait, comments, docs and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import number
from agents.root_cause.facts.types import ChangeFacts, Finding, SettingChange

NAME = "retry_without_backoff"
SYMPTOMS = ("throttling", "connections", "cpu", "latency", "errors", "queue", "timeouts")

_WAIT = re.compile(
    r"sleep|backoff|back_off|delay|jitter|settimeout|time\.after|ticker|timer\b|\bpark|"
    r"\bwait|countdown|retry_?after|interval|exponential",
    re.I,
)
_ZERO = re.compile(r"^(0+(\.0+)?(ms|s|m)?|none|nil|null|false|no_?delay|noDelay|Duration\.ZERO)$",
                   re.I)  # fmt: skip
_RETRY_WORD = re.compile(r"retr(y|ies|ied)|attempt|\btries\b|\btry_?count", re.I)
_LOOP = re.compile(r"^\s*(for|while|until)\b|\.times\b|\brepeat\s*\(|\bloop\s*(do|\{)", re.I)
_PAUSE = re.compile(  # a call that pauses (narrower than _WAIT, which only has to mention one)
    r"sleep|backoff|back_off|jitter|setTimeout|time\.After|\bdelay\s*\(|"
    r"await\s+[\w.]*(delay|wait)\w*\(|wait_?(exponential|random|fixed|incrementing)",
    re.I,
)
_FOREVER = re.compile(
    r"^\s*(while\s*\(?\s*(true|True|1)\s*\)?\s*[:{]?|for\s*\{|for\s*\(\s*;\s*;\s*\)|loop\s*(do|\{))"
)
_FAILURE = re.compile(
    r"\bexcept\b|\bcatch\b|\brescue\b|err\s*[!=]=\s*nil|\bif\s+err\b|\.is_err\(|\bErr\(|"
    r"\.ok\b|status(_code|Code)?\s*[!=<>]=?\s*\d|\bif\s+not\s+\w+\.ok\b|\bfailed\b",
)
_NOT_A_COUNT = re.compile(
    r"time|period|duration|deadline|window|budget|\bms\b|millis|seconds|\bsec\b|interval|"
    r"delay|wait|after|backoff|jitter|\bon\b|enabled?|codes?|status|errors?|policy|"
    r"exceptions?|methods?|\blimit\b|queue|topic|dlq|dead"
)
_BACKS_OFF_BY_ITSELF = re.compile(
    r"sidekiq|VirtualService|perTryTimeout|retryPolicy|retryOn|retry_on|@Retryable|"
    r"p-?retry|pRetry|retry-go|backoffLimit|RetryConfig|resilience4j",
    re.I,
)
_HELPERS: tuple[tuple[str, re.Pattern[str], re.Pattern[str], str, float], ...] = (
    # (the files, the call, what in its arguments would mean it waits, what it is, strength)
    (".py", re.compile(r"\bRetry\(\s*(?=[^)]*\b(total|connect|read|status)\s*=\s*[1-9])"),
     re.compile(r"backoff", re.I), "urllib3 Retry without backoff_factor", 0.6),
    (".py", re.compile(r"^\s*@(?:tenacity\.)?retry\b(?!\w)"),
     re.compile(r"wait|delay|backoff|sleep", re.I), "@retry without a wait", 0.5),
    (".js .jsx .mjs .cjs .ts .tsx", re.compile(r"\baxiosRetry\("),
     re.compile(r"retryDelay|exponentialDelay", re.I),
     "axiosRetry without retryDelay (its default is no delay)", 0.65),
    (".rb", re.compile(r"\brequest\s*\(?\s*:retry\b"), re.compile(r"interval|backoff", re.I),
     "Faraday retry middleware without interval (its default is no delay)", 0.65),
    (".java .kt .kts .scala .groovy", re.compile(r"RetryTemplate\.builder\(\)"),
     re.compile(r"back_?off|Backoff|BackOff", re.I),
     "RetryTemplate without a back-off policy", 0.55),
    (".cs", re.compile(r"\.(Retry|RetryAsync|RetryForever|RetryForeverAsync)\("),
     re.compile(r"Wait"), "Polly retry without a wait (WaitAndRetry waits)", 0.65),
)  # fmt: skip
_COUNTED = re.compile(
    r"\brange\(|\.times\b|\brepeat\s*\(|[<>]=?|\.\.|\bupto\b|^\s*(while|until|loop)\b|"
    r"for\s*\{|for\s*\(\s*;"
)
_LIMITED = re.compile(r"^\s*(if|unless|elif|else\s+if)\b.*\b(retr\w*|attempt\w*|tries)\b", re.I)
_NETWORK = re.compile(
    r"request|http|client|connect|socket|grpc|fetch|\bapi\b|session|\brpc\b|query|\bdb\b|"
    r"database|redis|kafka|queue|upload|download|send|publish|timeout",
    re.I,
)
_BAD_INPUT = re.compile(
    r"JSON|Json|Decode|Validation|Parse|Syntax|ValueError|TypeError|KeyError|Format|Schema|"
    r"Unmarshal|Serializ|Deserializ"
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")
_BODY = 80  # lines of a loop's body read at most
_CALL = 8  # lines of a call's arguments read at most


def detect(change: ChangeFacts) -> list[Finding]:
    found: dict[tuple[str, int | None], Finding] = {}
    parsed = {
        file: diff.parse(patch)
        for file, patch in change.patches.items()
        if kinds.file_kind(file, patch) != "docs_tests"
    }
    context: dict[str, _Context] = {}
    for s in change.settings:
        if s.file in parsed and s.family in ("retry", "backoff"):
            if s.file not in context:
                context[s.file] = _context(s.file, parsed[s.file])
            finding = _from_setting(s, context[s.file])
            if finding is not None:
                found.setdefault((s.file, s.line), finding)
    for file, lines in parsed.items():
        code = kinds.file_kind(file) == "code"
        for finding in (
            *(_loops(file, lines) if code else []),
            *(_ruby_retry(file, lines) if file.endswith(".rb") else []),
            *(_sleep_removed(file, lines) if code else []),
            *_helpers(file, lines),
        ):
            found.setdefault((file, finding.line), finding)
    return list(found.values())


@dataclass(frozen=True)
class _Context:
    """What a file's patch (its new side) says around its retry settings."""

    backs_off_by_itself: bool  # a library or platform that waits between retries anyway
    retries: bool  # retries are still mentioned
    remote: bool  # not code, or code that calls something remote (a count of what else?)
    delay: str  # "zero", "waits" or "absent"


def _context(file: str, lines: list[diff.DiffLine]) -> _Context:
    text = "\n".join(d.text for d in lines if d.sign != "-")
    return _Context(
        backs_off_by_itself=bool(_BACKS_OFF_BY_ITSELF.search(f"{file}\n{text}")),
        retries=bool(_RETRY_WORD.search(text)),
        remote=kinds.file_kind(file) != "code" or bool(_NETWORK.search(text)),
        delay=_delay(lines),
    )


def _from_setting(s: SettingChange, context: _Context) -> Finding | None:
    if context.backs_off_by_itself or _BACKS_OFF_BY_ITSELF.search(s.key):
        return None
    flat = _flat(s.key.rsplit(".", 1)[-1])
    if s.family == "backoff" and not re.search(r"\blimit\b|max ?retries|count", flat):
        return _backoff_off(s, context.retries)
    if s.family != "retry" or _NOT_A_COUNT.search(flat) or not context.remote:
        return None
    if s.after_number is None or s.after_number < 3:
        return None
    if s.direction not in ("raised", "added") or context.delay == "waits":
        return None
    moved = f"raised {s.before} → {s.after}" if s.before is not None else f"set to {s.after}"
    if context.delay == "zero":
        message = f"{s.key} {moved} with the delay between attempts at 0"
        return Finding(NAME, message, s.file, s.line, SYMPTOMS, 0.7)
    message = f"{s.key} {moved} with no backoff or delay between attempts in the change"
    return Finding(NAME, message, s.file, s.line, SYMPTOMS, 0.4)


def _backoff_off(s: SettingChange, retries: bool) -> Finding | None:
    """A backoff or retry delay set to 0, turned off or removed, where retries remain."""
    if s.before is None or _ZERO.match(s.before):
        return None
    if s.after is not None and not _ZERO.match(s.after):
        return None
    if s.after is None and not retries:
        return None
    what = "removed" if s.after is None else f"set {s.before} → {s.after}"
    message = f"{s.key} {what}: retries no longer wait between attempts"
    return Finding(NAME, message, s.file, s.line, SYMPTOMS, 0.65)


def _delay(lines: list[diff.DiffLine]) -> str:
    """What the patch's new side says about a delay between retries: "zero", "waits" or
    "absent"."""
    zero = False
    for d in lines:
        if d.sign == "-" or _COMMENT.match(d.text) or not _WAIT.search(d.text):
            continue
        value = re.search(r"[:=]\s*[\"']?([\w.]+)[\"']?\s*,?\s*$", d.text)
        if value and _ZERO.match(value.group(1)):
            zero = True
        else:
            return "waits"
    return "zero" if zero else "absent"


def _loops(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """Retry loops (a retry-named or endless loop that catches failures) that never wait."""
    out = []
    new = [d for d in lines if d.sign != "-"]
    for i, head in enumerate(new):
        if _COMMENT.match(head.text) or not _LOOP.search(head.text):
            continue
        body = _block(new, i)
        text = "\n".join(d.text for d in body)
        forever = bool(_FOREVER.search(head.text))
        if not (_RETRY_WORD.search(head.text) or (forever and _RETRY_WORD.search(text))):
            continue
        if not _COUNTED.search(head.text):
            continue  # a loop over hosts or items: failing over, not retrying
        if forever and any(_LIMITED.search(d.text) for d in body):
            forever = False  # it gives up after a count
        if not _FAILURE.search(text) or _WAIT.search(text) or _WAIT.search(head.text):
            continue
        if _only_bad_input(text):
            continue  # re-asking after a parse or validation error: no dependency is failing
        if not any(d.sign == "+" for d in (head, *body)):
            continue
        loop = head.text.strip()[:60]
        if forever:
            message = f"an endless retry loop with no sleep or backoff between attempts: {loop}"
            strength = 0.75
        else:
            message = f"a retry loop with no sleep or backoff between attempts: {loop}"
            strength = 0.65
        out.append(Finding(NAME, message, file, head.new, SYMPTOMS, strength))
    return out


def _only_bad_input(body: str) -> bool:
    """Whether every error the loop catches is about bad input (parsing, validation)."""
    caught = re.findall(r"\b(?:except|catch|rescue)\b\s*\(?\s*([\w.,| ]+)", body)
    words = [n.rsplit(".", 1)[-1] for group in caught for n in re.split(r"[\s,|]+", group)]
    names = [n for n in words if n[:1].isupper()]
    return bool(names) and all(_BAD_INPUT.search(n) for n in names)


def _block(lines: list[diff.DiffLine], i: int) -> list[diff.DiffLine]:
    """The lines after `lines[i]` indented deeper than it (its body), at most _BODY."""
    depth = _indent(lines[i].text)
    out = []
    for d in lines[i + 1 : i + 1 + _BODY]:
        if d.text.strip() and _indent(d.text) <= depth:
            break
        out.append(d)
    return out


def _ruby_retry(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """Ruby's `retry` in a `rescue` with no `sleep` between the rescue and the retry."""
    out = []
    new = [d for d in lines if d.sign != "-"]
    for i, d in enumerate(new):
        if d.sign != "+" or not re.match(r"^\s*retry\b(\s+(if|unless)\b.*)?\s*$", d.text):
            continue
        before = []
        for above in reversed(new[max(0, i - 12) : i]):
            before.append(above.text)
            if re.match(r"^\s*rescue\b", above.text):
                break
        if not any(_WAIT.search(t) for t in before):
            message = "`retry` in a rescue with no sleep or backoff before it"
            out.append(Finding(NAME, message, file, d.new, SYMPTOMS, 0.65))
    return out


def _sleep_removed(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """A sleep or backoff removed from a hunk about retries, with none added back."""
    out = []
    hunks: dict[int, list[diff.DiffLine]] = {}
    for d in lines:
        hunks.setdefault(d.hunk, []).append(d)
    for part in hunks.values():
        gone = [d for d in part if d.sign == "-" and _PAUSE.search(d.text)]
        gone = [d for d in gone if not _COMMENT.match(d.text)]
        added = [d for d in part if d.sign == "+" and _WAIT.search(d.text)]
        if not gone or added or not any(_RETRY_WORD.search(d.text) for d in part):
            continue
        at = next((d.new for d in part[part.index(gone[0]) :] if d.new is not None), None)
        message = f"the wait between retries removed: {gone[0].text.strip()[:60]}"
        out.append(Finding(NAME, message, file, at, SYMPTOMS, 0.7))
    return out


def _helpers(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """Retry helpers whose default is no delay, added without one."""
    out = []
    new = [d for d in lines if d.sign != "-"]
    for i, d in enumerate(new):
        if _COMMENT.match(d.text):
            continue
        for suffixes, call, waits, what, strength in _HELPERS:
            if not file.endswith(tuple(suffixes.split())) or not call.search(d.text):
                continue
            span = _call(new, i)
            if not any(x.sign == "+" for x in span):
                continue
            text = " ".join(x.text for x in span)
            if waits.search(text) and not _zero_wait(text):
                continue
            out.append(Finding(NAME, f"{what}: attempts follow each other at once", file,
                               d.new, SYMPTOMS, strength))  # fmt: skip
            break
    return out


def _call(lines: list[diff.DiffLine], i: int) -> list[diff.DiffLine]:
    """The line and the lines that continue its call (until the brackets close), at most
    _CALL; a builder chain continues on lines that start with `.`."""
    out: list[diff.DiffLine] = []
    depth = 0
    for d in lines[i : i + _CALL]:
        if out and depth <= 0 and not d.text.lstrip().startswith("."):
            break
        out.append(d)
        depth += d.text.count("(") + d.text.count("{") - d.text.count(")") - d.text.count("}")
    return out


def _zero_wait(text: str) -> bool:
    found = re.search(r"(backoff_factor|interval|retryDelay|wait)\s*[:=]\s*([\w.]+)", text)
    if found is None:
        return False
    value = number(found.group(2))
    return value == 0 or bool(_ZERO.match(found.group(2)))


def _indent(text: str) -> int:
    return len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip())


def _flat(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).strip()
