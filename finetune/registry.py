"""Tuned models on disk: `<models dir>/tuned/<name>.gguf` with `<name>.json` beside it.

`graph finetune export` writes them and `graph models` lists them (an export to another
folder with `--out-dir` writes the same files there, unlisted). A tuned model is used by
its path, like any GGUF: `graph run --scenario X --model-small <path>` or
`INCIDENT_GRAPH_MODEL_SMALL=<path>`. This module reads JSON only (no torch), so listing is
cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FOLDER = "tuned"


@dataclass(frozen=True)
class TunedModel:
    name: str
    path: Path
    size: int | None
    base: str
    created: str
    modelfile: Path | None
    info: dict[str, Any]


def folder(models_dir: Path) -> Path:
    return models_dir / FOLDER


def tuned_models(models_dir: Path) -> list[TunedModel]:
    """Every registered tuned model, newest first (an unreadable entry is listed as such)."""
    out = []
    for entry in sorted(folder(models_dir).glob("*.json")):
        try:
            info = json.loads(entry.read_text())
            path = Path(info["gguf"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            info, path = {"error": f"{entry}: {exc}"}, entry.with_suffix(".gguf")
        modelfile = path.with_suffix(".Modelfile")
        out.append(
            TunedModel(
                name=entry.stem,
                path=path,
                size=path.stat().st_size if path.is_file() else None,
                base=str(info.get("base", {}).get("name", "?")),
                created=str(info.get("created", "?")),
                modelfile=modelfile if modelfile.is_file() else None,
                info=info,
            )
        )
    return sorted(out, key=lambda m: m.created, reverse=True)


def register(target_dir: Path, name: str, info: dict[str, Any]) -> Path:
    """`<name>.json` beside the GGUF; listed by `graph models` when that is the models folder."""
    path = target_dir / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=1))
    return path
