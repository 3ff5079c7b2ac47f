"""Access narrowed: a change that takes away permissions a workload may still use, so that its
calls are denied (AccessDenied, 403, `forbidden: … cannot list resource`).

Catches, comparing what the old and the new side of each file grant:
- cloud IAM policy actions removed (`s3:DeleteObject` gone) or a wildcard replaced by a list
  (`s3:*` → `s3:PutObject`, `s3:GetObject`), in HCL, JSON or YAML policy documents;
- resources narrowed in a file that grants actions or verbs (`bucket/*` → `bucket/exports/*`,
  an ARN no longer listed and not covered by a wildcard that stays);
- Kubernetes RBAC verbs removed from a Role's rules (`["get", "list", "watch"]` → `["get"]`);
- an explicit Deny statement added;
- SQL `REVOKE` statements added.

Ignores widening (actions, resources or verbs added, a list reordered or reformatted), container
`resources:` (limits and requests: no actions or verbs in the file), image references and
condition keys (`nginx:latest`, `s3:prefix`: an action is `service:PascalCase`), comments, docs
and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.root_cause import kinds
from agents.root_cause.detectors._lines import COMMENT
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "permissions_narrowed"
SYMPTOMS = ("auth", "errors", "availability")

_ACTION = re.compile(r"[\"'](?P<a>[a-z][a-z0-9-]{1,30}:(?:\*|[A-Z][A-Za-z0-9]*\*?))[\"']")
_STAR_ACTION = re.compile(r"\b(?:actions|Action|NotAction)\b[\"']?\s*[:=]\s*\[?\s*[\"']\*[\"']")
_RESOURCES = re.compile(r"\b(?:resources|Resource|NotResource)\b[\"']?\s*[:=]\s*(?P<rest>.*)$")
_VERBS = re.compile(r"\bverbs\b[\"']?\s*[:=]\s*(?P<rest>.*)$")
_LIST_ITEM = re.compile(r"^\s*-\s+[\"']?(?P<v>[\w*]+)[\"']?\s*$")
_QUOTED = re.compile(r"[\"'](?P<v>[^\"']+)[\"']")
_BARE_REF = re.compile(r"(?<![\w.${\"'/:-])(?P<v>[a-z_][\w-]*(?:\.[\w-]+)+)(?![\w\"'}/])")
_DENY = re.compile(r"\b(?:effect|Effect)\b[\"']?\s*[:=]\s*[\"']?Deny\b")
_REVOKE = re.compile(r"^\s*REVOKE\s+(?P<what>.+?)\s*;?\s*$", re.I)
SHOWN = 2  # items named per part of the message


@dataclass
class _Grants:
    actions: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)  # the actions in the order written
    resources: set[str] = field(default_factory=set)
    verbs: set[str] = field(default_factory=set)
    denies: int = 0


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if kinds.file_kind(file, patch) == "docs_tests":
            continue
        lines = [d for d in diff.parse(patch) if not COMMENT.match(d.text)]
        old = _grants([d.text for d in lines if d.sign != "+"])
        new = _grants([d.text for d in lines if d.sign != "-"])
        parts = _narrowed(old, new)
        revokes = [m["what"] for d in lines if d.sign == "+" and (m := _REVOKE.match(d.text))]
        parts += [f"REVOKE {what}" for what in revokes[:SHOWN]]
        if not parts:
            continue
        first = next((d.new or d.old for d in lines if d.sign in "+-"), None)
        found.append(
            Finding(
                NAME,
                f"access narrowed: {'; '.join(parts)}: calls outside what it still grants "
                "are denied",
                file,
                first,
                SYMPTOMS,
                strength=0.6,
            )
        )
    return found


def _grants(lines: list[str]) -> _Grants:
    """What one side of a file grants: actions, resources (only where actions or verbs are
    granted), RBAC verbs, explicit denies."""
    out = _Grants()
    context = ""  # the list a line continues: "resources" or "verbs"
    resources: set[str] = set()
    for text in lines:
        written = [m["a"] for m in _ACTION.finditer(text)]
        out.order += [a for a in written if a not in out.actions]
        out.actions.update(written)
        if _STAR_ACTION.search(text):
            out.actions.add("*")
        out.denies += bool(_DENY.search(text))
        opened = _RESOURCES.search(text) or _VERBS.search(text)
        if opened:
            context = "verbs" if opened.re is _VERBS else "resources"
            rest = opened["rest"]
            closed = "]" in rest or (rest.strip() and not rest.strip().startswith("["))
            _values(rest, context, resources, out.verbs)
            context = "" if closed else context
            continue
        if context:
            item = _LIST_ITEM.match(text)
            _values(item["v"] if item else text, context, resources, out.verbs)
            if "]" in text or (not item and not text.strip().startswith(("[", "\"", "'", "$"))
                               and not _BARE_REF.search(text)):  # fmt: skip
                context = ""
    if out.actions or out.verbs:
        out.resources = resources
    return out


def _values(text: str, context: str, resources: set[str], verbs: set[str]) -> None:
    found = [m["v"] for m in _QUOTED.finditer(text)] + [m["v"] for m in _BARE_REF.finditer(text)]
    if not found and context == "verbs":
        found = re.findall(r"[\w*]+", text.strip("[] "))
    (verbs if context == "verbs" else resources).update(v.strip() for v in found if v.strip())


def _narrowed(old: _Grants, new: _Grants) -> list[str]:
    parts: list[str] = []
    gone = {a for a in old.actions - new.actions if not _covered(a, new.actions)}
    if gone:
        wild = sorted(a for a in gone if a.endswith("*"))
        if wild and new.actions:
            now = [a for a in new.order if a not in old.actions] or new.order
            parts.append(f"actions {_names(wild)} → {_names(now)}")
        else:
            parts.append(f"actions {_names(sorted(gone))} removed")
    lost = sorted(r for r in old.resources - new.resources if not _covered(r, new.resources))
    if lost and (new.resources or new.actions or new.verbs):
        narrower = sorted(n for n in new.resources - old.resources
                          if any(_covered(n, {r}) for r in lost))  # fmt: skip
        parts.append(f"resources {_names(lost)} → {_names(narrower)}" if narrower
                     else f"resources {_names(lost)} no longer granted")  # fmt: skip
    verbs = sorted(old.verbs - new.verbs) if "*" not in new.verbs else []
    if verbs and new.verbs:
        parts.append(f"verbs {_names(verbs)} removed")
    if new.denies > old.denies:
        parts.append("an explicit Deny added")
    return parts


def _covered(item: str, grants: set[str]) -> bool:
    """Whether a grant that stays covers this one (`s3:*` covers `s3:GetObject`, `*` all)."""
    return any(g == item or g == "*" or (g.endswith("*") and item.startswith(g[:-1]))
               for g in grants)  # fmt: skip


def _names(items: list[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in items[:SHOWN])
    more = len(items) - SHOWN
    return f"{shown} (+{more})" if more > 0 else shown
