"""The service catalog of `graph serve --catalog FILE`: which team owns which service.

The file is YAML with a `services` mapping, exactly the `services` section of a scenario
(docs/scenario-format.md), so a scenario.yaml works as a catalog too; other keys are
ignored. Every problem is named with the file and the service.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from core.catalog import Service

EXAMPLE = (
    "services: {orders-api: {repo: acme/orders-api, channel: '#oncall', team: backend, tier: 1}}"
)


class CatalogError(Exception):
    pass


def load_catalog(path: Path) -> dict[str, Service]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read the service catalog {path}: {exc}") from exc
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        raise CatalogError(f"{path}: expected a non-empty `services` mapping, like: {EXAMPLE}")
    catalog, problems = {}, []
    for name, entry in services.items():
        try:
            catalog[str(name)] = Service.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(f"services.{name}{'.' + where if where else ''}: {err['msg']}")
    if problems:
        raise CatalogError(f"{path}: " + "; ".join(problems))
    return catalog
