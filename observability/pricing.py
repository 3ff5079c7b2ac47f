"""What model calls cost in USD, from `observability/pricing.yaml` (settings: `pricing_file`).

A local model has no bill per token: it costs compute time. Each local entry gives the
machine's price (`usd_per_hour`) and the model's measured throughput on that machine
(`prompt_tokens_per_s`, `output_tokens_per_s`), so a call costs the machine-seconds it keeps
busy, which is an equivalent per-token price:

    usd per input token  = usd_per_hour / 3600 / prompt_tokens_per_s
    usd per output token = usd_per_hour / 3600 / output_tokens_per_s

The shipped file prices an AWS c7i.large (2 vCPU, on-demand) with the throughput measured in
docs/models.md. Idle time of an always-on machine is not attributed to incidents. A hosted
model gives `usd_per_1m_input_tokens` and `usd_per_1m_output_tokens` instead.

A model without an entry is priced by the file's `default` entry when there is one (the
shipped file has one: the large local model's price); without it, `UnknownModelError` names
the file and the models it prices. Every problem in the file is a `PricingError` naming the
file, the model and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError, model_validator

__all__ = ["Price", "Pricing", "PricingError", "UnknownModelError", "load_pricing"]

_COMPUTE = ("usd_per_hour", "prompt_tokens_per_s", "output_tokens_per_s")
_TOKENS = ("usd_per_1m_input_tokens", "usd_per_1m_output_tokens")


class PricingError(ValueError):
    """The pricing file is missing, not YAML, or has an invalid entry."""


class UnknownModelError(PricingError, LookupError):
    """A model has no entry and the file has no `default`."""


class Price(BaseModel):
    """One model's price: compute time on a machine, or a hosted per-token price."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usd_per_hour: PositiveFloat | None = None
    prompt_tokens_per_s: PositiveFloat | None = None
    output_tokens_per_s: PositiveFloat | None = None
    usd_per_1m_input_tokens: float | None = Field(default=None, ge=0)
    usd_per_1m_output_tokens: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_kind(self) -> Price:
        compute = [getattr(self, f) is not None for f in _COMPUTE]
        tokens = [getattr(self, f) is not None for f in _TOKENS]
        if any(compute) and any(tokens):
            raise ValueError(f"give either {', '.join(_COMPUTE)} or {', '.join(_TOKENS)}, not both")
        if all(compute) or all(tokens):
            return self
        given, wanted = (compute, _COMPUTE) if any(compute) else (tokens, _TOKENS)
        missing = [f for f, ok in zip(wanted, given, strict=True) if not ok] if any(given) else []
        raise ValueError(
            f"missing {', '.join(missing)}" if missing
            else f"give {', '.join(_COMPUTE)} (local) or {', '.join(_TOKENS)} (hosted)"
        )  # fmt: skip

    def per_token(self) -> tuple[float, float]:
        """USD per input token and per output token."""
        if self.usd_per_hour is not None:
            per_s = self.usd_per_hour / 3600
            assert self.prompt_tokens_per_s and self.output_tokens_per_s  # the validator's
            return per_s / self.prompt_tokens_per_s, per_s / self.output_tokens_per_s
        assert self.usd_per_1m_input_tokens is not None
        assert self.usd_per_1m_output_tokens is not None
        return self.usd_per_1m_input_tokens / 1e6, self.usd_per_1m_output_tokens / 1e6


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    models: dict[str, Price]
    default: Price | None = None


@dataclass(frozen=True)
class Pricing:
    path: Path
    models: dict[str, Price]
    default: Price | None = None

    def price(self, model: str) -> Price:
        if model in self.models:
            return self.models[model]
        if self.default is not None:
            return self.default
        known = ", ".join(sorted(self.models)) or "none"
        raise UnknownModelError(
            f"{self.path}: no price for model {model!r} and no `default` entry "
            f"(priced: {known}); add it under `models:`"
        )

    def priced_by(self, model: str) -> str:
        """The entry that prices `model`: its own name, or "default"."""
        self.price(model)
        return model if model in self.models else "default"

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """USD for one model's input and output tokens."""
        per_in, per_out = self.price(model).per_token()
        return input_tokens * per_in + output_tokens * per_out


def load_pricing(path: Path) -> Pricing:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PricingError(f"{path}: cannot read the pricing file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PricingError(f"{path}: not valid YAML: {exc}") from exc
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        raise PricingError(f"{path}: {_describe(exc)}") from exc
    return Pricing(path=path, models=parsed.models, default=parsed.default)


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())


def _where(loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "models":
        fields = ".".join(str(p) for p in loc[2:])
        return f"model {loc[1]!r}" + (f", field {fields}" if fields else "")
    return ".".join(str(p) for p in loc) or "the file"
