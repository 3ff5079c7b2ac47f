"""Where the mechanism words a scenario expects can be found in the root-cause prompt, without
a model: in the right option's `how` line (or `none`'s reasons), in the facts, elsewhere in the
prompt, or nowhere. It measures what the model could carry into its explanation, not what it
writes (`graph eval` grades that).

Usage: python bench/keywords.py [--scenarios DIR] [--only GLOB ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import diagnosis  # noqa: E402

import agents.root_cause.node as node  # noqa: E402
from replay.checks import alternatives  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from world.loader import load_file  # noqa: E402

_SEEN: dict[str, Any] = {}
_render = node.render


def _capture(path: Path, values: dict[str, Any]) -> str:
    _SEEN["values"], _SEEN["prompt"] = values, _render(path, values)
    return str(_SEEN["prompt"])


def where(folder: Path, settings: Settings) -> dict[str, Any]:
    """Each expected keyword group of one scenario: `how`, `facts`, `prompt` or `absent`."""
    _SEEN.clear()
    row = diagnosis.run_one(folder, settings)
    want = load_file(folder / "scenario.yaml").spec.expect.root_cause
    values = _SEEN.get("values", {})
    prompt = str(_SEEN.get("prompt", "")).lower()
    expected = row["expected"]
    if expected == "none":
        how = str(values.get("none_reasons", ""))
    else:
        how = " ".join(f"{c['title']} {c['how']}" for c in values.get("candidates", [])
                       if c["ref"] == expected)  # fmt: skip
    facts = str(values.get("facts", "")).lower()
    found: dict[str, str] = {}
    for group in (want.keywords or []) if want else []:
        words = [w.lower() for w in alternatives(group)]
        found[" | ".join(words)] = (
            "how" if any(w in how.lower() for w in words) else
            "facts" if any(w in facts for w in words) else
            "prompt" if any(w in prompt for w in words) else "absent")  # fmt: skip
    return {"scenario": folder.name, "culprit": bool(row["culprit"]), "where": found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", type=Path, default=Path("scenarios"))
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    node.render = _capture  # type: ignore[assignment]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = diagnosis.scratch_settings(Path(tmp))
        for folder in diagnosis.selected(args.scenarios, args.only):
            rows.append(where(folder, settings))
            if not args.json:
                r = rows[-1]
                missing = [k for k, v in r["where"].items() if v == "absent"]
                print(f"{r['scenario']:<64} {Counter(r['where'].values())}"
                      + (f"  absent: {'; '.join(m[:40] for m in missing)}" if missing else ""),
                      flush=True)  # fmt: skip
    places = Counter(v for r in rows for v in r["where"].values())
    summary = {
        "scenarios": len(rows),
        "groups": dict(places),
        "every_group_in_the_prompt": sum(
            bool(r["where"]) and "absent" not in r["where"].values() for r in rows
        ),
    }
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
    else:
        print(f"keyword groups by where they are: {dict(places)}; every group in the prompt: "
              f"{summary['every_group_in_the_prompt']}/{len(rows)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
