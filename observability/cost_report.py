"""Tokens and cost per node and model over incidents, and what routing to the small model
saved against every call on the large one: `graph cost` and the web console's overview."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.state import NodeUsage
from observability.pricing import Pricing

CLAIMED_SAVING = 0.96  # what the product we compete with says routing saves


@dataclass(frozen=True)
class Line:
    """One node's model calls in one incident."""

    scenario: str  # or an incident id
    node: str
    model: str
    input_tokens: int
    output_tokens: int


def usage_lines(scenario: str, usage: Iterable[NodeUsage]) -> list[Line]:
    """The nodes that called a model; the others cost nothing here."""
    return [
        Line(scenario, u.node, u.model, u.input_tokens, u.output_tokens)
        for u in usage
        if u.model is not None
    ]


def build(lines: list[Line], pricing: Pricing, large: str) -> dict[str, Any]:
    actual = sum(_cost(pricing, line.model, line) for line in lines)
    all_large = sum(_cost(pricing, large, line) for line in lines)
    incidents = sorted({line.scenario for line in lines})
    return {
        "pricing_file": str(pricing.path),
        "large_model": large,
        "rows": rows(lines, pricing),
        "incidents": [_incident(name, lines, pricing, large) for name in incidents],
        "total": {
            "input_tokens": sum(line.input_tokens for line in lines),
            "output_tokens": sum(line.output_tokens for line in lines),
            "cost_usd": round(actual, 9),
            "all_large_usd": round(all_large, 9),
        },
        "saving": round(1 - actual / all_large, 4) if all_large else None,
        "claimed_saving": CLAIMED_SAVING,
    }


def rows(lines: list[Line], pricing: Pricing) -> list[dict[str, Any]]:
    """Tokens and cost per node and model, summed over the incidents."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        sums[(line.node, line.model)][0] += line.input_tokens
        sums[(line.node, line.model)][1] += line.output_tokens
    return [
        {"node": node, "model": model, "input_tokens": i, "output_tokens": o,
         "cost_usd": round(pricing.cost(model, i, o), 9), "priced_by": pricing.priced_by(model)}
        for (node, model), (i, o) in sums.items()
    ]  # fmt: skip


def _incident(name: str, lines: list[Line], pricing: Pricing, large: str) -> dict[str, Any]:
    mine = [line for line in lines if line.scenario == name]
    return {
        "scenario": name,
        "cost_usd": round(sum(_cost(pricing, line.model, line) for line in mine), 9),
        "all_large_usd": round(sum(_cost(pricing, large, line) for line in mine), 9),
    }


def _cost(pricing: Pricing, model: str, line: Line) -> float:
    return pricing.cost(model, line.input_tokens, line.output_tokens)
