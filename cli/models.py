"""`graph models [--fetch NAME|all] [--check] [--json]`: the configured models and their weights."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_ollama import ChatOllama

from cli.errors import EXIT_FAILED, EXIT_OK, CliError
from finetune.registry import tuned_models
from runtime.models.catalog import CATALOG, UnknownModelError, get_spec
from runtime.models.embedded import EmbeddedChatModel
from runtime.models.factory import (
    Role,
    get_chat_model,
    is_gguf_path,
    ollama_model_name,
    resolve_provider,
    role_model_name,
)
from runtime.models.ollama import close_ollama, ollama_models
from runtime.models.weights import WeightsError, ensure_weights, weights_state
from runtime.settings import Settings

ROLES: tuple[Role, ...] = ("small", "large")


@dataclass
class Row:
    role: str
    provider: str
    name: str
    weights: str
    size_bytes: int | None
    present: bool | None
    verified: bool | None
    check: dict[str, Any] | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fetch", metavar="NAME|all", help="download, join and verify a catalog model's weights"
    )
    parser.add_argument("--check", action="store_true", help="load each model, time one token")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.fetch:
            _fetch(args.fetch, settings)
        rows = [_row(role, settings) for role in ROLES]
        if args.check:
            for row in rows:
                row.check = _check(row, settings)
    except (WeightsError, UnknownModelError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from exc
    print(_as_json(rows, settings) if args.json else _as_table(rows, settings))
    failed = any(row.check and not row.check["ok"] for row in rows)
    return EXIT_FAILED if failed else EXIT_OK


def _fetch(which: str, settings: Settings) -> None:
    names = sorted(CATALOG) if which == "all" else [get_spec(which).name]
    for name in names:
        ensure_weights(name, models_dir=settings.models_dir, progress=_progress)
        _progress(f"{name}: ready")


def _row(role: Role, settings: Settings) -> Row:
    name = role_model_name(role, settings)
    provider = resolve_provider(settings)
    if provider == "ollama":
        served = ollama_model_name(name, settings)
        where = f"served by Ollama at {settings.ollama_host}"
        return Row(role, provider, served, where, None, None, None)
    if is_gguf_path(name):
        path = Path(name).expanduser()
        size = path.stat().st_size if path.is_file() else None
        return Row(role, provider, name, str(path), size, path.is_file(), None)
    state = weights_state(get_spec(name), settings.models_dir)
    return Row(role, provider, name, str(state.path), state.size, state.present, state.verified)


def _check(row: Row, settings: Settings) -> dict[str, Any]:
    """Load the model (verifying its weights) and time a one-token generation."""
    if row.provider == "ollama":
        return _check_ollama(row, settings)
    started = time.perf_counter()
    model = get_chat_model(role_model_name(_role(row), settings), settings, fetch=False)
    if not isinstance(model, EmbeddedChatModel):
        raise TypeError(f"expected the embedded model, got {type(model).__name__}")
    if not is_gguf_path(row.name):
        row.verified = True  # get_chat_model raised WeightsError otherwise
    model.load()
    loaded = time.perf_counter()
    model.invoke([HumanMessage(content="Say OK.")], max_tokens=1)
    done = time.perf_counter()
    return {
        "ok": True,
        "load_s": round(loaded - started, 3),
        "one_token_s": round(done - loaded, 3),
    }


def _check_ollama(row: Row, settings: Settings) -> dict[str, Any]:
    host = settings.ollama_host or ""
    started = time.perf_counter()
    try:
        available = ollama_models(host)
        if row.name not in available and f"{row.name}:latest" not in available:
            return {"ok": False, "error": f"{row.name} is not on {host} (it has {available})"}
        model = get_chat_model(role_model_name(_role(row), settings), settings)
        if not isinstance(model, ChatOllama):
            raise TypeError(f"expected ChatOllama, got {type(model).__name__}")
        listed = time.perf_counter()
        try:
            model.model_copy(update={"num_predict": 1}).invoke([HumanMessage(content="Say OK.")])
        finally:
            close_ollama(model)
    except Exception as exc:  # reported in the listing and the exit status, not swallowed
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    done = time.perf_counter()
    return {
        "ok": True,
        "load_s": round(listed - started, 3),
        "one_token_s": round(done - listed, 3),
    }


def _role(row: Row) -> Role:
    return "small" if row.role == "small" else "large"


def _as_json(rows: list[Row], settings: Settings) -> str:
    catalog = [
        {"name": spec.name, "sha256": spec.sha256, "size_bytes": spec.size}
        | {"present": state.present, "verified": state.verified, "path": str(state.path)}
        for spec in CATALOG.values()
        for state in [weights_state(spec, settings.models_dir)]
    ]
    tuned = [
        {"name": m.name, "path": str(m.path), "size_bytes": m.size, "base": m.base,
         "created": m.created, "modelfile": str(m.modelfile) if m.modelfile else None}
        for m in tuned_models(settings.models_dir)
    ]  # fmt: skip
    return json.dumps(
        {"configured": [asdict(r) for r in rows], "catalog": catalog, "tuned": tuned}, indent=2
    )


def _as_table(rows: list[Row], settings: Settings) -> str:
    lines = [f"{'ROLE':<6} {'PROVIDER':<9} {'MODEL':<20} {'SIZE':>8}  {'STATE':<22} WEIGHTS"]
    for row in rows:
        lines.append(
            f"{row.role:<6} {row.provider:<9} {row.name:<20} {_size(row.size_bytes):>8}  "
            f"{_state(row):<22} {row.weights}"
        )
        if row.check:
            lines.append(f"{'':<6} check: {_check_text(row.check)}")
    fetched = [
        spec.name for spec in CATALOG.values() if weights_state(spec, settings.models_dir).present
    ]
    lines.append(f"catalog: {', '.join(CATALOG)}; on disk: {', '.join(fetched) or 'none'}")
    lines.append(f"weights folder: {settings.models_dir} (fetch with `graph models --fetch NAME`)")
    for m in tuned_models(settings.models_dir):  # `graph finetune export` (docs/finetune.md)
        lines.append(f"tuned: {m.name} (from {m.base}, {m.created}, {_size(m.size)}) {m.path}")
    return "\n".join(lines)


def _size(size: int | None) -> str:
    return "-" if size is None else f"{size / 1_000_000:.0f} MB"


def _state(row: Row) -> str:
    if row.provider == "ollama":
        return "on the Ollama server"
    if not row.present:
        return "missing"
    if is_gguf_path(row.name):
        return "present (custom file)"
    return {True: "verified", False: "HASH MISMATCH", None: "present, not verified"}[row.verified]


def _check_text(check: dict[str, Any]) -> str:
    if not check["ok"]:
        return f"FAILED: {check['error']}"
    return f"loads in {check['load_s']:.2f}s, one token in {check['one_token_s']:.2f}s"


def _progress(text: str) -> None:
    print(f"· {text}", file=sys.stderr, flush=True)
