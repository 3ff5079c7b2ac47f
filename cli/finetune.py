"""`graph finetune dataset|train|export|eval`: teach the local models your incidents.

The heavy parts (torch, transformers, peft) are imported only by the sub-command that needs
them; they come with the `finetune-cpu` extra (and `finetune` for unsloth on CUDA).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cli.errors import EXIT_OK, CliError
from finetune.errors import FinetuneError
from finetune.examples import TASKS
from runtime.models.catalog import UnknownModelError
from runtime.models.weights import WeightsError
from runtime.settings import Settings
from world.loader import LoadedScenario, ScenarioError, discover, load_file

EXTRA_HINT = "fine-tuning needs the finetune-cpu extra: pip install -e '.[finetune-cpu]'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="finetune", required=True, metavar="STEP")
    ds = sub.add_parser("dataset", help="scenarios and confirmed incidents to training examples")
    ds.add_argument("--scenarios", type=Path, metavar="DIR", help="folder of scenarios")
    ds.add_argument("--incidents", nargs="?", type=Path, const=Path(), metavar="DB",
                    help="also the incidents a human confirmed in this checkpoint database "
                    "(default: INCIDENT_GRAPH_CHECKPOINT_DB)")  # fmt: skip
    ds.add_argument("--audit", type=Path, metavar="DB", help="audit database (default: settings)")
    ds.add_argument("--out", type=Path, required=True, metavar="FILE", help="JSON-lines file")
    ds.add_argument("--eval-fraction", type=float, default=0.2, metavar="F")
    ds.add_argument("--eval-scenarios", default="", metavar="A,B", help="put these groups in eval")
    ds.add_argument("--reader-negatives", type=int, default=6, metavar="N",
                    help="ordinary texts per scenario as reader examples (default 6)")  # fmt: skip
    ds.add_argument("--show", choices=TASKS, help="also print every example of this task")
    ds.add_argument("--json", action="store_true", help="print the statistics as JSON")
    tr = sub.add_parser("train", help="LoRA on the train split (unsloth on CUDA, else CPU)")
    tr.add_argument("--base", required=True, metavar="small|large|NAME|PATH",
                    help="a role, a catalog or tuned model's name, or a .gguf")  # fmt: skip
    tr.add_argument("--data", type=Path, required=True, metavar="FILE")
    tr.add_argument("--out", type=Path, required=True, metavar="DIR")
    tr.add_argument("--max-steps", type=int, metavar="N", help="default: --epochs over the data")
    tr.add_argument("--epochs", type=float, default=2.0)
    tr.add_argument("--batch-size", type=int, default=4, help="examples per optimizer step")
    tr.add_argument("--lr", type=float, default=2e-4)
    tr.add_argument("--rank", type=int, default=8)
    tr.add_argument("--alpha", type=int, default=16)
    tr.add_argument("--max-length", type=int, default=2048, help="longer examples are left out")
    tr.add_argument("--save-every", type=int, default=25, metavar="STEPS")
    tr.add_argument("--tasks", default=",".join(TASKS), metavar="T,T")
    tr.add_argument("--backend", choices=["auto", "cpu", "unsloth"], default="auto")
    tr.add_argument("--threads", type=int, help="CPU threads (default: INCIDENT_GRAPH_LLM_THREADS)")
    tr.add_argument("--fresh", action="store_true", help="discard checkpoints instead of resuming")
    tr.add_argument("--no-balance", dest="balance", action="store_false",
                    help="do not repeat the reader's rare planted examples")  # fmt: skip
    tr.add_argument("--json", action="store_true")
    ex = sub.add_parser("export", help="merge a trained LoRA into a GGUF, write a Modelfile")
    ex.add_argument("run_dir", type=Path, metavar="DIR", help="the --out of `finetune train`")
    ex.add_argument("--name", help="model name (default: the folder's name)")
    ex.add_argument("--out-dir", type=Path, metavar="DIR", help="default: <models dir>/tuned")
    ex.add_argument("--json", action="store_true")
    ev = sub.add_parser("eval", help="a base and a tuned model on the pipeline's prompts")
    ev.add_argument("--base", required=True, metavar="M", help="small, large, a name or a .gguf")
    ev.add_argument("--tuned", required=True, metavar="M", help="a tuned model's name or .gguf")
    ev.add_argument("--scenarios", type=Path, metavar="DIR", help="record prompts from these")
    ev.add_argument("--data", type=Path, metavar="FILE", help="or: a dataset's examples")
    ev.add_argument("--split", choices=["eval", "train", "all"], default="eval")
    ev.add_argument("--tasks", default=",".join(TASKS), metavar="T,T")
    ev.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, settings: Settings) -> int:
    handler = {"dataset": _dataset, "train": _train, "export": _export, "eval": _eval}
    with _errors():
        code: int = handler[args.finetune](args, settings)
    return code


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("torch", "transformers", "peft", "gguf"):
            raise CliError(f"{EXTRA_HINT} ({exc})") from exc
        raise
    except (FinetuneError, WeightsError, UnknownModelError, ScenarioError,
            FileNotFoundError) as exc:  # fmt: skip
        raise CliError(str(exc)) from exc


def _dataset(args: argparse.Namespace, settings: Settings) -> int:
    from finetune import build
    from finetune.examples import write

    if args.scenarios is None and args.incidents is None:
        raise CliError("give --scenarios DIR, --incidents [DB], or both")
    store = None
    if args.incidents is not None:
        db = args.incidents if args.incidents != Path() else settings.checkpoint_db
        store = (db, args.audit or settings.audit_db)
    groups = {g.strip() for g in args.eval_scenarios.split(",") if g.strip()} or None
    built = build.build(
        _scenarios(args.scenarios) if args.scenarios else [], settings, store=store,
        eval_fraction=args.eval_fraction, eval_groups=groups,
        reader_negatives=args.reader_negatives, progress=say,
    )  # fmt: skip
    if not built.examples:
        raise CliError("no examples: the scenarios have no expectations and no incident qualified")
    write(args.out, built.examples)
    summary = build.stats(built)
    print(json.dumps(summary, indent=2) if args.json else build.describe(summary, args.out))
    if args.show:
        for e in (e for e in built.examples if e.task == args.show):
            text = e.prompt[-1].content.replace("\n", " ")
            print(f"[{e.split}] {e.origin} · {e.note} · {e.messages[-1].content} · {text[-300:]}")
    return EXIT_OK


def _scenarios(folder: Path) -> list[LoadedScenario]:
    found = discover(folder)
    if not found:
        raise CliError(f"no scenario.yaml under {folder}")
    return [load_file(f / "scenario.yaml") for f in found]


def _train(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.backends import Lora
    from finetune.train import TrainConfig, train

    config = TrainConfig(
        base=args.base, data=args.data, out=args.out, max_steps=args.max_steps,
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        lora=Lora(rank=args.rank, alpha=args.alpha), max_length=args.max_length,
        save_every=args.save_every, tasks=_tasks(args.tasks), backend=args.backend,
        threads=args.threads, fresh=args.fresh, balance=args.balance,
    )  # fmt: skip
    manifest = train(config, settings)
    t = manifest["training"]
    print(json.dumps(manifest, indent=2) if args.json else "\n".join([
        f"trained {manifest['base']['name']} on {manifest['data']['train_examples']} examples "
        f"({t['backend']}): {t['steps']} steps, loss {t['loss_first']} → {t['loss_last']}",
        f"this run: {t['steps_this_run']} steps in {t['seconds_this_run']}s "
        f"({t['steps_per_s']} steps/s, {t['tokens_per_s']} tokens/s)",
        f"adapter: {args.out / 'adapter'}; next: graph finetune export {args.out}",
    ]))  # fmt: skip
    return EXIT_OK


def _tasks(text: str) -> tuple[str, ...]:
    tasks = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown or not tasks:
        raise CliError(f"--tasks: unknown {unknown or 'none given'}; use {', '.join(TASKS)}")
    return tasks


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from finetune.export import export

    say(f"merging {args.run_dir / 'adapter'} into its base GGUF")
    done = export(args.run_dir, settings.models_dir, name=args.name, out_dir=args.out_dir)
    info = {"name": done.name, "gguf": str(done.gguf), "size_bytes": done.size,
            "modelfile": str(done.modelfile), "merged_tensors": done.merged_tensors}  # fmt: skip
    print(json.dumps(info, indent=2) if args.json else "\n".join([
        f"{done.gguf} ({done.size / 1e6:.0f} MB, {done.merged_tensors} tensors merged)",
        f"Ollama Modelfile: {done.modelfile}",
        f"use it: graph run --scenario NAME --model-small {done.gguf}",
    ]))  # fmt: skip
    return EXIT_OK


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from finetune import build, evaluate
    from finetune.examples import read
    from runtime.models.factory import get_chat_model

    if (args.scenarios is None) == (args.data is None):
        raise CliError("give exactly one of --scenarios DIR or --data FILE")
    tasks = _tasks(args.tasks)
    if args.data is not None:
        examples = read(args.data, None if args.split == "all" else args.split, tasks)
    else:
        built = build.build(_scenarios(args.scenarios), settings, eval_fraction=0, progress=say)
        examples = [e for e in built.examples if e.task in tasks]
    if not examples:
        raise CliError("no prompts to evaluate on")
    names = (model_name(args.base, settings), model_name(args.tuned, settings))
    results = []
    for label, name in zip(("base", "tuned"), names, strict=True):
        say(f"{label}: {name} on {len(examples)} prompts")
        model = get_chat_model(name, settings, fetch=False)
        results.append(evaluate.summarize(evaluate.run(model, examples, say)))
    shown = (Path(names[0]).stem, Path(names[1]).stem)
    report: dict[str, Any] = {"base": {"model": names[0], **results[0]},
                              "tuned": {"model": names[1], **results[1]}}  # fmt: skip
    print(json.dumps(report, indent=2) if args.json
          else evaluate.table(shown, results[0], results[1]))  # fmt: skip
    return EXIT_OK


def model_name(name: str, settings: Settings) -> str:
    """small / large, a registered tuned model's name (its .gguf), or the name itself."""
    from finetune.registry import tuned_models

    alias = {"small": settings.model_small, "large": settings.model_large}.get(name)
    if alias:
        return alias
    tuned = {m.name: m for m in tuned_models(settings.models_dir)}
    return str(tuned[name].path) if name in tuned else name


def say(line: str) -> None:
    print(f"· {line}", file=sys.stderr, flush=True)
