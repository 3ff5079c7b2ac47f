"""A cache that stops hitting: its key made more specific, its keys renamed at once, its TTL
cut, or the cache taken out. The misses go to the backend (load, latency, connections).

Catches:

- a cache key that now includes a per-request value: a timestamp, a random or request id
  (every request misses), the query string, URL, headers or parameters (one entry per
  variant), or a user, session or tenant id (one entry per user) — in a key assignment
  (`cache_key = f"..."`, `cacheKey := fmt.Sprintf(...)`) or a cache call
  (`cache.get(...)`, `Rails.cache.fetch(...)`, `@Cacheable(key = ...)`);
- the same inside a function whose name says it builds a cache key (`*_cache_key`,
  `cacheKey*`, `buildCacheKey`; `*KeyFor*`/`key_for*` in a module whose path names a cache),
  with the key spread over several lines: a per-request value added there (`request.url`,
  `request.url.query`, `req.originalUrl`, `r.URL.RawQuery`, `request.getQueryString()`, all
  the headers or parameters, a timestamp) where the removed lines took a few named ones;
- a cache version, prefix or namespace changed (`CACHE_VERSION = 3` → `4`, `KEY_VERSION`,
  `KEY_PREFIX`, `"products:v1:"` → `"products:v2:"`): every key misses at once, but once (a
  cold cache that warms up again), so weaker; a key-version or key-prefix constant that
  does not say `cache` counts only in a module whose path (or enclosing block) names one;
- a TTL lowered or set to zero, as a setting (`ttl: 3600` → `60`, a cache's `TIMEOUT`) or a
  literal (`expires_in: 12.hours` → `5.minutes`, `setex(key, 3600, v)`, `max-age=600`);
- caching removed or switched off: a caching decorator or call removed (`@lru_cache`,
  `@cache_page`, `@Cacheable`, `Rails.cache.fetch`, a lookup in a cache the code keeps:
  `self.cache.get(key)`, `tokenCache.Get(k)`) with none added back in the file, a
  cache flag set to false, a cache backend set to a null/dummy one, `Cache-Control` set to
  `no-store`/`no-cache`.

Ignores TTLs raised (staler data, a different risk), token, session, cookie, lock and lease
expiries (not caches), new cache keys without per-request values, a key function given one
more named parameter (`params.get("sort")`), version constants outside caches (API, signing
keys, object-store prefixes), comments, docstrings, docs and tests.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from functools import partial

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding, SettingChange

NAME = "cache_key_or_ttl_changed"
SYMPTOMS = ("cache", "latency", "cpu", "connections", "memory", "throttling")
# misses go to what the cache fronted: its CPU and connections, or its rate limit or quota
MISS = ("cache", "latency", "cpu", "connections", "throttling")

_NOT_A_CACHE = re.compile(
    r"token|session|jwt|password|cert|lease|lock|otp|cookie|refresh|retention|invite|reset|"
    r"verification|signed_?url|presign|\bauth",
    re.I,
)
_KEY_LINE = re.compile(
    r"cache_?key|cachekey|cache_?id\b|\bcache\.\w+\(|cache\(\)\.\w+\(|\bcache\.(fetch|get|set)|"
    r"Rails\.cache|@Cacheable|@CachePut|@cache_page|\bmemcache|key_?prefix|"
    r"[\"'`][\w-]*cache[\w-]*[:_./-]",
    re.I,
)
_VOLATILE = re.compile(
    r"time\.time\(|time\.Now\(|Date\.now\(|new Date\(|datetime\.(now|utcnow)|Instant\.now|"
    r"currentTimeMillis|nanoTime|Time\.now|\buuid|randomUUID|\brandom\b|\brand\(|SecureRandom|"
    r"timestamp|request_?id|requestId|req\.id|trace_?id|traceId|nonce|\bnow\(",
    re.I,
)
_REQUEST = re.compile(
    r"query_?string|querystring|getQueryString|getRequestURI|getRequestURL|getParameterMap|"
    r"RequestURI|RawQuery|originalUrl|full_?path|full_?url|user_?agent|to_query|"
    r"URL\.String\(\)|Query\(\)\.Encode\(\)|\b(?:\w+\.)*url\.(query|search)\b(?![.(\[])|"
    r"\b(req|request|ctx|c)\.(url|uri|path|query|params|headers|GET|args|query_params)\b(?![.\[(])|"
    r"\b(req|request|ctx|c)\.(query|params|headers|GET|args|query_params)\."
    r"(items|to_dict|to_h|to_unsafe_h|urlencode|entries|toString|dict|keys|values)\b",
    re.I,
)
_PER_USER = re.compile(
    r"user_?id|userId|user\.id|current_?user|currentUser|session|account_?id|accountId|"
    r"tenant|customer_?id|customerId|principal",
    re.I,
)
_VERSION = re.compile(r"(?<![A-Za-z])v\d+\b|version\W{0,4}\d+", re.I)
_KEY_VERSION = re.compile(r"(^|_)(key|cache)_?(version|prefix|namespace|ns|generation)($|_)")
_KEY_FUNCTION = re.compile(r"cache_?key", re.I)
_KEY_FOR = re.compile(r"key_?for", re.I)  # a key function only in a module that names a cache
_DEF = re.compile(
    r"^\s*(?:export\s+)?(?:(?:public|private|protected|internal|static|override|suspend|async)\s+)*"
    r"(?:def|fun|func|function)\s+(?:\([^)]*\)\s*)?(?:self\.)?(?P<a>\w+)|"
    r"^\s*(?:export\s+)?(?:const|let|var)\s+(?P<b>\w+)\s*(?::[^=]+)?=\s*(?:async\s*)?"
    r"(?:\([^)]*\)|\w+)\s*(?::\s*[^=]+)?=>|"
    r"^\s*(?:(?:public|private|protected|internal|static|final|override|async|synchronized)\s+)*"
    r"(?:[\w<>\[\],.?]+\s+)?(?P<c>\w+)\s*\([^;]*$"
)
_NOT_A_DEF = frozenset({
    "if", "for", "while", "switch", "catch", "return", "with", "elif", "else", "new", "throw",
    "await", "yield", "print", "assert", "raise", "join", "format", "import", "package",
    "class", "interface", "object", "struct", "type", "const", "var",
})  # fmt: skip
_REACH = 200  # lines a key function's body may span above a line (keeps big patches linear)
_HEADING = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ ?(.*)$")
_DOCSTRING = re.compile(r"\"\"\"|\'\'\'")
_NAMED = re.compile(  # the named values a key took: `.get("page")`, `params[:page]`, `query.page`
    r"[\"':]([A-Za-z_][\w-]*)[\"']?|\.(?:query|params|args|GET|headers)\.([A-Za-z_]\w*)\b(?!\()"
)
_TTL_LINE = re.compile(
    r"ttl|expire|expires_?in|expiry|max-?age|maxage|setex|\bEX\b|\bPX\b|"
    r"cache.*timeout|timeout.*cache",
    re.I,
)
_CACHING = re.compile(
    r"@(functools\.)?(lru_cache|cache|cached|cache_page|cache_control|memoize|Cacheable)\b|"
    r"\bRails\.cache\.fetch\b|\bcache\.(fetch|get_or_set|remember|wrap|getOrSet|getOrLoad)\(|"
    r"\bcaches_(action|page)\b|\bmemoize\(|"
    # a lookup in a cache the code keeps (`self.cache.get(key)`, `tokenCache.Get(k)`)
    r"(?P<lookup>\b\w*[cC]ache\w*\.(?:get|Get|getIfPresent|get_if_present|lookup|Lookup|Load)\()",
)
_OFF = re.compile(
    r"^(false|no|off|0|disabled?|none|null|nil|dummy\w*|\w*\.?(Dummy|Null|No)Cache\w*|"
    r"no-store|no-cache)$",
    re.I,
)
_ON = re.compile(r"^(true|yes|on|1|enabled?)$|cache|redis|memcache|max-age", re.I)
_LONGEST = 300
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--)")
_NUMBER = re.compile(r"\d[\d_]*(?:\.\d+)?")
_UNITS = {"ms": 1e-3, "millisecond": 1e-3, "milliseconds": 1e-3, "s": 1.0, "second": 1.0,
          "seconds": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "minutes": 60.0,
          "h": 3600.0, "hour": 3600.0, "hours": 3600.0, "d": 86400.0, "day": 86400.0,
          "days": 86400.0, "week": 604800.0, "weeks": 604800.0}  # fmt: skip
_DURATIONS = (
    re.compile(r"\b(\d+(?:\.\d+)?)\.(seconds?|minutes?|hours?|days?|weeks?)\b"),
    re.compile(r"(\d+(?:\.\d+)?)\s*\*\s*time\.(Millisecond|Second|Minute|Hour)\b"),
    re.compile(r"Duration\.of(Millis|Seconds|Minutes|Hours|Days)\(\s*(\d+)L?\s*\)"),
    re.compile(r"timedelta\(\s*(seconds|minutes|hours|days)\s*=\s*(\d+(?:\.\d+)?)"),
    re.compile(r"[\"'](\d+(?:\.\d+)?)\s*(ms|s|m|h|d)[\"']"),
)


def detect(change: ChangeFacts) -> list[Finding]:
    parsed = {
        file: diff.parse(patch)
        for file, patch in change.patches.items()
        if kinds.file_kind(file, patch) != "docs_tests"
    }
    found: dict[tuple[str, int | None], Finding] = {}
    index = {file: _index(lines) for file, lines in parsed.items()}
    for s in change.settings:
        if s.file in parsed:
            finding = _from_setting(s, _near(parsed[s.file], index[s.file], s.line))
            if finding is not None:
                found.setdefault((s.file, s.line), finding)
    for file, lines in parsed.items():
        pairs = _pairs(lines)
        paired = {id(new) for _, new in pairs}
        for old, new in pairs:
            near = _near(lines, index[file], new.new)
            for finding in (
                _key(file, new, old, partial(_near, lines, index[file], new.new)),
                _ttl(file, old, new, near),
            ):
                if finding is not None:
                    found.setdefault((file, new.new), finding)
        for new in lines:
            if new.sign == "+" and id(new) not in paired:
                finding = _key(file, new, None, partial(_near, lines, index[file], new.new))
                if finding is not None:
                    found.setdefault((file, new.new), finding)
        for finding in _key_functions(file, lines, _headings(change.patches[file])):
            found.setdefault((file, finding.line), finding)
        for finding in _removed(file, lines):
            found.setdefault((file, finding.line), finding)
    return list(found.values())


def _from_setting(s: SettingChange, near: str) -> Finding | None:
    context = f"{s.key} {near}"
    if _NOT_A_CACHE.search(s.key):
        return None
    versioned = s.family == "cache_key" or _KEY_VERSION.search(_words(s.key))
    if versioned and s.before is not None and s.after is not None:
        if not re.search("cache", f"{s.key} {s.file} {near}", re.I):
            return None  # an API version, a signing key's version, an object-store prefix
        message = (f"{s.key} changed {s.before} → {s.after}: every key misses at once "
                   f"(a one-off cold cache)")  # fmt: skip
        return Finding(NAME, message, s.file, s.line, MISS, 0.4)
    cache_ttl = s.family == "ttl" or (s.family == "timeout" and re.search("cache", context, re.I))
    if cache_ttl and s.before_number is not None and s.after_number is not None:
        return _shorter(s.file, s.line, s.key, s.before, s.after, s.before_number, s.after_number)
    cached = re.search("cach", s.key, re.I)
    if cached and s.before is not None and s.after is not None and _switched_off(s.before, s.after):
        message = f"{s.key} changed {s.before} → {s.after}: caching switched off"
        return Finding(NAME, message, s.file, s.line, MISS, 0.6)
    return None


def _switched_off(before: str, after: str) -> bool:
    return bool(_ON.search(before) and _OFF.match(after))


def _shorter(
    file: str, line: int | None, key: str, before: str | None, after: str | None,
    old: float, new: float,
) -> Finding | None:  # fmt: skip
    if not 0 <= new < old:
        return None
    if new == 0:
        message = f"{key} set {before} → {after}: entries expire at once, nothing stays cached"
        return Finding(NAME, message, file, line, MISS, 0.7)
    ratio = old / new
    strength = min(0.85, 0.2 + 0.55 * math.log10(ratio))
    message = f"{key} lowered {before} → {after} ({ratio:.3g}× shorter TTL, more misses)"
    return Finding(NAME, message, file, line, MISS, round(strength, 2))


def _key(
    file: str, new: diff.DiffLine, old: diff.DiffLine | None, near: Callable[[], str]
) -> Finding | None:
    """A cache key line that now carries a per-request value, or a new version (`near`: the
    line and the lines enclosing it, read only when the line's cache is in doubt)."""
    text = new.text
    if len(text) > _LONGEST or _COMMENT.match(text) or not _KEY_LINE.search(text):
        return None  # (a longer line is generated or minified code: any two words meet there)
    if _TTL_ONLY.search(text):
        return None
    if not _KEY_LINE.search(re.sub(r"key_?prefix", "", text, flags=re.I)) and not re.search(
        "cach", f"{file} {near()}", re.I
    ):
        return None  # a key prefix of something else (an object store, a queue)
    before = old.text if old is not None else ""
    if old is not None:
        bumped = _bump(before, text)
        if bumped is not None:
            message = (f"cache key version changed {bumped}: every key misses at once "
                       f"(a one-off cold cache)")  # fmt: skip
            return Finding(NAME, message, file, new.new, MISS, 0.4)
    for pattern, strength, why in _SPECIFIC:
        found = pattern.search(text)
        if found and not pattern.search(before):
            if old is None and strength < 0.7:
                return None  # a new cache keyed per user or URL: a design, not a regression
            message = f"cache key now includes {found.group(0).rstrip('(')!r}: {why}"
            return Finding(NAME, message, file, new.new, SYMPTOMS,
                           strength if old is not None else 0.6)  # fmt: skip
    return None


def _key_functions(file: str, lines: list[diff.DiffLine], headings: list[str]) -> list[Finding]:
    """Per-request values added to a key built over several lines in a key function."""
    definitions = " ".join([*headings, *(d.text for d in lines if _DEF.match(d.text))])
    if not _builds_key(definitions, file):
        return []  # no function here says it builds a cache key
    prose = _docstrings(lines)
    groups: dict[tuple[int, str], list[int]] = {}
    added_functions: set[str] = set()
    for i, d in enumerate(lines):
        if i in prose or _COMMENT.match(d.text) or not d.text.strip():
            continue
        function = _function(lines, i, headings)
        if function is not None and _builds_key(function[0], file):
            groups.setdefault((d.hunk, function[0]), []).append(i)
            if function[1]:
                added_functions.add(function[0])
    out = []
    for (_, name), members in groups.items():
        added = [lines[i] for i in members if lines[i].sign == "+"]
        texts = [lines[i].text for i in members]
        kept = " ".join(t for i, t in zip(members, texts, strict=True)
                        if lines[i].sign != "+" and not _named_only(t, texts))  # fmt: skip
        removed = [lines[i].text for i in members if lines[i].sign == "-"]
        new_function = name in added_functions
        for pattern, strength, why in _SPECIFIC:
            hit = next(((d, m) for d in added for m in [pattern.search(d.text)] if m), None)
            if hit is None or pattern.search(kept) or (new_function and strength < 0.7):
                continue
            line, found = hit
            named = [n for n in dict.fromkeys(m.group(1) or m.group(2) for t in removed
                                              for m in _NAMED.finditer(t))
                     if not any(n in a.text for a in added)]  # fmt: skip
            instead = f" instead of {', '.join(named[:4])}" if named else ""
            value = found.group(0).rstrip("(")
            message = f"cache key built in {name}() now includes {value!r}{instead}: {why}"
            out.append(Finding(NAME, message, file, line.new, SYMPTOMS, strength))
            break
    return out


_ALIAS = re.compile(
    r"^\s*(?:(?:const|let|var|val|final)\s+)?(?P<name>\w+)\s*(?::\s*[\w.<>\[\]]+\s*)?:?=\s*"
    r"(?P<value>[\w.]+)\s*;?\s*$"
)


def _named_only(text: str, function: list[str]) -> bool:
    """`params = request.query_params` where the function then reads only named values from
    it (`params.get("page")`, `params["page"]`, `params.page`): the key took a few named
    values, not the whole request value."""
    alias = _ALIAS.match(text)
    if alias is None or not _REQUEST.fullmatch(alias.group("value")):
        return False
    name = re.escape(alias.group("name"))
    uses = [u for t in function if t is not text for u in re.finditer(rf"\b{name}\b(.?)", t)]
    return bool(uses) and all(u.group(1) in (".", "[") for u in uses)


def _builds_key(function: str, file: str) -> bool:
    return bool(_KEY_FUNCTION.search(function)) or (
        bool(_KEY_FOR.search(function)) and "cache" in file.lower()
    )


def _function(
    lines: list[diff.DiffLine], index: int, headings: list[str]
) -> tuple[str, bool] | None:
    """The function line `index` is in: its name, and whether the change adds it."""
    depth = _indent(lines[index].text)
    old_side = lines[index].sign == "-"
    hunk = lines[index].hunk
    for j in range(index - 1, -1, -1):
        d = lines[j]
        if d.hunk != hunk:
            break  # the hunk's first line: its heading names the function
        if index - j > _REACH:
            return None
        if (d.sign == "+" and old_side) or (d.sign == "-" and not old_side):
            continue
        if not d.text.strip() or _indent(d.text) >= depth:
            continue
        found = _DEF.match(d.text)
        name = found and (found.group("a") or found.group("b") or found.group("c"))
        if name and name not in _NOT_A_DEF:
            return name, d.sign == "+"
        depth = _indent(d.text)
        if depth == 0:
            return None
    found = _DEF.match(headings[hunk]) if hunk < len(headings) else None
    name = found and (found.group("a") or found.group("b") or found.group("c"))
    return (name, False) if name and name not in _NOT_A_DEF else None


def _docstrings(lines: list[diff.DiffLine]) -> set[int]:
    """The lines inside triple-quoted strings (each side of the diff read on its own)."""
    out: set[int] = set()
    for side in ("+", "-"):
        inside = False
        for i, d in enumerate(lines):
            if d.sign not in (side, " "):
                continue
            quotes = len(_DOCSTRING.findall(d.text))
            if inside or quotes:
                out.add(i)
            if quotes % 2:
                inside = not inside
    return out


def _headings(patch: str) -> list[str]:
    """The text after each hunk's `@@ ... @@` (git's guess at the enclosing definition)."""
    return [m.group(1) for raw in patch.splitlines() for m in [_HEADING.match(raw)] if m]


def _words(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return spaced.replace("-", "_").replace(".", "_").lower()


def _ttl(file: str, old: diff.DiffLine, new: diff.DiffLine, near: str) -> Finding | None:
    """A TTL literal the hunk rewrites smaller (`expires_in: 12.hours` → `5.minutes`)."""
    text = new.text
    if _COMMENT.match(text) or not _TTL_LINE.search(f"{text} {near}"):
        return None
    if _NOT_A_CACHE.search(text):
        return None
    if re.search(r"max-?age", old.text, re.I) and re.search(r"no-store|no-cache", text, re.I):
        message = "Cache-Control changed from max-age to no-store/no-cache: caching removed"
        return Finding(NAME, message, file, new.new, MISS, 0.6)
    old_ttl, new_ttl = _duration(old.text), _duration(text)
    if old_ttl is not None and new_ttl is not None:
        (before, shown_before), (after, shown_after) = old_ttl, new_ttl
    else:
        if _skeleton(old.text) != _skeleton(text):
            return None
        changed = [(a, b) for a, b in zip(_numbers(old.text), _numbers(text), strict=True)
                   if a != b]  # fmt: skip
        if len(changed) != 1:
            return None
        before, after = changed[0]
        shown_before, shown_after = f"{before:g}", f"{after:g}"
    named = _TTL_NAME.search(text)
    key = named.group(0) if named else "ttl"
    return _shorter(file, new.new, key, shown_before, shown_after, before, after)


def _removed(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    """Caching decorators and calls removed, more of each kind than the file adds back."""
    added = Counter(_kind(m) for d in lines if d.sign == "+" for m in _CACHING.finditer(d.text))
    out = []
    for i, d in enumerate(lines):
        if d.sign != "-" or _COMMENT.match(d.text):
            continue
        for m in _CACHING.finditer(d.text):
            if added[_kind(m)] > 0:
                added[_kind(m)] -= 1
                continue
            after = (n.new for n in lines[i:] if n.new is not None)
            before = (n.new for n in reversed(lines[:i]) if n.new is not None)
            at = next(after, next(before, None))
            message = f"caching removed: {m.group(0)} (was line {d.old})"
            out.append(Finding(NAME, message, file, at, MISS, 0.55))
    return out


def _kind(m: re.Match[str]) -> str:
    """What a caching match counts as: any lookup in a kept cache is one kind (a lookup in
    another cache added back keeps the calls cached), a decorator or call by its text."""
    return "a cache lookup" if m["lookup"] else m.group(0)


def _bump(before: str, after: str) -> str | None:
    """`v1` → `v2` or `version: 3` → `4` in otherwise the same line."""
    old = [m.group(0) for m in _VERSION.finditer(before)]
    new = [m.group(0) for m in _VERSION.finditer(after)]
    if old and len(old) == len(new) and old != new and _skeleton(before) == _skeleton(after):
        moved = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
        return ", ".join(f"{a} → {b}" for a, b in moved)
    return None


_TTL_NAME = re.compile(r"[\w-]*(ttl|expir|max-?age|setex|timeout)[\w-]*", re.I)
_TTL_ONLY = re.compile(r"^\s*[\w.\"']*(ttl|expir\w*|timeout)[\"']?\s*[:=]", re.I)
_SPECIFIC: tuple[tuple[re.Pattern[str], float, str], ...] = (
    (_VOLATILE, 0.8, "a new key on every request, nothing is ever hit"),
    (_REQUEST, 0.6, "one entry per request variant, a lower hit rate"),
    (_PER_USER, 0.45, "one entry per user, a lower hit rate and more memory"),
)


def _near(lines: list[diff.DiffLine], index: dict[int, int], line: int | None) -> str:
    """This line of the new file and the lines that enclose it (less indented, above it)."""
    i = index.get(line) if line is not None else None
    if i is None or not lines[i].text.strip():
        return ""
    out, depth = [lines[i].text], _indent(lines[i].text)
    for j in range(i - 1, -1, -1):
        d = lines[j]
        if depth == 0:
            break
        if d.sign != "-" and d.text.strip() and _indent(d.text) < depth:
            out.append(d.text)
            depth = _indent(d.text)
    return " ".join(out)


def _index(lines: list[diff.DiffLine]) -> dict[int, int]:
    """Where each line of the new file sits in `lines`."""
    return {d.new: i for i, d in enumerate(lines) if d.new is not None}


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _pairs(lines: list[diff.DiffLine]) -> list[tuple[diff.DiffLine, diff.DiffLine]]:
    """A removed and an added line of one hunk that set the same thing (same start)."""
    waiting: dict[tuple[int, str], list[diff.DiffLine]] = {}
    for d in lines:
        if d.sign == "-":
            waiting.setdefault((d.hunk, _head(d.text)), []).append(d)
    out = []
    for new in lines:
        if new.sign == "+":
            queue = waiting.get((new.hunk, _head(new.text)))
            if queue:
                out.append((queue.pop(0), new))
    return out


def _head(text: str) -> str:
    """What a line sets or calls: the text before its first `=`, `:` or `(`."""
    return re.split(r"[=:(]", text.strip(), maxsplit=1)[0].strip()


def _skeleton(text: str) -> str:
    for pattern in _DURATIONS:
        text = pattern.sub("D", text)
    return re.sub(r"\s+", "", _NUMBER.sub("#", _VERSION.sub("V", text)))


def _numbers(text: str) -> list[float]:
    return [float(n.replace("_", "")) for n in _NUMBER.findall(text)]


def _duration(text: str) -> tuple[float, str] | None:
    """The one duration with a unit the line writes: in seconds, and as written."""
    found = []
    for pattern in _DURATIONS:
        for match in pattern.finditer(text):
            a, b = match.group(1), match.group(2)
            value, unit = (a, b) if a[0].isdigit() else (b, a)
            word = unit.lower()
            seconds = float(value) * _UNITS.get(word, _UNITS.get(word.rstrip("s"), 1.0))
            found.append((seconds, match.group(0).strip("\"'")))
    return found[0] if len(found) == 1 else None
