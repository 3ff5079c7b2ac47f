"""Pod templates for the Kubernetes stand-in: one per revision of a deployment's history.

A template carries the containers of the deployment's pods (the revision's image, resources
and env on the main container, found by image repository), the deployment's selector labels
and no pod-template-hash (ReplicaSets add theirs). `clean` drops empty parts, so templates
compare equal after a client has round-tripped them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from world.signals_spec import Deployment, Pod, Resources, Revision

HASH_LABEL = "pod-template-hash"
_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_SELECTOR_KEYS = ("app.kubernetes.io/name", "app", "k8s-app", "name")


def selector_for(dep: Deployment) -> dict[str, str]:
    chosen = {k: dep.labels[k] for k in _SELECTOR_KEYS if k in dep.labels}
    return dict([next(iter(chosen.items()))]) if chosen else {"app": dep.name}


def make_hash(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_HASH_ALPHABET[b % len(_HASH_ALPHABET)] for b in digest[:10])


def clean(value: Any) -> Any:
    """Without empty maps, lists and nulls (how clients round-trip an object)."""
    if isinstance(value, dict):
        out = {k: clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def resources_json(res: Resources) -> dict[str, Any]:
    return clean({"requests": dict(res.requests), "limits": dict(res.limits)})  # type: ignore[no-any-return]


def pod_template(dep: Deployment, rev: Revision, pods: Sequence[Pod]) -> dict[str, Any]:
    """The pod template of one revision: the pods' containers, the revision's image,
    resources (or the deployment's) and env on the main container."""
    shapes = pods[0].containers if pods else []
    main = _main_index([c.image for c in shapes], rev.image)
    containers = []
    for i, shape in enumerate(shapes or [None]):
        name = shape.name if shape else dep.name
        if i == main:
            res = rev.resources or dep.resources
            env = [{"name": k, "value": v} for k, v in rev.env.items()]
            entry = {"name": name, "image": rev.image, "resources": resources_json(res), "env": env}
        else:
            assert shape is not None
            entry = {
                "name": name,
                "image": shape.image,
                "resources": resources_json(shape.resources),
            }
        containers.append({**entry, "imagePullPolicy": "IfNotPresent"})
    spec = {"containers": containers, "restartPolicy": "Always"}
    return clean({"metadata": {"labels": selector_for(dep)}, "spec": spec})  # type: ignore[no-any-return]


def _main_index(images: list[str], image: str) -> int:
    repo = _repository(image)
    return next((i for i, img in enumerate(images) if _repository(img) == repo), 0)


def _repository(image: str) -> str:
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def infer_hash(deployment: str, pods: Sequence[Pod]) -> str | None:
    shape = re.compile(rf"^{re.escape(deployment)}-([a-z0-9]{{5,10}})-[a-z0-9]{{5}}$")
    for pod in pods:
        if HASH_LABEL in pod.labels:
            return pod.labels[HASH_LABEL]
        match = shape.match(pod.name)
        if match:
            return match.group(1)
    return None
