"""Render an agent's `prompt.md.j2` with StrictUndefined: a missing variable is an error."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

_AGENTS = Path(__file__).resolve().parent


@cache
def _template(agent: str, name: str) -> Template:
    env = Environment(
        loader=FileSystemLoader(_AGENTS / agent),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(name)


def render(agent: str, values: dict[str, Any], name: str = "prompt.md.j2") -> str:
    return _template(agent, name).render(**values)


def quote(text: str, limit: int) -> str:
    """Untrusted text, cut to `limit` characters and fenced so it reads as data."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return "<<<\n" + cut.replace("<<<", "‹‹‹").replace(">>>", "›››") + "\n>>>"
