"""Where a value sits in a YAML document: the line an error message names."""

from __future__ import annotations

from typing import Any

import yaml


def line_of(node: yaml.Node, loc: list[Any] | tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node along `loc` that exists in the document."""
    current = node
    for part in loc:
        child = _child(current, part)
        if child is None:
            break
        current = child
    return current.start_mark.line + 1


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                found: yaml.Node = value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item
    return None
