"""What kind of change a change is, from its files and patches (general rules, no names).

Each file gets one kind from its path and, where the path is ambiguous (a YAML file), its
content; a change's kind is the kind with the most changed lines among its files, docs and
tests counting only when nothing else changed. The cause category follows from the kind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal

from core.state import CauseCategory

Kind = Literal[
    "code", "config", "dependency", "schema", "feature_flag", "infrastructure",
    "scheduled_job", "docs_tests",
]  # fmt: skip

CATEGORY: dict[Kind, CauseCategory] = {
    "code": "code_change",
    "config": "config_change",
    "feature_flag": "config_change",
    "dependency": "dependency_change",
    "schema": "schema_change",
    "infrastructure": "infrastructure_change",
    "scheduled_job": "infrastructure_change",
    "docs_tests": "code_change",
}

_DOCS_TESTS = re.compile(
    r"(^|/)(docs?|tests?|__tests__|spec|testdata|fixtures)/|\.(md|rst|adoc|txt)$|"
    r"[._-](test|spec)\.\w+$|(^|/)test_[^/]+\.py$|_test\.go$|(^|/)(CHANGELOG|README|LICENSE)|"
    r"(^|/)(\.github|\.circleci|\.gitlab)/|(^|/)(\.gitlab-ci\.yml|Jenkinsfile|\.pre-commit[^/]*)$",
    re.I,
)
_SCHEMA = re.compile(
    r"(^|/)(migrations?|migrate|alembic|flyway|liquibase|schema|db/changelog)/|"
    r"(^|/)V\d+(_\d+)*__\w+\.sql$|\.sql$|(^|/)schema\.(rb|prisma|sql)$",
    re.I,
)
# the schema a migration tool writes out after migrating (Rails, dbmate, pg_dump): a record of
# what the change's migration does, loaded only into new databases, never run on the live one
SCHEMA_DUMP = re.compile(r"(^|/)(schema\.rb|structure\.sql|schema\.sql)$", re.I)
_DEPENDENCY = re.compile(
    r"(^|/)(requirements[^/]*\.txt|constraints\.txt|Pipfile(\.lock)?|poetry\.lock|uv\.lock|"
    r"pyproject\.toml|setup\.cfg|package(-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|"
    r"go\.(mod|sum)|Gemfile(\.lock)?|pom\.xml|build\.gradle(\.kts)?|gradle\.lockfile|"
    r"libs\.versions\.toml|Cargo\.(toml|lock)|composer\.(json|lock)|[^/]*\.csproj|"
    r"packages\.lock\.json|mix\.(exs|lock)|Chart\.lock|\.terraform\.lock\.hcl|versions\.tf)$",
    re.I,
)
_DOCKERFILE = re.compile(r"(^|/)(Dockerfile|Containerfile)[^/]*$", re.I)
_FLAGS = re.compile(
    r"(^|/)[^/]*(feature[-_]?flags?|flags|toggles?)[^/]*\.\w+$|"
    r"(^|/)[^/]*features?[^/]*\.(ya?ml|json|toml|ini|properties|env|conf|cfg)$",
    re.I,
)
_CRON = re.compile(r"(^|/)(crontab|[^/]*cron[^/]*)(\.\w+)?$|(^|/)[^/]*cron[^/]*/", re.I)
_INFRA_PATH = re.compile(
    r"\.(tf|tfvars|hcl)$|(^|/)(k8s|kube|kubernetes|manifests?|deploy(ment)?s?|helm|charts?|"
    r"kustomize|overlays|argocd|flux|clusters|infra(structure)?|terraform|ansible|"
    r"cloudformation|pulumi)/|(^|/)(values[^/]*|kustomization)\.ya?ml$|\.k8s\.ya?ml$",
    re.I,
)
_CONFIG_FILE = re.compile(
    r"\.(ya?ml|json|toml|ini|cfg|conf|properties|env|hocon|xml)$|(^|/)\.env[^/]*$|"
    r"(^|/)(config|conf|settings|etc)/",
    re.I,
)
_K8S_KIND = re.compile(r"^\s*kind:\s*(Deployment|StatefulSet|DaemonSet|HorizontalPodAutoscaler|"
                       r"Service|Ingress|ConfigMap|PodDisruptionBudget|ResourceQuota|"
                       r"LimitRange|Job|CronJob)\b", re.M)  # fmt: skip
_SCHEDULE_LINE = re.compile(
    r"^[+-]\s*(schedule|cron|crontab|run_at|cron_expression)\s*[:=]|"
    r"^[+-]\s*([\d*/,-]+\s+){4}[\d*/,-]+\s",
    re.I | re.M,
)
_DDL = re.compile(
    r"^\+.*\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|COLUMN|CONSTRAINT|TYPE)\b|"
    r"^\+.*\b(add_index|remove_index|add_column|remove_column|change_column|create_table|"
    r"drop_table|AddField|RemoveField|AlterField|AddIndex|RemoveIndex|op\.(add|drop|alter|"
    r"create)_\w+)\b",
    re.I | re.M,
)
_BASE_IMAGE = re.compile(r"^[+-]\s*FROM\s+\S+", re.I | re.M)
_CODE = re.compile(
    r"\.(py|go|java|kt|kts|scala|ts|tsx|js|jsx|mjs|cjs|rb|rs|cs|php|ex|exs|erl|swift|c|cc|"
    r"cpp|h|hpp|m|clj|lua|sh|pl)$",
    re.I,
)


def file_kind(path: str, patch: str = "") -> Kind:
    """One file's kind, from its path and (for ambiguous files) its patch."""
    if _DEPENDENCY.search(path) or (_DOCKERFILE.search(path) and _BASE_IMAGE.search(patch)):
        return "dependency"
    if _SCHEMA.search(path) or (_DDL.search(patch) and not _DOCS_TESTS.search(path)):
        return "schema"
    if _DOCS_TESTS.search(path):
        return "docs_tests"
    if _CRON.search(path) or _SCHEDULE_LINE.search(patch) or "kind: CronJob" in patch:
        return "scheduled_job"
    if _FLAGS.search(path):
        return "feature_flag"
    if _INFRA_PATH.search(path) or _DOCKERFILE.search(path) or _K8S_KIND.search(patch):
        return "infrastructure"
    if _CODE.search(path):
        return "code"
    if _CONFIG_FILE.search(path):
        return "config"
    return "code"


def change_kind(files: Sequence[str], patches: Mapping[str, str]) -> Kind:
    """The kind with the most changed lines; docs and tests only when nothing else changed."""
    weights: Counter[Kind] = Counter()
    for path in files or list(patches):
        patch = patches.get(path, "")
        weights[file_kind(path, patch)] += max(1, _changed_lines(patch))
    real: dict[Kind, int] = {k: w for k, w in weights.items() if k != "docs_tests"}
    pool: dict[Kind, int] = real or dict(weights)
    if not pool:
        return "code"
    return max(pool, key=lambda k: (pool[k], -_ORDER.index(k)))


def category(kind: Kind) -> CauseCategory:
    return CATEGORY[kind]


_ORDER: list[Kind] = [
    "schema", "dependency", "scheduled_job", "infrastructure", "feature_flag", "config",
    "code", "docs_tests",
]  # fmt: skip  # ties go to the kind earlier here


def _changed_lines(patch: str) -> int:
    return sum(
        1 for line in patch.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )
