"""Errors a page shows: their type or code, message, count and stack frames.

Kinds: exception and error classes of any language (`TypeError`, `java.net.SocketTimeoutException`,
`Net::ReadTimeout`), errno and resolver codes (`ECONNREFUSED`, `EAI_AGAIN`, `SERVFAIL`,
`NXDOMAIN`), Kubernetes reasons (`OOMKilled`, `CrashLoopBackOff`), error codes in snake case
(`quota_exceeded`, a search engine's `illegal_argument_exception`), HTTP statuses written as
such (`503 Service Unavailable`, `431 Request Header Fields Too Large`, `HTTP 429`,
`status=503`; a reason phrase is kept in the message), SQLSTATE codes, Go's `panic:`, the
messages every runtime prints (`context deadline exceeded`, `too many clients`) and what
proxies answer (`no healthy upstream`, `upstream timed out`). A structured (JSON) record's
message is its most specific field: `reason`, then `error`, then the log's `msg`. Counts come
from `×123`, `x77`, `count=12`, `(1,234 in 5m)`, `(4,321)` after the kind, or a table's count
column. Frames are read in the forms Python, Java, Go, Ruby, JavaScript and error trackers
print them, and belong to the error of the same record (or the last error above them). One
signal per kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from agents.root_cause.facts.logs import record_time
from agents.root_cause.facts.text import records, shorten, without_noise
from agents.root_cause.facts.times import Clock, all_times
from agents.root_cause.facts.tree import Page, Table
from agents.root_cause.facts.types import ErrorSignal, Frame

_CLASS = re.compile(
    r"(?<![\w.:+-])(?:[a-z_][a-z0-9_]*\.)*(?:[A-Z][A-Za-z0-9]*::)*"
    r"[A-Z][A-Za-z0-9]*(?:Error|Exception|Timeout|Exceeded)(?![\w-])"
)
_RUBY_CLASS = re.compile(
    r"(?<![\w:])(?:[A-Z][A-Za-z0-9]*::)+[A-Z][A-Za-z0-9]*"
    r"(?:Cancel(?:ed|led)|Bad|NotFound|Invalid|Failed|Refused|Denied|Expired|NotEstablished|Timeout)"
    r"(?![\w])"
)
_CODES = re.compile(
    r"(?<![\w-])(?:E(?:CONNREFUSED|CONNRESET|CONNABORTED|TIMEDOUT|HOSTUNREACH|NETUNREACH|PIPE"
    r"|NOTFOUND|AI_AGAIN|AI_NONAME|MFILE|NOSPC|ADDRINUSE|ADDRNOTAVAIL|ACCES|PERM)|SERVFAIL|NXDOMAIN"
    r"|OOMKilled|CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError"
    r"|ContainerCannotRun|Evicted(?! (?:keys|items|entries|objects))|DeadlineExceeded"
    r"|ResourceExhausted|FailedScheduling"
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:FAILED|ERROR|EXCEEDED|DENIED|EXPIRED|INVALID"
    r"|UNAVAILABLE|REFUSED|EXHAUSTED))(?![\w-])(?!=)"
)
# search engines and some APIs write their error types this way too:
# `illegal_argument_exception`, `cluster_block_exception`
_SNAKE = re.compile(
    r"(?<![\w.-])[a-z]+(?:_[a-z]+)*_(?:expired|exceeded|unavailable|failed|invalid|denied"
    r"|refused|declined|revoked|rejected|exhausted|exception)(?![\w-])(?!=)"
)
_PHRASES = re.compile(
    r"context deadline exceeded|deadline exceeded|i/o timeout|connection refused"
    r"|connection reset(?: by peer)?|no such host|broken pipe|too many clients|too many connections"
    r"|too many open files|out of memory|no space left on device|deadlock detected"
    r"|statement timeout|lock timeout|certificate has expired|certificate verify failed"
    r"|unable to get local issuer certificate|unknown authority"
    r"|temporary failure in name resolution|server closed the connection unexpectedly"
    r"|read timed out|connect timed out"
    r"|InsufficientInstanceCapacity|(?:do not|don't) have sufficient [\w.-]+ capacity"
    r"|cannot assign requested address|no route to host|network is unreachable"
    # what proxies answer and log (Envoy's response flags, nginx's upstream errors)
    r"|no healthy upstream|upstream connect error or disconnect/reset before headers"
    r"|upstream request timeout|no live upstreams|upstream timed out"
    r"|upstream prematurely closed connection|client sent too long header line"
    r"|client intended to send too large body",
    re.IGNORECASE,
)
_REASONS = (
    "Service Unavailable|Bad Gateway|Gateway Time-?out|Too Many Requests|Internal Server Error"
    "|Not Implemented|Unauthorized|Forbidden|Not Found|Request Timeout|Conflict|Payload Too Large"
    "|Unprocessable Entity|Precondition Failed|Gone|Bad Request|Request Entity Too Large"
    "|Request Header Fields Too Large|Request Header Or Cookie Too Large|URI Too Long"
    "|Length Required|Method Not Allowed|Insufficient Storage"
)
_HTTP = re.compile(
    r"\b(?P<a>[45]\d\d) (?P<reason>" + _REASONS + r")\b"
    r"|\bHTTP(?:/[\d.]+)?[ :]+(?P<b>[45]\d\d)\b(?: (?:" + _REASONS + r")\b)?"
    r"|\b(?:status|status_code|http_status|statusCode)[\"']?\s*[=:]\s*[\"']?(?P<c>[45]\d\d)\b",
    re.IGNORECASE,
)
# a cloud API's error code as its SDKs print it: `An error occurred (AccessDenied) when
# calling the PutObject operation`, and denials written as one word
_API_CODE = re.compile(
    r"\berror occurred \((?P<code>[A-Z][A-Za-z0-9.]{2,60})\) when calling\b"
    r"|(?<![\w.-])(?P<word>AccessDenied|PermissionDenied|UnauthorizedOperation|InvalidAccessKeyId"
    r"|SignatureDoesNotMatch|ExpiredToken|NoSuchBucket|NoSuchKey)(?![\w-])"
)
_SQLSTATE = re.compile(r"\bSQLSTATE\s*[\[=:]?\s*(?P<code>[0-9A-Z]{5})\b", re.IGNORECASE)
_PANIC = re.compile(r"\bpanic: (?P<msg>[^\n]{1,160})")
_FRAMES = (
    re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>[\w.<>]+))?'),
    re.compile(
        r"\bat (?P<func>[\w$.<>]+)\((?P<file>[\w$.-]+\.(?:java|kt|scala|groovy)):(?P<line>\d+)\)"
    ),
    re.compile(r"(?P<file>[\w./@:-]+\.[a-z]{1,5}) in (?P<func>[\w.<>$#]+) at line (?P<line>\d+)"),
    re.compile(r"(?P<file>[\w./-]+\.rb):(?P<line>\d+)(?::in [`'](?P<func>[^'`]+)')?"),
    re.compile(
        r"\bat (?:(?P<func>[\w$.<>\[\] ]+?) \()?(?P<file>[\w./@:-]+\.(?:[cm]?js|ts|jsx|tsx))"
        r":(?P<line>\d+):\d+\)?"
    ),
    re.compile(r"(?<![\w/.-])(?P<file>[\w./-]+\.(?:go|py|ts|js|php|rs|cs|java|kt)):(?P<line>\d+)\b"),
)  # fmt: skip
_COUNT_AFTER = re.compile(
    r"^(?:\s*[×x]\s?(?P<a>\d[\d,]*)\b|\s*\((?P<b>\d[\d,]*)\)|,?\s*count[=:]\s*(?P<c>\d[\d,]*)"
    r"|\s(?P<d>\d{1,3}(?:,\d{3})+|\d+)(?=\s*(?:[,;·)]|$)))"
)
_COUNT_IN = re.compile(r"\((?P<n>\d[\d,]*) in \d+\s?\w+\)|\bcount[=:]\s*(?P<m>\d[\d,]*)")
_COUNT_HEADERS = re.compile(r"count|events|errors|occurrences|total|hits|times", re.IGNORECASE)
_CLAUSE_CUT = re.compile(r"\s·\s|;\s|\s\|\s")
_EXCEPTION_LINE = re.compile(r"^(?P<kind>[A-Z][a-z]+[A-Z][A-Za-z]*(?:\.[A-Z]\w*)*): (?P<msg>.{3,})")
_CLAUSE_REACH = 60  # characters around an error kind searched for its time
_ATTACH_LINES = 12  # frames on lines of their own belong to an error at most this far above
MAX_FRAMES = 12


@dataclass
class _Signal:
    kind: str
    message: str
    count: int | None = None
    at: datetime | None = None
    frames: list[Frame] = field(default_factory=list)


def errors(page: Page, clock: Clock, source: str) -> list[ErrorSignal]:
    found: dict[str, _Signal] = {}
    last: _Signal | None = None
    since = 0
    for n, line in enumerate(page.texts):
        for record in records(line):
            signals = _record_signals(record, clock)
            frames = _with_listing(frames_in(record), page.texts[n + 1 : n + 2])
            if frames and not signals and (last is None or since > _ATTACH_LINES):
                signals = _exception_above(page.texts[max(0, n - 3) : n])
            for s in signals:
                s.frames = frames
                last = _add(found, s) or last
            if signals:
                since = 0
            elif frames and last is not None and since <= _ATTACH_LINES:
                last.frames = _unique(last.frames + frames)
        since += 1
    for table in page.tables:
        _table_signals(table.header, table.rows, found)
    nulls = _null_cells(page.tables)
    return [
        ErrorSignal(s.kind, s.message, s.count, s.at,
                    tuple(_nulls_named(f, nulls) for f in s.frames[:MAX_FRAMES]), source)
        for s in found.values()
    ]  # fmt: skip


# prose saying it did not happen: `no "too many connections"`, `without a lock timeout`, `no
# OOMKilled`, `0 Evicted`
_DENIED = re.compile(
    r"(?:\b(?:no|not|nor|without|never|zero)|(?<![\w.:,])0)\W{0,3}((a|an|any)\s)?\W{0,2}$", re.I
)


def kinds_in(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every error kind written in text, in order, overlaps dropped."""
    spans: list[tuple[str, int, int]] = []
    for pattern in (_API_CODE, _CLASS, _RUBY_CLASS, _CODES, _SNAKE, _PHRASES, _SQLSTATE, _HTTP):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for _, s, e in spans):
                continue
            denied = _DENIED.search(text[max(0, m.start() - 16) : m.start()])
            if denied and pattern in (_PHRASES, _CODES):
                continue  # `no "too many connections"`, `without statement timeouts`
            spans.append((_kind(pattern, m), m.start(), m.end()))
    panic = _PANIC.search(text)
    if panic and not any(s <= panic.start() < e for _, s, e in spans):
        spans.append(("panic", panic.start(), panic.start() + 6))
    return sorted(spans, key=lambda k: k[1])


def frames_in(text: str) -> list[Frame]:
    """The stack frames written in text, in order, each with what follows it up to the next
    frame (the source line and locals a traceback prints under it)."""
    found: list[tuple[int, int, Frame]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _FRAMES:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            groups = m.groupdict()
            func = (groups.get("func") or "").strip() or None
            found.append((m.start(), m.end(), Frame(m["file"], int(m["line"]), func)))
    found.sort(key=lambda f: f[0])
    out = []
    for i, (_, end, frame) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(text)
        after = text[end : min(stop, end + _CODE_CHARS)].strip(" ,:")
        out.append(_shown(frame, after))
    return _unique(out)


_CODE_CHARS = 300  # what follows a frame that is read as its source line and locals
_NULL_WORD = r"(?:None|null|nil|undefined|NULL)"
_NULL_LOCAL = re.compile(rf"(?<![\w.])(?P<name>[A-Za-z_]\w*)\s*[=:]\s*{_NULL_WORD}(?![\w(])")


def _listing(text: str, line: int | None) -> bool:
    """Whether text is a numbered source excerpt (flattened onto one line) around line."""
    if line is None or not re.match(r"\d+\s", text):
        return False
    has = [re.search(rf"(?:^|\s)\S?\s*{n}\s", text) is not None for n in (line - 1, line, line + 1)]
    return has[1] and (has[0] or has[2])


def _shown(frame: Frame, after: str) -> Frame:
    """The frame with its source line (the numbered line it points at, where the text is a
    numbered excerpt) and the locals shown as null."""
    code, n = after, frame.line
    if n is not None and _listing(after, n):
        end = rf"(?P<code>.*?)(?=\s{n + 1}\s|$)"
        pointed = re.search(rf"[▸►→>*]\s*{n}\s+{end}", after) or re.search(
            rf"(?:^|\s){n}\s+{end}", after
        )
        code = pointed["code"] if pointed else ""
    nulls = tuple(dict.fromkeys(m["name"] for m in _NULL_LOCAL.finditer(after)))
    return replace(frame, code=shorten(code, 200), nulls=nulls) if code or nulls else frame


def _with_listing(frames: list[Frame], below: list[str]) -> list[Frame]:
    """A frame whose own line shows no code takes the numbered source excerpt on the line
    below it, as error trackers print it (header, then the excerpt)."""
    if not frames or not below or frames_in(below[0]) or kinds_in(below[0]):
        return frames
    last = frames[-1]
    if len(last.code) > _HEADER_TAIL or not _listing(below[0].strip(), last.line):
        return frames
    return [*frames[:-1], _shown(last, below[0].strip())]


_HEADER_TAIL = 20  # what may follow a frame on its header line ("In App") before its code


def _null_cells(tables: list[Table]) -> set[str]:
    """Names a variables table shows as null (a row `name | None`)."""
    return {
        row[0].strip()
        for table in tables
        for row in table.rows
        if len(row) == 2 and re.fullmatch(r"[A-Za-z_]\w*", row[0].strip())
        and re.fullmatch(_NULL_WORD, row[1].strip())
    }  # fmt: skip


def _nulls_named(frame: Frame, nulls: set[str]) -> Frame:
    """The frame with the null variables of the page's tables that its source line uses."""
    used = [n for n in sorted(nulls) if re.search(rf"(?<![\w.]){re.escape(n)}\b", frame.code)]
    extra = [n for n in used if n not in frame.nulls]
    return replace(frame, nulls=(*frame.nulls, *extra)) if extra else frame


def _kind(pattern: re.Pattern[str], m: re.Match[str]) -> str:
    if pattern is _HTTP:
        return f"HTTP {m['a'] or m['b'] or m['c']}"
    if pattern is _SQLSTATE:
        return f"SQLSTATE {m['code']}"
    if pattern is _API_CODE:
        return m["code"] or m["word"]
    if pattern is _PHRASES:
        return m.group(0).lower()
    return m.group(0)


def _record_signals(record: str, clock: Clock) -> list[_Signal]:
    kinds = kinds_in(record)
    if not kinds:
        return []
    at = record_time(record, clock)
    return [
        _Signal(
            k, _message(record, k, s, e), _count(record, e), _clause_time(record, s, clock) or at
        )
        for k, s, e in kinds
    ]


def _clause_time(text: str, at: int, clock: Clock) -> datetime | None:
    """The earliest time written close by in the clause (between ` · `, `; `, ` | `) around
    position at: an annotation's `11:20:05 first <error>`."""
    cuts = [0, *[m.end() for m in _CLAUSE_CUT.finditer(text)], len(text)]
    lo = max(max(c for c in cuts if c <= at), at - _CLAUSE_REACH)
    hi = min(min((c for c in cuts if c > at), default=len(text)), at + _CLAUSE_REACH)
    times = all_times(text[lo:hi], clock)
    return min((f.at for f in times), default=None)


def _exception_above(lines: list[str]) -> list[_Signal]:
    """`Name: message` on one of the lines above frames that have no error of their own."""
    for line in reversed(lines):
        match = _EXCEPTION_LINE.match(line)
        if match:
            return [_Signal(match["kind"], _said(match["msg"]))]
    return []


def _message(record: str, kind: str, start: int, end: int) -> str:
    """`Kind: message` or `Kind (message)`; else a JSON message beside it; else the record.
    A status written with its reason phrase (`400 Request Header Or Cookie Too Large`) keeps
    the phrase: it is what failed."""
    phrase = _phrase(record[start:end]) if kind.startswith("HTTP ") else ""
    after = record[end:]
    match = re.match(r"\s*(?::|-)\s+(.{3,})", after) or re.match(r"\s*\((.{3,}?)\)", after)
    if match:
        said = match.group(1)
        if record.lstrip().startswith("{"):  # inside a JSON record's value: up to its end
            said = re.split(r'(?<!\\)"', said)[0] or said
        return _said(_join(phrase, said))
    said = sorted((_JSON_KEYS.index(m["key"]), m["said"]) for m in _JSON_MESSAGE.finditer(record)
                  if m["said"] != kind)  # fmt: skip
    if said:
        return _said(_join(phrase, said[0][1]))
    return _said(record[max(0, start - 80) : end + 120])  # holds the phrase, if any


MESSAGE_CHARS = 300  # an error's message, at most, without ids and tokens (the prompt cuts more)


def _said(message: str) -> str:
    return shorten(without_noise(message), MESSAGE_CHARS)


# what a structured (JSON) record says went wrong, by the usual keys, the most specific first:
# a `"reason"` (where search engines and many APIs put the cause) or an `"error"` says more
# than the log's own `"msg"` ("request failed")
_JSON_KEYS = ("reason", "error_message", "errorMessage", "error", "err", "exc", "detail",
              "message", "msg")  # fmt: skip
_JSON_MESSAGE = re.compile(rf'"(?P<key>{"|".join(_JSON_KEYS)})"\s*:\s*"(?P<said>[^"]{{3,}})"')


def _phrase(said: str) -> str:
    """The reason phrase of `503 Service Unavailable` (empty for `HTTP 503`, `status=503`)."""
    match = re.search(r"[45]\d\d (\D.*)", said)
    return match.group(1) if match else ""


def _join(phrase: str, message: str) -> str:
    return f"{phrase}: {message}" if phrase and phrase.lower() not in message.lower() else (
        message)  # fmt: skip


def _count(record: str, end: int) -> int | None:
    match = _COUNT_AFTER.match(record[end:]) or _COUNT_IN.search(record[end : end + 160])
    if not match:
        return None
    digits = next(g for g in match.groups() if g)
    return int(digits.replace(",", ""))


def _table_signals(header: list[str], rows: list[list[str]], found: dict[str, _Signal]) -> None:
    """Kinds in table cells, with the count column's number when the table has one."""
    counts = [i for i, h in enumerate(header) if _COUNT_HEADERS.search(h)]
    for row in rows:
        text = " | ".join(row)
        for kind, start, end in kinds_in(text):
            count = _count(text, end)
            if count is None and counts and counts[0] < len(row):
                count = _int(row[counts[0]])
            _add(found, _Signal(kind, _message(text, kind, start, end), count))


def _int(cell: str) -> int | None:
    match = re.fullmatch(r"\s*(\d{1,3}(?:,\d{3})+|\d+)\s*(?:\(.*\))?\s*", cell)
    return int(match.group(1).replace(",", "")) if match else None


def _add(found: dict[str, _Signal], s: _Signal) -> _Signal | None:
    """Merge s into the signal of the same kind (`x.TimeoutError` and `TimeoutError` are one);
    a kind shown with a count of zero did not happen."""
    if s.count == 0:
        return None
    key = re.split(r"\.|::", s.kind)[-1] if s.kind[:1].isupper() or "." in s.kind else s.kind
    have = found.get(key)
    if have is None:
        found[key] = s
        return s
    if len(s.kind) > len(have.kind):
        have.kind = s.kind
    if s.count is not None and (have.count is None or s.count > have.count):
        have.count = s.count
    if s.at is not None and (have.at is None or s.at < have.at):
        have.at = s.at
    have.frames = _unique(have.frames + s.frames)
    return have


def _unique(frames: list[Frame]) -> list[Frame]:
    return list(dict.fromkeys(frames))
