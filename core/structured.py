"""Typed answers from a model: the record of one structured call, the error when a model
gave no valid answer twice, and schemas whose string field must be one of a few options.

Pure types: the calls themselves are made by the runtime (`runtime.models.structured`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, create_model, field_validator

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Structured(Generic[T]):
    value: T
    input_tokens: int
    output_tokens: int
    attempts: int
    duration_s: float
    model: str


class StructuredOutputError(Exception):
    """Both attempts gave output that is not valid JSON for the schema."""

    def __init__(
        self,
        message: str,
        *,
        raw_outputs: tuple[str, ...],
        errors: tuple[str, ...],
        input_tokens: int,
        output_tokens: int,
        duration_s: float,
        model: str,
    ) -> None:
        super().__init__(message)
        self.raw_outputs = raw_outputs
        self.errors = errors
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.attempts = len(raw_outputs)
        self.duration_s = duration_s
        self.model = model


def one_of(base: type[T], field: str, options: Sequence[str], many: bool = False) -> type[T]:
    """`base` whose string `field` (or, with `many`, each item of its list, at most four)
    must be one of `options`: an enum in the JSON schema the model is constrained by, and
    checked again when the answer is validated."""
    allowed = list(options)

    def check(value: Any) -> Any:
        values = value if many else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(f"{field} must be one of {allowed}; got {bad}")
        return value

    enum: Any = {"enum": list[Any](allowed)}
    extra: Any = {"items": enum} if many else enum
    spec: Any = (
        (list[str], Field(default_factory=list, max_length=4, json_schema_extra=extra))
        if many
        else (str, Field(json_schema_extra=extra))
    )
    return create_model(
        base.__name__,
        __base__=base,
        **{field: spec},
        __validators__={f"_{field}_one_of": field_validator(field)(check)},
    )
