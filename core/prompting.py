"""Render a prompt template (Jinja, StrictUndefined: a missing variable is an error), and
fence untrusted text so a model reads it as data."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template


@cache
def _template(path: Path) -> Template:
    env = Environment(
        loader=FileSystemLoader(path.parent),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(path.name)


def render(template: Path, values: dict[str, Any]) -> str:
    """`template` (a `.j2` file beside the module that owns it) filled with `values`."""
    return _template(template.resolve()).render(**values)


def quote(text: str, limit: int) -> str:
    """Untrusted text, cut to `limit` characters and fenced so it reads as data."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return "<<<\n" + cut.replace("<<<", "‹‹‹").replace(">>>", "›››") + "\n>>>"
