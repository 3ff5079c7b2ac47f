"""A run's options: approvals, models (by name, or injected chat models), progress lines and
an observer of every node's update."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from core.context import Approvals
from core.state import Role
from runtime.settings import Settings

Ask = Callable[[dict[str, Any]], dict[str, Any]]


def quiet(_line: str) -> None:
    return None


@dataclass(frozen=True)
class RunOptions:
    approvals: Approvals = "deny"
    approver: str = ""
    model_small: str = ""
    model_large: str = ""
    resume: str | None = None
    ask: Ask | None = None
    progress: Callable[[str], None] = quiet
    observe: Callable[[str, Any], None] | None = None  # every node's state update, as it lands
    chat_models: Mapping[str, BaseChatModel] = field(default_factory=dict)  # by name, injected


def model_names(settings: Settings, options: RunOptions) -> dict[Role, str]:
    return {
        "small": options.model_small or settings.model_small,
        "large": options.model_large or settings.model_large,
    }
