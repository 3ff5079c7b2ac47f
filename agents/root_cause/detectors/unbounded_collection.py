"""A process-wide collection that only grows: a module-level, static or singleton map, list or
set written with a per-request key (or appended to on every call) and never evicted or
bounded, or a cache built without a size or a TTL. Memory climbs with traffic until the
process is killed (and GC pauses grow on the way).

Catches, in added code (Python, JS/TS, Go, Java/Kotlin/C#, Ruby, Rust):
- a collection declared at module level (Python, JS/TS, Go `var`, Kotlin top-level/`object`),
  as a class attribute (Python), `static` (Java, C#, TS), a field of a Spring/Jakarta
  singleton (`@Service`, `@Component`...), a Ruby constant or `@@`/`$` variable, a Rust
  `static`, then written inside a function with a key that is not a literal
  (`CACHE[user_id] = ...`, `.set(req.id, ...)`, `.put(`, `.computeIfAbsent(`, `.Store(`,
  `.setdefault(`) or appended to (`.append(`, `.push(`, `append(x, ...)`, `<<`), with no
  eviction in sight (`pop`, `del`, `delete`, `remove`, `clear`, a size check, a reset);
  a write added to such a collection that the patch shows but did not add is reported weaker;
- `@lru_cache(maxsize=None)` / `@cache` on a function that takes arguments (stronger on a
  method: it holds every instance), `@cached(cache={})`, `_.memoize(`;
- `Caffeine`/Guava `CacheBuilder` built without `maximumSize`/`expireAfter*`, `new LRU()`
  without `max`, `new NodeCache()` without `stdTTL`/`maxKeys`, go-cache `NoExpiration`.

Ignores collections local to a function, instance fields outside singletons, writes with a
literal or constant key (a fixed set of entries), weak maps, bounded structures (`deque
(maxlen=)`, `maxsize=`, LRU/TTL caches), frozen constants, and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "unbounded_collection"
SYMPTOMS = ("memory", "crash", "latency", "cpu")

_EMPTY_PY = (r"(\{\}|dict\(\)|\[\]|list\(\)|set\(\)|"
             r"(collections\.)?(defaultdict|OrderedDict|Counter)"
             r"\([^)]*\)|(collections\.)?deque\((?![^)]*maxlen)[^)]*\))")  # fmt: skip
_DECLARATIONS: dict[str, tuple[str, ...]] = {
    "py": (rf"^\s*(?P<name>[A-Za-z_]\w*)\s*(?::\s*[^=]+)?=\s*{_EMPTY_PY}\s*(#.*)?$",),
    "js": (
        r"^(?:export\s+)?(?:const|let|var)\s+(?P<name>\w+)\s*(?::\s*[^=]+)?=\s*(?:new\s+(?:Map|Set)"
        r"\b|\{\}|\[\])",
        r"^\s*(?:(?:private|public|protected|readonly)\s+)*static\s+(?:readonly\s+)?(?P<name>\w+)"
        r"\s*(?::\s*[^=]+)?=\s*(?:new\s+(?:Map|Set)\b|\{\}|\[\])",
    ),
    "go": (
        r"^\s*(?:var\s+)?(?P<name>\w+)\s*(?:=\s*(?:make\(\s*map\[|map\[[^\]]+\][^{]*\{\s*\}|"
        r"\[\][\w.*]+\{\s*\})|sync\.Map\b|=\s*&?sync\.Map\{\})",
    ),
    "java": (
        r"\bstatic\b.*?\b(?:Map|HashMap|ConcurrentHashMap|ConcurrentMap|LinkedHashMap|TreeMap|List|"
        r"ArrayList|LinkedList|Set|HashSet|Collection|Queue|Deque|ConcurrentLinkedQueue|"
        r"CopyOnWriteArrayList|Dictionary|ConcurrentDictionary|ConcurrentBag|ConcurrentQueue)\b"
        r"\s*(?:<.*>)?\s+(?P<name>\w+)\s*=\s*new\b",
        r"^\s*(?:(?:private|internal|public)\s+)?(?:val|var)\s+(?P<name>\w+)\s*(?::\s*[^=]+)?=\s*"
        r"(?:mutableMapOf|mutableListOf|mutableSetOf|hashMapOf|HashMap|ConcurrentHashMap|ArrayList|"
        r"LinkedHashMap|HashSet)\b",
    ),
    "rb": (
        r"^\s*(?P<name>[A-Z][A-Z0-9_]*|@@\w+|\$\w+)\s*=\s*(?:\{\}|\[\]|Hash\.new|Array\.new|Set\.new|"
        r"Concurrent::(?:Map|Hash|Array)\.new)(?!.*\.freeze)",
    ),
    "rs": (
        r"^\s*(?:pub\s+)?static\s+(?:ref\s+)?(?P<name>[A-Z_][A-Z0-9_]*)\s*:.*\b(?:HashMap|BTreeMap|"
        r"Vec|HashSet|DashMap)\b",
    ),
}
_SINGLETON_FIELD = re.compile(
    r"^\s*(?:private|protected|public)?\s*(?:final\s+)?(?:Map|HashMap|ConcurrentHashMap|"
    r"ConcurrentMap|List|ArrayList|Set|HashSet|Queue)\s*<.*>\s+(?P<name>\w+)\s*=\s*new\b"
)
_SINGLETON = re.compile(r"@(Service|Component|Controller|RestController|Repository|Singleton|"
                        r"ApplicationScoped|Configuration)\b")  # fmt: skip
_LANGUAGE = {".py": "py", ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "js", ".ts": "js",
             ".tsx": "js", ".go": "go", ".java": "java", ".kt": "java", ".kts": "java",
             ".scala": "java", ".cs": "java", ".rb": "rb", ".rs": "rs"}  # fmt: skip
_KEYED_WRITE = (r"\.(?:setdefault|set|put|putIfAbsent|computeIfAbsent|compute|merge|Store|"
                r"LoadOrStore|insert|TryAdd|GetOrAdd|AddOrUpdate|store|entry)\s*\(\s*"
                r"(?P<key>[^,)]+)")  # fmt: skip
_APPEND = r"\.(?:append|add|push|extend|unshift|Add|Enqueue|addAll|offer|update|concat)\s*\("
_EVICT = (r"\.(?:pop|popitem|popleft|clear|remove|delete|Delete|discard|shift|splice|evict|"
          r"invalidate\w*|poll|removeIf|Remove|TryRemove|Clear|drain|truncate|retain|Dequeue|"
          r"expire|trim\w*|cleanUp|cleanup)\b")  # fmt: skip
_BOUNDED = re.compile(r"maxsize|max_?size|maxlen|maximumSize|\blru\b|LRU|ttl|TTL|expire|bounded",
                      re.I)  # fmt: skip
_CACHE_DECORATOR = re.compile(
    r"^\s*@(?:functools\.)?(?:lru_cache\(\s*(?:maxsize\s*=\s*)?None\s*\)|cache\b(?!d)|"
    r"cached\(\s*(?:cache\s*=\s*)?(?:\{\}|dict\(\))\s*\))"
)
_BUILDERS = (
    (re.compile(r"\b(Caffeine|CacheBuilder)\.newBuilder\(\)"),
     re.compile(r"maximumSize|maximumWeight|expireAfter|softValues|weakKeys|weakValues"), "a "
     "{0} cache built without maximumSize or expireAfter*"),
    (re.compile(r"\bnew\s+(LRU|LRUCache|LruCache)\s*\("), re.compile(r"\bmax\w*\s*:"),
     "an {0} created without max (no size bound)"),
    (re.compile(r"\bnew\s+(NodeCache)\s*\("), re.compile(r"stdTTL|maxKeys"),
     "a {0} created without stdTTL or maxKeys"),
    (re.compile(r"\b(cache\.New)\(\s*cache\.NoExpiration"), re.compile(r"$^"),
     "a go-cache ({0}) whose entries never expire"),
    (re.compile(r"\b(_\.memoize|lodash\.memoize|memoize)\s*\("), re.compile(r"\bmax\w*\s*:|maxAge"),
     "{0} keeps a result per distinct argument with no bound"),
)  # fmt: skip
_REQUESTISH = re.compile(  # keys that differ per request, user or item (not per config entry)
    r"req|user|session|token|\bip\b|addr|url|path|query|tenant|customer|account|order|trace|"
    r"message|msg|event|item|sku|email|\bid\b|_id\b|Id\b|uuid|hash|address|key_of|text|body",
    re.I,
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*)")


@dataclass(frozen=True)
class Declaration:
    name: str
    index: int
    line: int | None
    indent: int
    added: bool
    where: str


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        language = next((v for k, v in _LANGUAGE.items() if file.lower().endswith(k)), None)
        if language is None or file_kind(file, patch) == "docs_tests":
            continue
        lines = diff.parse(patch)
        found += _grown(file, language, lines, patch)
        found += _unbounded_caches(file, lines)
    return found


def _grown(file: str, language: str, lines: list[diff.DiffLine], patch: str) -> list[Finding]:
    out = []
    for decl in _declarations(language, lines, patch):
        if _BOUNDED.search(lines[decl.index].text):
            continue
        body = [(i, d) for i, d in enumerate(lines) if i > decl.index and d.sign != "-"]
        kept = [d for i, d in enumerate(lines) if i != decl.index and d.sign != "-"]
        if any(_evicts(decl.name, d.text) for d in kept) or _shadowed(decl.name, kept, patch):
            continue
        owned = decl.where == "class attribute"  # written through self./cls./the class only
        write = next(((i, d, w) for i, d in body if d.sign == "+" and not _COMMENT.match(d.text)
                      and _indent(d.text) > decl.indent
                      for w in [_write(decl.name, d.text, owned)] if w), None)  # fmt: skip
        if write is None:
            continue
        _, line, how = write
        strength = 0.6 if _REQUESTISH.search(how) or how == "appended to" else 0.45
        strength = strength if decl.added else strength - 0.2
        message = (f"{decl.where} `{decl.name}` grows per call: {how} at line {line.new} "
                   f"(`{line.text.strip()}`), never evicted or bounded")  # fmt: skip
        out.append(Finding(NAME, message, file, decl.line if decl.added else line.new, SYMPTOMS,
                           strength))  # fmt: skip
    return out


def _declarations(language: str, lines: list[diff.DiffLine], patch: str) -> list[Declaration]:
    patterns = [re.compile(p) for p in _DECLARATIONS[language]]
    singleton = language == "java" and bool(_SINGLETON.search(patch))
    out = []
    in_var_block = False
    for i, d in enumerate(lines):
        if d.sign == "-" or _COMMENT.match(d.text):
            continue
        if language == "go":
            if re.match(r"^var\s*\(\s*$", d.text):
                in_var_block = True
                continue
            if in_var_block and d.text.strip() == ")":
                in_var_block = False
        found = next((m for p in patterns for m in [p.search(d.text)] if m), None)
        if found is None and singleton:
            found = _SINGLETON_FIELD.search(d.text)
        if found is None:
            continue
        where = _scope(language, lines, i, in_var_block, singleton and "static" not in d.text)
        if where:
            indent = 0 if language == "go" else _indent(d.text)  # a `var (` block is top level
            out.append(Declaration(found.group("name"), i, d.new, indent, d.sign == "+", where))
    return out


def _scope(language: str, lines: list[diff.DiffLine], index: int, var_block: bool,
           singleton_field: bool) -> str | None:  # fmt: skip
    """Where a declaration lives when it is process-wide (None when it is local)."""
    text = lines[index].text
    indent = _indent(text)
    if language == "java":
        if singleton_field:
            return "singleton field"
        if "static" in text:
            return "static collection"
        return "top-level collection" if indent == 0 else _enclosing_object(lines, index)
    if language == "go":
        if indent == 0 and text.startswith("var"):
            return (
                "package-level map"
                if "map" in text or "sync.Map" in text
                else "package-level slice"
            )
        return "package-level var" if var_block and indent > 0 else None
    if language == "rb":
        return (
            "class-level constant"
            if not text.lstrip().startswith(("@@", "$"))
            else "class variable"
        )
    if language == "rs":
        return "static collection"
    if language == "js" and "static" in text:
        return "static collection"
    if indent == 0:
        return "module-level collection"
    if language == "py":
        owner = _enclosing(lines, index)
        annotated = re.match(r"^\s*\w+\s*:", text) and "ClassVar" not in text
        if owner and owner.lstrip().startswith("class ") and not annotated:
            return "class attribute"  # an annotated one is a field of each instance (pydantic)
        return None
    return None


def _enclosing_object(lines: list[diff.DiffLine], index: int) -> str | None:
    owner = _enclosing(lines, index)
    if owner and re.search(r"\b(companion\s+)?object\b", owner):
        return "object-level collection"
    return None


def _enclosing(lines: list[diff.DiffLine], index: int) -> str | None:
    indent = _indent(lines[index].text)
    for d in reversed(lines[:index]):
        if d.sign != "-" and d.text.strip() and _indent(d.text) < indent:
            return d.text
    return None


def _shadowed(name: str, kept: list[diff.DiffLine], patch: str) -> bool:
    """A local of the same name is bound inside a function (the writes are to that local)."""
    n = re.escape(name)
    local = re.compile(rf"^\s+(?:(?:const|let|var)\s+{n}\b|{n}\s*(?::[^=]+)?=(?!=)|{n}\s*:=)")
    return any(local.match(d.text) for d in kept) and not re.search(rf"\bglobal\s+{n}\b", patch)


def _write(name: str, text: str, owned: bool = False) -> str | None:
    """How a line writes to the collection, when the write can grow it."""
    owner = r"(?:self|cls|this|[A-Z]\w*)\." if owned else r"(?:(?:self|cls|this|[A-Z]\w*)\.)?"
    n = rf"(?<![\w.]){owner}{re.escape(name)}\b"
    sub = re.search(rf"{n}\[(?P<key>[^\]]+)\]\s*(?:=(?!=)|\|\|=|\+=|<<|\+\+)", text)
    if sub:
        return (
            None if _literal(sub.group("key")) else f"written with key `{sub.group('key').strip()}`"
        )
    nested = re.search(rf"{n}\[(?P<key>[^\]]+)\]\.(?:append|add|push|extend|update)\(", text)
    if nested and not _literal(nested.group("key")):
        return f"appended under key `{nested.group('key').strip()}`"
    keyed = re.search(
        rf"{n}(?:\.lock\(\)\.unwrap\(\)|\.write\(\)\.unwrap\(\))?{_KEYED_WRITE}", text
    )
    if keyed:
        key = keyed.group("key")
        return None if _literal(key) else f"written with key `{key.strip()}`"
    if re.search(rf"{n}(?:\.lock\(\)\.unwrap\(\))?{_APPEND}", text):
        return "appended to"
    if re.search(rf"{n}\s*=\s*append\(\s*{re.escape(name)}\s*,|{n}\s*<<\s*\S", text):
        return "appended to"
    return None


def _evicts(name: str, text: str) -> bool:
    n = rf"(?<![\w.])(?:(?:self|cls|this|[A-Z]\w*)\.)?{re.escape(name)}\b"
    return bool(
        re.search(rf"{n}(?:\.lock\(\)\.unwrap\(\))?{_EVICT}", text)
        or re.search(rf"\bdel\s+{n}\[|\bdelete\(\s*{n}\s*,|\bdelete\s+{n}\[", text)
        or re.search(
            rf"(len\(\s*{n}\s*\)|\b{n}\.(size|length|Count|len|count)\b\(?\)?)\s*[<>]=?", text
        )
        or re.search(rf"[<>]=?\s*(len\(\s*{n}\s*\)|\b{n}\.(size|length|Count|len|count)\b)", text)
        or re.search(
            rf"^\s+{n}\s*=\s*(\{{\}}|\[\]|new\b|make\(|dict\(\)|set\(\)|mutable\w*Of\(\))", text
        )
    )


def _literal(key: str) -> bool:
    key = key.strip()
    return bool(re.fullmatch(r"[\"'][^\"']*[\"']|:\w+|-?\d+(\.\d+)?|[A-Z][A-Z0-9_]*|"
                             r"True|False|None|"
                             r"true|false|nil|null", key))  # fmt: skip


def _unbounded_caches(file: str, lines: list[diff.DiffLine]) -> list[Finding]:
    out = []
    for i, d in enumerate(lines):
        if d.sign != "+" or _COMMENT.match(d.text):
            continue
        if _CACHE_DECORATOR.search(d.text):
            finding = _decorated(file, lines, i)
            if finding:
                out.append(finding)
            continue
        for start, bound, what in _BUILDERS:
            found = start.search(d.text)
            if not found:
                continue
            text = " ".join(x.text for x in lines[i : i + 10] if x.sign != "-").split(";")[0]
            if not bound.search(text):
                out.append(Finding(NAME, what.format(found.group(1)) + " grows without limit",
                                   file, d.new, SYMPTOMS, 0.5))  # fmt: skip
            break
    return out


def _decorated(file: str, lines: list[diff.DiffLine], index: int) -> Finding | None:
    definition = next((d for d in lines[index + 1 : index + 6]
                       if d.sign != "-" and re.match(r"^\s*(async\s+)?def\s", d.text)),
                      None)  # fmt: skip
    if definition is None:
        return None
    found = re.search(r"def\s+(\w+)\s*\(([^)]*)\)?", definition.text)
    if not found:
        return None
    function, raw = found.group(1), found.group(2)
    params = [p.split(":")[0].split("=")[0].strip() for p in raw.split(",") if p.strip()]
    method = bool(params) and params[0] in ("self", "cls")
    args = [p for p in params if p not in ("self", "cls", "*", "/")]
    if not args and not method:
        return None  # one entry at most
    decorator = lines[index].text.strip()
    if method and params[0] == "self":
        message = (f"`{decorator}` on method `{function}` caches per instance and argument with "
                   f"no bound (it keeps every instance alive)")  # fmt: skip
        return Finding(NAME, message, file, lines[index].new, SYMPTOMS, 0.6)
    message = (f"`{decorator}` on `{function}({', '.join(args)})` keeps a result per distinct "
               f"argument with no bound")  # fmt: skip
    strength = 0.55 if _REQUESTISH.search(" ".join(args)) else 0.4
    return Finding(NAME, message, file, lines[index].new, SYMPTOMS, strength)


def _indent(text: str) -> int:
    return len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip())
