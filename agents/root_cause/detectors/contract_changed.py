"""A field of what a service returns or accepts removed, renamed or retyped: the callers that
parse or validate the old shape (`unit_price_cents` as a number) fail on the new one
(`unit_price: {amount_minor, currency}`), though the change is "only" a DTO or a schema.

Catches, in files that define an API's payloads or the events a service publishes (paths with
`dto`, `schema`, `serializer`, `response`, `request`, `contract`, `payload`, `api/model`,
`events`, `messages`, `avro`, `*Dto`, `*Response`, `*Request`, `*Event`, `*Message`, `.proto`,
`.avsc`, GraphQL SDL), a field declaration removed with no added declaration of the same
name and type in that file: record components and fields (`long unitPriceCents,`), `name:
Type` members (TypeScript, Kotlin, Python, Zod, pydantic), Go struct fields (named by their
`json` tag), Protocol Buffers fields (`int64 unit_price_cents = 3;`) and serializer fields
(`unit_price = serializers.IntegerField()`). A field whose type changed is as breaking as a
removed one. Strong (0.6) for a removed or retyped field.

Ignores fields only added (backward compatible), a declaration moved or reformatted with the
same name and type, names compared without case or underscores (`unit_price` is `unitPrice`
under a naming strategy), files outside an API's payload definitions (a local variable
renamed in a service class is no contract), comments, docs and tests.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "contract_changed"
SYMPTOMS = ("contract", "errors", "availability", "data")

_PAYLOAD_PATH = re.compile(
    r"(^|/)(dtos?|schemas?|serializers?|responses?|requests?|contracts?|payloads?|"
    r"api/models?|models/api|openapi|graphql|events?|messages?|avro)(/|\.|_|$)|"
    r"(Dto|DTO|Response|Request|Payload|Schema|Serializer|Event|Message)s?\.\w+$|"
    r"\.(proto|graphqls?|gql|avsc)$",
)
_COMMENT = re.compile(r"^\s*(//|#|/\*|\*|--|<!--)")
_FIELDS = (
    # Protocol Buffers: `repeated int64 unit_price_cents = 3;`
    re.compile(
        r"^\s*(?:repeated\s+|optional\s+)?(?P<type>[\w.]+)\s+(?P<name>\w+)\s*=\s*\d+\s*[;\[]"
    ),
    # Go struct field with its json tag: `UnitPrice int64 `json:"unit_price"``
    re.compile(r"^\s*\w+\s+(?P<type>[\w.\[\]*]+)\s+`[^`]*json:\"(?P<name>[\w-]+)"),
    # serializer fields: `unit_price = serializers.IntegerField(...)`, `fields.Int()`
    re.compile(r"^\s*(?P<name>\w+)\s*=\s*(?:serializers|fields|ma\.fields)\.(?P<type>\w+)\("),
    # `name: Type` (TypeScript, Kotlin, Python annotations, Zod, GraphQL)
    re.compile(
        r"^\s*(?:(?:readonly|public|private|val|var|export)\s+)*(?P<name>\w+)\??\s*:\s*"
        r"(?P<type>\{[^}]*\}|[\w.\[\]<>|!? ]+?(?:\([^)]*\))?)\s*[,;=]?\s*(?://.*|#.*)?$"
    ),
    # Java/C# fields and record components: `private final long unitPriceCents;`, `long x,`
    re.compile(
        r"^\s*(?:(?:public|private|protected|final|static|readonly|required)\s+)*"
        r"(?P<type>[A-Za-z_][\w.]*(?:<[^>]*>)?(?:\[\])?\??)\s+(?P<name>[a-z_]\w*)\s*(?:[,;)]|$)"
    ),
)
_NOT_TYPES = frozenset({"return", "import", "package", "new", "throw", "else", "case", "yield",
                        "await", "def", "class", "interface", "type", "enum", "message",
                        "service", "rpc", "option", "syntax", "if", "for", "while"})  # fmt: skip


Declared = tuple[str, str, int | None]  # name as written, type, line


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if not _PAYLOAD_PATH.search(file) or kinds.file_kind(file, patch) == "docs_tests":
            continue
        removed: dict[str, Declared] = {}
        added: dict[str, Declared] = {}
        for d in diff.parse(patch):
            if d.sign == " " or _COMMENT.match(d.text):
                continue
            field = _field(d.text)
            if field is None:
                continue
            name, kind = field
            if d.sign == "-":
                removed.setdefault(_norm(name), (name, kind, d.old))
            else:
                added.setdefault(_norm(name), (name, kind, d.new))
        broken = [(key, value) for key, value in removed.items()
                  if key not in added or _norm(added[key][1]) != _norm(value[1])]  # fmt: skip
        if not broken:
            continue
        found.append(_finding(file, broken, added))
    return found


def _field(text: str) -> tuple[str, str] | None:
    for pattern in _FIELDS:
        match = pattern.match(text)
        if match and match["type"].strip() not in _NOT_TYPES and match["name"] not in _NOT_TYPES:
            return match["name"], " ".join(match["type"].split())
    return None


def _finding(file: str, broken: list[tuple[str, Declared]], added: dict[str, Declared]) -> Finding:
    key, (name, kind, _) = broken[0]
    gone = {k for k, _ in broken}
    if key in added:
        what = f"`{name}` changed type: {kind} → {added[key][1]}"
    else:
        instead = [f"`{n}` ({t})" for k, (n, t, _) in added.items() if k not in gone][:2]
        what = f"`{name}` ({kind}) removed" + (f", {' and '.join(instead)} added" * bool(instead))
    more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
    lines = [v[2] for k, v in added.items() if v[2] is not None and (k == key or k not in gone)]
    line = lines[0] if lines else None
    message = (f"a field of the payload it defines is gone or retyped: {what}{more}; callers that "
               "parse or validate the old shape fail on the new one")  # fmt: skip
    return Finding(NAME, message, file, line, SYMPTOMS, 0.6)


def _norm(name: str) -> str:
    return re.sub(r"[_\-\s]", "", name).lower()
