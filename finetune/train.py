"""`graph finetune train`: a LoRA on the train split, with a progress bar and checkpoints.

One optimizer step takes `batch_size` examples (one at a time, gradients accumulated: no
padding), AdamW, linear warm-up then linear decay, gradient norm clipped at 1. The loss is on
the answer tokens only. At the end `DIR/adapter/` holds the LoRA (peft format) and
`DIR/finetune.json` what was trained on what, how long it took and the loss curve; `graph
finetune export DIR` turns that into a GGUF.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finetune import backends, checkpoints
from finetune.backends import BackendName, Lora
from finetune.base import BaseModel, resolve
from finetune.encode import Encoded, encode_all
from finetune.errors import FinetuneError
from finetune.examples import TASKS, Example, file_sha256, read
from runtime.settings import Settings

MANIFEST = "finetune.json"


class TrainError(FinetuneError):
    pass


@dataclass(frozen=True)
class TrainConfig:
    base: str
    data: Path
    out: Path
    max_steps: int | None = None
    epochs: float = 2.0
    batch_size: int = 4
    lr: float = 2e-4
    lora: Lora = field(default_factory=Lora)
    max_length: int = 2048
    save_every: int = 25
    seed: int = 0
    tasks: tuple[str, ...] = TASKS
    backend: BackendName = "auto"
    threads: int | None = None
    fresh: bool = False
    balance: bool = True  # repeat reader examples with planted instructions (see `balanced`)


def train(cfg: TrainConfig, settings: Settings) -> dict[str, Any]:
    examples = read(cfg.data, split="train", tasks=cfg.tasks)
    if not examples:
        raise TrainError(f"{cfg.data}: no train examples for tasks {', '.join(cfg.tasks)}")
    base = resolve(cfg.base, settings)
    backend = backends.pick(cfg.backend)
    cfg.out.mkdir(parents=True, exist_ok=True)
    if cfg.fresh:
        checkpoints.discard(cfg.out)
    _say(f"loading {base.path.name} ({base.architecture}) for the {backend} backend")
    if backend == "unsloth":
        model, tokenizer = backends.load_unsloth(base, cfg.lora, cfg.max_length, cfg.out, cfg.seed)
    else:
        model, tokenizer = backends.load_cpu(base, cfg.lora, cfg.threads or settings.llm_threads)
    encoding = encode_all(examples, tokenizer, cfg.max_length)
    items = balanced(encoding.items) if cfg.balance else [enc for _, enc in encoding.items]
    if not items:
        raise TrainError(f"every example is longer than --max-length {cfg.max_length} tokens")
    if encoding.too_long or encoding.answer_over_limit:
        _say(
            f"left out {encoding.too_long} example(s) over {cfg.max_length} tokens and "
            f"{encoding.answer_over_limit} whose answer exceeds the pipeline's max_tokens"
        )
    steps = cfg.max_steps or math.ceil(cfg.epochs * len(items) / cfg.batch_size)
    fingerprint = _fingerprint(cfg, base)
    run = _loop(cfg, model, items, steps, fingerprint)
    model.save_pretrained(cfg.out / "adapter", save_embedding_layers=False)
    manifest = _manifest(cfg, base, backend, len(items), run, encoding.too_long)
    (cfg.out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


@dataclass
class _Run:
    losses: list[float]
    start: int
    seconds: float
    tokens: int
    peak_memory: int | None


def _loop(
    cfg: TrainConfig, model: Any, items: list[Encoded], steps: int, fp: dict[str, Any]
) -> _Run:
    import torch
    from tqdm import tqdm

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=0.0)
    warmup = max(1, min(10, steps // 10))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    losses: list[float] = []
    start = 0
    found = None if cfg.fresh else checkpoints.latest(cfg.out)
    if found is not None:
        state = checkpoints.restore(found, model, optimizer, scheduler, fp)
        start, losses = int(state["step"]), list(state["losses"])
        _say(f"resuming from {found} (step {start} of {steps})")
    device = next(model.parameters()).device
    model.train()
    tokens, began, step = 0, time.perf_counter(), start
    bar = tqdm(total=steps, initial=start, desc="training", unit="step", file=sys.stderr)
    try:
        for step in range(start, steps):
            total = 0.0
            for j in range(cfg.batch_size):
                enc = items[example_at(step * cfg.batch_size + j, len(items), cfg.seed)]
                ids = torch.tensor([enc.input_ids], device=device)
                labels = torch.tensor([enc.labels], device=device)
                loss = model(input_ids=ids, labels=labels).loss
                (loss / cfg.batch_size).backward()
                total += float(loss.detach().item())
                tokens += len(enc)
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(round(total / cfg.batch_size, 4))
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.3f}", lr=f"{scheduler.get_last_lr()[0]:.1e}")
            if (step + 1) % cfg.save_every == 0 or step + 1 == steps:
                _save(cfg, step + 1, model, optimizer, scheduler, losses, fp)
    except KeyboardInterrupt:
        if len(losses) > start:
            path = _save(cfg, len(losses), model, optimizer, scheduler, losses, fp)
            _say(f"interrupted: saved {path}; run the same command again to resume")
        raise
    finally:
        bar.close()
    peak = int(torch.cuda.max_memory_allocated()) if device.type == "cuda" else None
    return _Run(losses, start, time.perf_counter() - began, tokens, peak)


def balanced(items: list[tuple[Example, Encoded]]) -> list[Encoded]:
    """The examples, with each reader example that flags planted instructions repeated until
    they are about a third of the reader's: texts with instructions are rare, and a reader
    trained on the raw mix learns to answer "no", which the gate reads as nothing to escalate."""
    planted = [
        enc for ex, enc in items if ex.task == "reader" and ex.answer["instructions"] != "no"
    ]
    ordinary = sum(ex.task == "reader" and ex.answer["instructions"] == "no" for ex, _ in items)
    copies = min(8, ordinary // (2 * len(planted))) if planted else 0
    return [enc for _, enc in items] + planted * max(0, copies - 1)


def example_at(position: int, count: int, seed: int) -> int:
    """The example at a position of the endless, per-epoch shuffled stream (resumable)."""
    epoch, offset = divmod(position, count)
    order = list(range(count))
    random.Random(seed * 100_003 + epoch).shuffle(order)
    return order[offset]


def _save(cfg: TrainConfig, step: int, model: Any, optimizer: Any, scheduler: Any,
          losses: list[float], fp: dict[str, Any]) -> Path:  # fmt: skip
    state = {"losses": losses, "fingerprint": fp}
    return checkpoints.save(cfg.out, step, model, optimizer, scheduler, state)


def _fingerprint(cfg: TrainConfig, base: BaseModel) -> dict[str, Any]:
    return {
        "base": str(base.path), "data_sha256": file_sha256(cfg.data), "tasks": list(cfg.tasks),
        "rank": cfg.lora.rank, "alpha": cfg.lora.alpha, "batch_size": cfg.batch_size,
        "lr": cfg.lr, "max_length": cfg.max_length, "seed": cfg.seed, "balance": cfg.balance,
    }  # fmt: skip


def _manifest(cfg: TrainConfig, base: BaseModel, backend: str, examples: int, run: _Run,
              too_long: int) -> dict[str, Any]:  # fmt: skip
    done = len(run.losses) - run.start
    return {
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "base": {"name": base.name, "path": str(base.path), "architecture": base.architecture},
        "data": {"path": str(cfg.data.resolve()), "sha256": file_sha256(cfg.data),
                 "tasks": list(cfg.tasks), "train_examples": examples,
                 "left_out_too_long": too_long},
        "lora": asdict(cfg.lora),
        "training": {
            "backend": backend, "steps": len(run.losses), "steps_this_run": done,
            "batch_size": cfg.batch_size, "lr": cfg.lr, "max_length": cfg.max_length,
            "seconds_this_run": round(run.seconds, 2),
            "steps_per_s": round(done / run.seconds, 4) if run.seconds else None,
            "tokens_per_s": round(run.tokens / run.seconds, 1) if run.seconds else None,
            "peak_gpu_memory_bytes": run.peak_memory,
            "loss_first": run.losses[0] if run.losses else None,
            "loss_last": run.losses[-1] if run.losses else None,
            "losses": run.losses,
        },
    }  # fmt: skip


def _say(line: str) -> None:
    sys.stderr.write(f"· {line}\n")
    sys.stderr.flush()
