"""PATCH bodies as the Kubernetes API server applies them (the subset the world needs).

`apply_patch(obj, content_type, raw)` returns a patched copy of `obj` for the three patch
types clients send: JSON patch (`application/json-patch+json`: add, remove, replace, test,
as kubectl's `rollout undo` sends), JSON merge patch (`application/merge-patch+json`, RFC
7386) and strategic merge patch (`application/strategic-merge-patch+json`: a merge patch
whose lists of named objects, such as containers and env, merge by `name`; `$` directives
are dropped). Anything else is 415, a malformed body 400, a failed operation 422.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from world.kubernetes_http import KubeError

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
_ACCEPTED = (
    "the body of the request was in an unknown format - accepted media types include: "
    f"{JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC}"
)


def apply_patch(obj: dict[str, Any], content_type: str, raw: bytes) -> dict[str, Any]:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in (JSON_PATCH, MERGE_PATCH, STRATEGIC):
        raise KubeError(415, "UnsupportedMediaType", _ACCEPTED)
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise KubeError(400, "BadRequest", f"error decoding patch: {exc}") from None
    if kind == JSON_PATCH:
        if not isinstance(body, list):
            raise KubeError(400, "BadRequest", "json patch must be a list of operations")
        return json_patch(obj, body)
    if not isinstance(body, dict):
        raise KubeError(400, "BadRequest", "a merge patch must be a JSON object")
    patched = merge(obj, body, strategic=kind == STRATEGIC)
    assert isinstance(patched, dict)
    return patched


def merge(target: Any, patch: Any, *, strategic: bool) -> Any:
    """RFC 7386 merge; with `strategic`, lists of objects with names merge by name."""
    if isinstance(patch, dict):
        out = copy.deepcopy(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if strategic and key.startswith("$"):
                continue
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge(out.get(key), value, strategic=strategic)
        return out
    if strategic and _named(patch) and _named(target):
        return _merge_named(target, patch)
    return copy.deepcopy(patch)


def _named(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value)


def _merge_named(target: list[Any], patch: list[Any]) -> list[Any]:
    out = [copy.deepcopy(item) for item in target]
    names = [item["name"] for item in out]
    for item in patch:
        if item.get("$patch") == "delete":
            out = [o for o in out if o["name"] != item["name"]]
            names = [o["name"] for o in out]
        elif item["name"] in names:
            i = names.index(item["name"])
            out[i] = merge(out[i], item, strategic=True)
        else:
            out.append(merge({}, item, strategic=True))
            names.append(item["name"])
    return out


def json_patch(obj: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    doc = copy.deepcopy(obj)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise KubeError(400, "BadRequest", f"invalid JSON patch operation: {op!r}")
        _operate(doc, op)
    return doc


def _operate(doc: dict[str, Any], op: dict[str, Any]) -> None:
    name, parent, key = op["op"], *_locate(doc, op["path"])
    if name == "test":
        if _get(parent, key) != op.get("value"):
            raise _unprocessable(f"testing value {op['path']} failed")
    elif name == "remove":
        _get(parent, key)
        del parent[key if isinstance(parent, dict) else int(key)]
    elif name in ("add", "replace"):
        if "value" not in op:
            raise KubeError(400, "BadRequest", f"{name} operation has no value: {op['path']}")
        value = copy.deepcopy(op["value"])
        if isinstance(parent, list):
            _set_item(parent, key, value, insert=name == "add")
        else:
            if name == "replace":
                _get(parent, key)
            parent[key] = value
    else:
        raise KubeError(400, "BadRequest", f"unsupported JSON patch operation {name!r}")


def _locate(doc: dict[str, Any], path: str) -> tuple[Any, str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise KubeError(400, "BadRequest", f"invalid JSON pointer {path!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    node: Any = doc
    for part in parts[:-1]:
        node = _get(node, part)
    return node, parts[-1]


def _get(node: Any, key: str) -> Any:
    if isinstance(node, dict) and key in node:
        return node[key]
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    raise _unprocessable(f"doc is missing path: {key}")


def _set_item(items: list[Any], key: str, value: Any, *, insert: bool) -> None:
    if key == "-" and insert:
        items.append(value)
    elif key.isdigit() and int(key) <= len(items) - (0 if insert else 1):
        if insert:
            items.insert(int(key), value)
        else:
            items[int(key)] = value
    else:
        raise _unprocessable(f"invalid array index: {key}")


def _unprocessable(message: str) -> KubeError:
    return KubeError(422, "Invalid", f"the server rejected our request due to an error: {message}")
