"""Request parsing and argument validation for the Slack stand-in in `world.slack_api`.

`read_call` merges query parameters with a JSON, form or multipart body and finds the
token; the other helpers check one argument each and raise `SlackError` with the error
code Slack gives. `conversations.list` cursors are encoded and decoded here too.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse

CONVERSATION_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})
MAX_TEXT = 40_000


class SlackError(Exception):
    """An answer of `{"ok": false, "error": error}` (HTTP 200 unless Slack says otherwise)."""

    def __init__(self, error: str, status: int = 200, detail: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.detail = detail

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.detail:
            body["response_metadata"] = {"messages": [f"[ERROR] {self.detail}"]}
        return JSONResponse(body, status_code=self.status)


@dataclass(frozen=True)
class Call:
    """What one API call sent: its arguments merged, and the token if it gave one."""

    args: dict[str, Any]
    token: str | None


async def read_call(request: Request) -> Call:
    """Query parameters and body merged; the token from the header or a form/query field."""
    args: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body.strip() and ctype == "application/json":
        args.update(_json_object(body))
    elif body.strip() and ctype == "application/x-www-form-urlencoded":
        args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif ctype == "multipart/form-data":
        form = await request.form()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    auth = request.headers.get("authorization", "")
    bearer = auth[len("Bearer ") :].strip() if auth.lower().startswith("bearer ") else None
    form_token = None if ctype == "application/json" else args.get("token")
    query_token = request.query_params.get("token")
    return Call(args=args, token=bearer or form_token or query_token)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SlackError("invalid_json") from exc
    if not isinstance(parsed, dict):
        raise SlackError("json_not_object")
    return parsed


def required(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise SlackError("invalid_arguments", detail=f"missing required field: {name}")
    return value


def optional_str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SlackError("invalid_arguments", detail=f"{name} must be a string")
    return value


def text_arg(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SlackError("invalid_arguments", detail="text must be a string")
    if len(value) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return value


def blocks_arg(value: Any) -> list[dict[str, Any]] | None:
    """Blocks as given (a list, or a JSON string from a form post); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise SlackError("invalid_blocks_format") from exc
    if not isinstance(value, list):
        raise SlackError("invalid_blocks_format")
    for block in value:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise SlackError("invalid_blocks", detail="each block needs a string 'type'")
    return value


def limit_arg(value: Any) -> int:
    if value is None or value == "":
        return 100
    try:
        limit = int(value)
    except (TypeError, ValueError) as exc:
        raise SlackError("invalid_limit") from exc
    if limit < 0:
        raise SlackError("invalid_limit")
    return min(limit, 1000) or 100


def types_arg(value: Any) -> set[str]:
    if value is None or value == "":
        return {"public_channel"}
    types = {t.strip() for t in str(value).split(",") if t.strip()}
    if not types <= CONVERSATION_TYPES:
        raise SlackError("invalid_types")
    return types


def next_cursor(cid: str) -> str:
    return base64.b64encode(f"channel:{cid}".encode()).decode()


def cursor_start(value: Any, ids: list[str]) -> int:
    if value is None or value == "":
        return 0
    try:
        kind, _, cid = base64.b64decode(str(value), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc
    if kind != "channel" or cid not in ids:
        raise SlackError("invalid_cursor")
    return ids.index(cid)
