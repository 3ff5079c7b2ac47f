"""Change-risk detectors: each module looks at one change's typed facts (`ChangeFacts`) for
one pattern that commonly causes incidents, and says where and which symptoms it would show
as. A hit is one signal among several: the ranking weighs it by how well those symptoms
fit the incident (`agents.root_cause.symptoms.fit`), never as a winner by itself.

A detector is a module here with a docstring (what it catches, what it ignores), `NAME`,
and `detect(change: ChangeFacts) -> list[Finding]`; it is found automatically. Add one with
tests on patches written for the test, at least three that hit and three that do not
(docs/diagnosis.md, "Adding a detector").
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from types import ModuleType

from agents.root_cause.facts.types import ChangeFacts, Finding

Detector = Callable[[ChangeFacts], list[Finding]]


@cache
def modules() -> tuple[ModuleType, ...]:
    found = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return tuple(sorted((m for m in found if hasattr(m, "detect")), key=lambda m: m.NAME))


def detect(change: ChangeFacts) -> list[Finding]:
    """Every detector's findings on one change, strongest first."""
    found = [f for module in modules() for f in module.detect(change)]
    return sorted(found, key=lambda f: -f.strength)
