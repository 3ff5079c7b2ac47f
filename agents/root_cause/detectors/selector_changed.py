"""A label selector changed in a manifest or chart: a Service, Deployment, PodDisruptionBudget,
NetworkPolicy or monitor now selects pods by other labels.

What it breaks: a Service whose selector matches no running pod has no endpoints (every
request fails: `no healthy upstream`, 503, connection refused); a Deployment's `spec.selector`
cannot be changed in place (the apply fails as immutable and the old pods stay, with the old
labels, while the objects beside it moved on); a NetworkPolicy's `podSelector` that no longer
matches lets through or blocks other traffic.

Catches lines removed or added under a `selector`, `matchLabels` or `podSelector` key (YAML
manifests and Helm templates, including a selector that now comes from a template helper),
where what the selector says before and after differs.

Ignores labels changed only in `metadata.labels` (nothing selects by them through this
change), a selector written again identically (reindented, reordered), comments, docs and
tests, and files that are not manifests or charts.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.facts import diff
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "selector_changed"
SYMPTOMS = ("availability", "errors", "connections")

_SELECTOR = re.compile(r"^(selector|matchLabels|podSelector|match_labels)$")
_OPENS = re.compile(r"^\s*(?:-\s+)?(selector|matchLabels|podSelector)\s*:\s*(?P<rest>\S.*)?$")
_COMMENT = re.compile(r"^\s*(#|//|\{\{-?\s*/\*)")
_MANIFEST = re.compile(r"\.(ya?ml|tpl|json)$|(^|/)(templates|charts?|k8s|manifests?|deploy)/")


def detect(change: ChangeFacts) -> list[Finding]:
    found: list[Finding] = []
    for file, patch in change.patches.items():
        if kinds.file_kind(file, patch) == "docs_tests" or not _MANIFEST.search(file):
            continue
        lines = [d for d in diff.parse(patch) if d.text.strip() and not _COMMENT.match(d.text)]
        old = [t for d in lines if d.sign == "-" and _in_selector(d) if (t := _said(d.text))]
        new = [t for d in lines if d.sign == "+" and _in_selector(d) if (t := _said(d.text))]
        if not old and not new or sorted(old) == sorted(new):
            continue
        first = next(d.new or d.old for d in lines if d.sign in "+-" and _in_selector(d))
        before, after = "; ".join(old) or "∅", "; ".join(new) or "∅"
        found.append(
            Finding(
                NAME,
                f"label selector changed: `{_cut(before)}` → `{_cut(after)}`: pods still "
                "labelled the old way are no longer selected (a Service without endpoints; a "
                "Deployment's selector cannot change in place)",
                file,
                first,
                SYMPTOMS,
                strength=0.55,
            )
        )
    return found


def _in_selector(d: diff.DiffLine) -> bool:
    """Whether the line sits under a selector key, or opens one with its value inline."""
    return any(_SELECTOR.match(k) for k in d.path) or bool(
        (m := _OPENS.match(d.text)) and m["rest"]
    )


def _said(text: str) -> str:
    """A selector line's labels; a template helper by its name (`{{ include "x.labels" . }}`
    is `x.labels`)."""
    said = _INCLUDE.sub(lambda m: m[1], _OPENS.sub(lambda m: m["rest"] or "", text))
    return " ".join(said.split()).rstrip(":").strip()


_INCLUDE = re.compile(r"\{\{-?\s*(?:include|template)\s+\"([^\"]+)\".*?-?\}\}")


def _cut(text: str) -> str:
    """Short enough to be quoted whole where the model reads it."""
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


SHOWN = 46
