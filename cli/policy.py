"""`graph policy check FILE` validates a policy file; `graph policy explain --scenario NAME`
replays a scenario and prints every gate decision with its rules, checks and model answers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cli import run as run_cmd
from cli.errors import EXIT_OK, CliError, load_scenario
from policies.engine import PolicyError, parse_policy
from replay.run import Replay
from runtime.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", required=True, metavar="SUBCOMMAND")
    check = sub.add_parser("check", help="validate a policy file and list its rules")
    check.add_argument("file", type=Path, help="the policy file (YAML)")
    check.set_defaults(policy_handler=check_file)
    explain = sub.add_parser("explain", help="replay a scenario and print every gate decision")
    explain.add_argument("--scenario", required=True, help="a name under scenarios/ or a folder")
    explain.add_argument("--policy", type=Path, metavar="FILE", help="policy file to explain")
    explain.add_argument("--json", action="store_true", help="print the decisions as JSON")
    explain.add_argument("--model-small", default="", metavar="M", help="small model or .gguf")
    explain.add_argument("--model-large", default="", metavar="M", help="large model or .gguf")
    explain.set_defaults(policy_handler=explain_scenario)


def run(args: argparse.Namespace, settings: Settings) -> int:
    code: int = args.policy_handler(args, settings)
    return code


def check_file(args: argparse.Namespace, _settings: Settings) -> int:
    try:
        policy = parse_policy(args.file)
    except FileNotFoundError as exc:
        raise CliError(f"{args.file}: no such policy file") from exc
    except PolicyError as exc:
        raise CliError(str(exc)) from exc
    print(f"{args.file}: valid, {len(policy.rules)} rules (first match decides; else blocked)")
    for rule in policy.rules:
        limit = ""
        if rule.limit:
            limit = f" · limit {rule.limit.model_dump(exclude_none=True)}"
        when = rule.when.model_dump(exclude_defaults=True, by_alias=True)
        print(f"  {rule.id}: {rule.action} → {rule.verdict}" + (f" when {when}" if when else "")
              + limit)  # fmt: skip
    if policy.links:
        print(f"  links allowed in messages: {', '.join(policy.links)}")
    return EXIT_OK


def explain_scenario(args: argparse.Namespace, settings: Settings) -> int:
    if args.policy is not None:
        settings = settings.model_copy(update={"policy_file": args.policy})
    loaded = load_scenario(settings, args.scenario)
    run_cmd.say(f"explaining {settings.policy_file} on {loaded.spec.name} (approvals: deny)")
    opts = run_cmd.options(argparse.Namespace(
        approvals="deny", approver="graph policy explain", model_small=args.model_small,
        model_large=args.model_large, resume=None,
    ))  # fmt: skip
    done = run_cmd.execute(loaded, settings, opts)
    rows = decisions(done)
    print(json.dumps(rows, indent=2) if args.json else "\n".join(render(rows)))
    return EXIT_OK


def decisions(done: Replay) -> list[dict[str, Any]]:
    state = done.state
    actions = {a.id: a for a in state.get("actions", [])}
    approvals = {a.action_id: a for a in state.get("approvals", [])}
    out = []
    for d in state.get("decisions", []):
        action, approval = actions.get(d.action_id), approvals.get(d.action_id)
        out.append({
            "action_id": d.action_id, "tool": d.tool, "args": d.args, "verdict": d.verdict,
            "policy_verdict": d.policy_verdict, "rules": list(d.rules), "checks": list(d.checks),
            "answers": d.answers,
            "origin": action.origin.model_dump() if action else None,
            "approved": approval.approved if approval else None,
        })  # fmt: skip
    return out


def render(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["no actions were proposed, so the gate decided nothing"]
    lines = []
    for r in rows:
        lines.append(f"{r['tool']} {r['args']}")
        lines.append(f"  verdict   {r['verdict']} (policy alone: {r['policy_verdict']})")
        lines.append(f"  rules     {', '.join(r['rules'])}")
        if r["origin"]:
            trust = "trusted" if r["origin"]["trusted"] else "untrusted"
            lines.append(f"  decided   {r['origin']['source']} ({trust})")
        lines += [f"  check     {c}" for c in r["checks"]]
        lines += [f"  model     {k} = {v}" for k, v in r["answers"].items()]
        if r["approved"] is not None:
            lines.append(f"  approval  {'approved' if r['approved'] else 'denied'}")
    return lines
