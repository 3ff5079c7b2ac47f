"""A process-wide collection that only grows: a module-level, static or singleton map, list or
set written with a per-request key (or appended to on every call) and never evicted or
bounded, or a cache built without a size or a TTL. Memory climbs with traffic until the
process is killed (and GC pauses grow on the way).

Catches, in added code (Python, JS/TS, Go, Java/Kotlin/C#, Ruby, Rust):
- a collection declared at module level (Python, JS/TS, Go `var`, Kotlin top-level/`object`),
  as a class attribute (Python), `static` (Java, C#, TS), a field of a Spring/Jakarta
  singleton (`@Service`, `@Component`...), a Ruby constant or `@@`/`$` variable, a Rust
  `static`, then written inside a function with a key that is not a literal
  (`CACHE[user_id] = ...`, `.set(req.id, ...)`, `.put(`, `.computeIfAbsent(`, `.getOrPut(`,
  `.Store(`, `.setdefault(`) or appended to (`.append(`, `.push(`, `append(x, ...)`, `<<`),
  with no eviction in sight (`pop`, `del`, `delete`, `remove`, `clear`, a size check, a
  reset); a write added to such a collection that the patch shows but did not add is
  reported weaker; a key computed from the writing function's parameters (`Key.of(q)`,
  `keyFor(request)`) counts as per call;
- a field of a long-lived Java/Kotlin/C# class (not a data class or record), written the same
  way, also from an expression-bodied function (`fun f(q: Q): V =` / `memo.computeIfAbsent(
  ...)` on the next line), when the class shows it lives long: a concurrent map or list
  (shared across threads), a constructor taking injected collaborators (`private val
  rates: RateClient`, `@Inject`; the header may span several lines and sit in the hunk's
  heading), or the field registered with a metrics gauge (a gauge watches it, it does not
  bound it);
- `@lru_cache(maxsize=None)` / `@cache` on a function that takes arguments (stronger on a
  method: it holds every instance), `@cached(cache={})`, `_.memoize(`;
- `Caffeine`/Guava `CacheBuilder` built without `maximumSize`/`expireAfter*`, `new LRU()`
  without `max`, `new NodeCache()` without `stdTTL`/`maxKeys`, go-cache `NoExpiration`.

Ignores collections local to a function, instance fields of classes that show none of those
signs (and of data classes and records), writes with a literal or constant key (a fixed set
of entries), weak maps, bounded structures (`deque(maxlen=)`, `maxsize=`, LRU/TTL caches,
a Caffeine cache with `maximumSize`), collections cleared or reset anywhere in the patch (a
scheduled `clear()`), frozen constants, and tests.
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
_FIELD = re.compile(  # an instance field of a Java/C# class (kept only in a long-lived class)
    r"^\s*(?:(?:private|protected|public|internal|final|readonly)\s+)*(?:Map|HashMap|"
    r"ConcurrentHashMap|ConcurrentMap|ConcurrentSkipListMap|LinkedHashMap|List|ArrayList|Set|"
    r"HashSet|Queue|Deque|Dictionary|ConcurrentDictionary|ConcurrentBag|ConcurrentQueue|"
    r"CopyOnWriteArrayList|ConcurrentLinkedQueue)\s*<.*>\s+(?P<name>\w+)\s*=\s*new\b"
)
_SHARED = re.compile(  # a collection made for several threads: the object holding it is shared
    r"\bConcurrent\w*(Map|Dictionary|Queue|Bag|Set)\b|\bConcurrentSkipList\w*|"
    r"\bCopyOnWrite\w*|Collections\.synchronized\w*|\bConcurrentLinkedQueue\b"
)
_VALUE_CLASS = re.compile(r"\b(data|value|inline|enum|annotation|sealed)\s+class\b|\brecord\b|"
                          r"\bstruct\b")  # fmt: skip
_CLASS = re.compile(r"\bclass\s+(?P<name>\w+)")
_INJECTED = re.compile(r"@(Inject|Autowired|RequiredArgsConstructor|AllArgsConstructor)\b")
_COLLABORATOR = re.compile(  # the type of an injected collaborator (a service, not a value)
    r"^[A-Z]\w*(Service|Repository|Repo|Client|Registry|Store|Dao|DAO|Gateway|Provider|"
    r"Factory|Template|DataSource|Manager|Properties|Config|Configuration|Api|Loader|Publisher|"
    r"Producer|Consumer|Handler|Mapper|Executor|Scheduler|Clock|Engine|Adapter|Pool|Bus|Sink|"
    r"Tracer|Metrics|Dispatcher|Router|Validator|Port|Backend|Connector|Fetcher|Lookup|Resolver|"
    r"Catalog|Index)$"
)
# the types of parameters: `name: Type` (Kotlin, Scala, TS), `Type name` (Java, C#)
_TYPES = re.compile(r"\b\w+\s*:\s*(?P<a>[A-Z][\w.]*)|(?P<b>[A-Z][\w.]*)(?:<[^>]*>)?\s+\w+\s*[,)]")
_CLOSER = re.compile(r"^\s*\)\s*(:[^{]*)?\{?\s*$")  # `) {`: the end of a multi-line header
_FUNCTION = re.compile(
    r"^\s*(?:@\w+\s+)*(?:(?:public|private|protected|internal|override|open|suspend|static|final|"
    r"async|synchronized|inline)\s+)*(?:fun|def|func|function)\b|"
    r"^\s*(?:(?:public|private|protected|internal|static|final|override|async|synchronized)\s+)+"
    r"[\w<>\[\],.?]+\s+\w+\s*\("
)
_HEADING = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ ?(?P<heading>.*)$")
_SINGLETON = re.compile(r"@(Service|Component|Controller|RestController|Repository|Singleton|"
                        r"ApplicationScoped|Configuration)\b")  # fmt: skip
_LANGUAGE = {".py": "py", ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "js", ".ts": "js",
             ".tsx": "js", ".go": "go", ".java": "java", ".kt": "java", ".kts": "java",
             ".scala": "java", ".cs": "java", ".rb": "rb", ".rs": "rs"}  # fmt: skip
_KEYED_WRITE = (
    r"\.(?:setdefault|set|put|putIfAbsent|computeIfAbsent|compute|merge|Store|"
    r"LoadOrStore|insert|TryAdd|GetOrAdd|AddOrUpdate|store|entry|getOrPut)\s*\("
)
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
    why: str = ""  # what shows a class field lives long


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        language = next((v for k, v in _LANGUAGE.items() if file.lower().endswith(k)), None)
        if language is None or file_kind(file, patch) == "docs_tests":
            continue
        lines = diff.parse(patch)
        found += _grown(file, language, lines, patch, _headings(patch))
        found += _unbounded_caches(file, lines)
    return found


def _grown(file: str, language: str, lines: list[diff.DiffLine], patch: str,
           headings: list[str]) -> list[Finding]:  # fmt: skip
    out = []
    for decl in _declarations(language, lines, patch, headings):
        if _BOUNDED.search(lines[decl.index].text):
            continue
        body = [(i, d) for i, d in enumerate(lines) if i > decl.index and d.sign != "-"]
        kept = [d for i, d in enumerate(lines) if i != decl.index and d.sign != "-"]
        named = [d for d in kept if decl.name in d.text]  # (every pattern below names it)
        if any(_evicts(decl.name, d.text) for d in named) or _shadowed(decl.name, named, patch):
            continue
        owned = decl.where == "class attribute"  # written through self./cls./the class only
        write = next(((i, d, w) for i, d in body if d.sign == "+" and not _COMMENT.match(d.text)
                      and decl.name in d.text
                      and (_indent(d.text) > decl.indent or _FUNCTION.match(d.text))
                      for w in [_write(decl.name, d.text, owned)] if w), None)  # fmt: skip
        if write is None:
            continue
        at, line, how = write
        per_call = _from_params(how, _params(lines, at, headings))
        strength = 0.6 if _REQUESTISH.search(how) or how == "appended to" or per_call else 0.45
        strength = strength if decl.added else strength - 0.2
        message = (f"{decl.where} `{decl.name}`{decl.why} grows per call: {how} at line "
                   f"{line.new} (`{line.text.strip()}`), never evicted or bounded")  # fmt: skip
        out.append(Finding(NAME, message, file, decl.line if decl.added else line.new, SYMPTOMS,
                           strength))  # fmt: skip
    return out


def _declarations(
    language: str, lines: list[diff.DiffLine], patch: str, headings: list[str]
) -> list[Declaration]:
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
        if found is None and language == "java":
            found = _FIELD.search(d.text)
        if found is None:
            continue
        name = found.group("name")
        where = _scope(language, lines, i, in_var_block, singleton and "static" not in d.text)
        why = ""
        if where is None and language == "java" and "static" not in d.text:
            why = _long_lived(name, lines, i, headings, patch) or ""
            where = "class field" if why else None
        if where:
            indent = 0 if language == "go" else _indent(d.text)  # a `var (` block is top level
            out.append(Declaration(name, i, d.new, indent, d.sign == "+", where, why))
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
        if d.hunk != lines[index].hunk:
            return None
        if d.sign != "-" and d.text.strip() and _indent(d.text) < indent:
            return d.text
    return None


def _headings(patch: str) -> list[str]:
    """The text after each hunk's `@@ ... @@` (git's guess at the enclosing definition)."""
    return [m.group("heading") for raw in patch.splitlines() for m in [_HEADING.match(raw)] if m]


def _owner(lines: list[diff.DiffLine], index: int, headings: list[str]) -> str:
    """The header of the block that encloses line `index`, with the parameters of a header
    spread over several lines (`class C(` ... `) {`); the hunk's heading when the header is
    above the hunk."""
    indent = _indent(lines[index].text)
    heading = headings[lines[index].hunk] if lines[index].hunk < len(headings) else ""
    for j in range(index - 1, -1, -1):
        d = lines[j]
        if d.hunk != lines[index].hunk:  # an earlier hunk: the lines between are not shown
            break
        if d.sign == "-" or not d.text.strip() or _indent(d.text) >= indent:
            continue
        if d.text.strip() == "{":  # a brace on its own line (C#, Allman style): the line above
            above = [e for e in lines[:j] if e.sign != "-" and e.text.strip()]
            return above[-1].text if above else heading
        if not _CLOSER.match(d.text):
            return d.text
        params: list[str] = []
        for e in reversed(lines[:j]):
            if e.sign == "-" or not e.text.strip():
                continue
            if _indent(e.text) <= _indent(d.text) and not e.text.lstrip().startswith("@"):
                return " ".join([e.text, *reversed(params)])
            params.append(e.text)
        return " ".join([heading, *reversed(params)])
    return heading if indent > 0 else ""


def _long_lived(
    name: str, lines: list[diff.DiffLine], index: int, headings: list[str], patch: str
) -> str | None:
    """Why a field of a class outlives a request (None when nothing shows it does)."""
    owner = _owner(lines, index, headings)
    cls = _CLASS.search(owner)
    if cls is None or _VALUE_CLASS.search(owner):
        return None
    of = f" of `{cls.group('name')}`"
    if _SHARED.search(lines[index].text):
        return f"{of} (a concurrent collection: the instance is shared across threads)"
    gauge = re.compile(rf"gauge\w*\s*\(.*(?<![\w.\"]){re.escape(name)}\b", re.I)
    if any(d.sign != "-" and name in d.text and gauge.search(d.text) for d in lines):
        return f"{of} (registered with a metrics gauge, which watches it but does not bound it)"
    if _INJECTED.search(owner) or _INJECTED.search(patch):
        return f"{of} (built by dependency injection)"
    collaborators = [t for m in _TYPES.finditer(owner.split("(", 1)[1] if "(" in owner else "")
                     for t in [m.group("a") or m.group("b")] if _COLLABORATOR.match(t)]  # fmt: skip
    if collaborators:
        return f"{of} (constructed once with injected {', '.join(collaborators[:2])})"
    return None


def _params(lines: list[diff.DiffLine], index: int, headings: list[str]) -> set[str]:
    """The parameter names of the function that line `index` is in (or starts)."""
    indent = _indent(lines[index].text)
    header = None
    for j in range(index, -1, -1):
        d = lines[j]
        if d.sign == "-" or not d.text.strip() or (j < index and _indent(d.text) >= indent):
            continue
        if _FUNCTION.match(d.text):
            header = " ".join(x.text for x in lines[j : j + 5] if x.sign != "-")
            break
        if j < index:
            indent = _indent(d.text)
    if header is None:
        hunk = lines[index].hunk
        header = headings[hunk] if hunk < len(headings) else ""
    found = re.search(r"\(([^)]*)\)", header)
    if not found:
        return set()
    names = set(re.findall(r"\b[a-z_]\w*\b", found.group(1)))
    return names - {"self", "cls", "this", "val", "var", "final", "const", "in", "out", "ref",
                    "string", "int", "bool", "float", "any", "object", "number"}  # fmt: skip


def _from_params(how: str, params: set[str]) -> bool:
    """A key computed by a call from the writing function's parameters (`Key.of(q)`): one
    entry per distinct call. (A parameter used as the key itself may be a registry's name.)"""
    key = re.search(r"`(.+\(.*)`", how)
    return key is not None and bool(params & set(re.findall(r"\b\w+\b", key.group(1))))


def _first_argument(text: str, start: int) -> str:
    """The first argument of the call whose `(` ends at `start` (nested calls kept whole)."""
    depth = 0
    for i in range(start, len(text)):
        char = text[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return text[start:i]
            depth -= 1
        elif char == "," and depth == 0:
            return text[start:i]
    return text[start:]


def _shadowed(name: str, kept: list[diff.DiffLine], patch: str) -> bool:
    """A local of the same name is bound inside a function (the writes are to that local)."""
    n = re.escape(name)
    local = re.compile(rf"^\s+(?:(?:const|let|var|val)\s+{n}\b|{n}\s*(?::[^=]+)?=(?!=)|{n}\s*:=)")
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
        key = _first_argument(text, keyed.end()).strip()
        if not key:
            return None
        return None if _literal(key) else f"written with key `{key}`"
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
