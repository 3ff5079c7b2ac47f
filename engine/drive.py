"""Drive the graph to its end or to an approval nobody can answer, reporting each node."""

from __future__ import annotations

from typing import Any

from langgraph.types import Command

from core.context import Context
from engine.options import RunOptions
from graphs.graph import Graph


async def drive(
    graph: Graph, first: Any, config: Any, context: Context, options: RunOptions
) -> bool:
    """Run until the graph ends; True when it stopped at an approval nobody could answer."""
    command: Any = first
    while True:
        pending = []
        async for chunk in graph.astream(
            command, config, context=context, stream_mode="updates", durability="sync"
        ):
            for node, update in chunk.items():
                if node == "__interrupt__":
                    pending.extend(update)
                    continue
                options.progress(describe(node, update))
                if options.observe is not None:
                    options.observe(node, update)
        if not pending:
            return False
        if options.ask is None:
            return True
        command = Command(resume={i.id: options.ask(i.value) for i in pending})


def describe(node: str, update: Any) -> str:
    usage = (update or {}).get("usage") or []
    if not usage:
        return f"✓ {node}"
    u = usage[-1]
    model = f", {u.model} {u.input_tokens}+{u.output_tokens} tokens" if u.model else ""
    return f"✓ {node} {u.duration_s:.1f}s{model}"
