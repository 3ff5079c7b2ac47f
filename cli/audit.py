"""`graph audit [--incident ID] [--json] [--limit N]`: the guardian's decisions and approvals,
newest first, from the audit store (settings.audit_db)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.errors import EXIT_FAILED, EXIT_OK
from engine.deps import open_audit
from runtime.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--incident", metavar="ID", help="only this incident's decisions")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--limit", type=int, default=200, metavar="N", help="at most N rows")


def run(args: argparse.Namespace, settings: Settings) -> int:
    rows = open_audit(settings).rows(args.incident, args.limit)
    if args.json:
        print(json.dumps(rows, indent=2))
    elif rows:
        print("\n".join(line for row in rows for line in _lines(row)))
    else:
        where = f" for incident {args.incident}" if args.incident else ""
        print(f"no decisions{where} in {settings.audit_db}")
    return EXIT_FAILED if args.incident and not rows else EXIT_OK


def _lines(row: dict[str, Any]) -> list[str]:
    approval = ""
    if row["approved"] is not None:
        role = f" ({row['approver_role']})" if row.get("approver_role") else ""
        approval = f" · {'approved' if row['approved'] else 'denied'} by {row['approver']}{role}"
    answers = ", ".join(f"{k}={v}" for k, v in row["answers"].items())
    return [
        f"{row['recorded_at']}  {row['incident_id']}  {row['tool']} {row['args']}",
        f"    {row['verdict']}{approval} · rules {', '.join(row['rules'])}"
        + (f" · models {answers}" if answers else ""),
    ]
