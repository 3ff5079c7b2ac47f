"""A Slack Web API stand-in seeded from a scenario: it records every message it accepts.

Serve `SlackStandIn(scenario, token).app` and point slack_sdk at it unchanged with
`WebClient(token=token, base_url=url + "/api/")`. It speaks Slack's wire format for
`auth.test`, `conversations.list`, `chat.postMessage` and `chat.update`: JSON or form
bodies, the token as `Authorization: Bearer` (or a form/query `token` field), and
answers `{"ok": true, ...}` or HTTP 200 `{"ok": false, "error": "..."}` like Slack.
`GET /_world/messages` (no auth) lists the recorded messages for other processes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from world.scenario import Scenario

BOT_USER_ID = "U0INCIDENT"
BOT_ID = "B0INCIDENT"
TEAM_ID = "T0INCIDENT"
CONVERSATION_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})
MAX_TEXT = 40_000
_TS_STEP_US = 100


def channel_id(name: str) -> str:
    """The stand-in's stable id for a channel ("#oncall-backend" -> "C" + 10 characters)."""
    digest = hashlib.sha256(name.lstrip("#").encode()).digest()
    return "C" + base64.b32encode(digest).decode()[:10]


@dataclass(frozen=True)
class SlackMessage:
    """One accepted message as currently held; an update replaces text/blocks, keeps ts."""

    channel: str  # "#name"
    channel_id: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    updated: bool
    at: datetime  # on the scenario clock (the ts as a datetime)
    user: str = BOT_USER_ID

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


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
class _Call:
    args: dict[str, Any]
    token: str | None


class SlackStandIn:
    """The Slack workspace of one replay: the scenario's channels and one bot user."""

    def __init__(self, scenario: Scenario, token: str) -> None:
        self._scenario = scenario
        self._token = token
        self._channels = {channel_id(name): name for name in scenario.slack.channels}
        self._epoch_us = int(scenario.now_dt.timestamp()) * 1_000_000
        self._sent = 0
        self._lock = threading.Lock()
        self._messages: list[SlackMessage] = []
        self._methods = {
            "auth.test": self._auth_test,
            "conversations.list": self._conversations_list,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
        }
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/_world/messages", self._world_messages, methods=["GET"]),
            ]
        )

    @property
    def messages(self) -> list[SlackMessage]:
        with self._lock:
            return list(self._messages)

    def received(self, channel: str) -> list[SlackMessage]:
        """The messages held for a channel, by "#name", oldest first."""
        return [m for m in self.messages if m.channel == channel]

    async def _api(self, request: Request) -> JSONResponse:
        handler = self._methods.get(request.path_params["method"])
        try:
            if handler is None:
                raise SlackError("unknown_method", status=404)
            call = await _read_call(request)
            self._authenticate(call.token)
            return JSONResponse({"ok": True, **handler(call.args)})
        except SlackError as exc:
            return exc.response()

    async def _world_messages(self, _request: Request) -> JSONResponse:
        return JSONResponse({"messages": [m.to_json() for m in self.messages]})

    def _authenticate(self, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        if token != self._token:
            raise SlackError("invalid_auth")

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self._scenario.name}.slack.com/",
            "team": self._scenario.name,
            "user": "incident-graph",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = _limit(args.get("limit"))
        types = _types(args.get("types"))
        ids = list(self._channels) if "public_channel" in types else []
        start = _cursor_start(args.get("cursor"), ids)
        page = ids[start : start + limit]
        after = ids[start + limit : start + limit + 1]
        return {
            "channels": [self._channel_json(cid) for cid in page],
            "response_metadata": {"next_cursor": _cursor(after[0]) if after else ""},
        }

    def _channel_json(self, cid: str) -> dict[str, Any]:
        name = self._channels[cid].lstrip("#")
        created = self._epoch_us // 1_000_000
        empty = {"value": "", "creator": "", "last_set": 0}
        unset = ("is_group", "is_im", "is_mpim", "is_private", "is_archived", "is_shared")
        return {
            "id": cid,
            "name": name,
            "name_normalized": name,
            "is_channel": True,
            **dict.fromkeys(unset, False),
            "is_general": name == "general",
            "is_member": True,
            "created": created,
            "topic": empty,
            "purpose": empty,
            "num_members": 1,
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve(_required(args, "channel"))
        text = _text(args.get("text"))
        blocks = _blocks(args.get("blocks"))
        if not text and not blocks:
            raise SlackError("no_text")
        thread_ts = _optional_str(args, "thread_ts")
        with self._lock:
            ts, at = self._next_stamp()
            message = SlackMessage(
                channel=self._channels[cid],
                channel_id=cid,
                ts=ts,
                text=text,
                blocks=blocks or [],
                thread_ts=thread_ts,
                updated=False,
                at=at,
            )
            self._messages.append(message)
        return {"channel": cid, "ts": message.ts, "message": _message_json(message)}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve(_required(args, "channel"))
        ts = _required(args, "ts")
        text = _text(args.get("text"))
        blocks = _blocks(args.get("blocks"))
        if not text and not blocks:
            raise SlackError("no_text")
        with self._lock:
            index = self._find(cid, ts)
            held = self._messages[index]
            new = replace(
                held, text=text, blocks=held.blocks if blocks is None else blocks, updated=True
            )
            self._messages[index] = new
        return {"channel": cid, "ts": ts, "text": text, "message": _message_json(new)}

    def _find(self, cid: str, ts: str) -> int:
        for index, message in enumerate(self._messages):
            if message.channel_id == cid and message.ts == ts:
                return index
        raise SlackError("message_not_found")

    def _resolve(self, channel: str) -> str:
        if channel in self._channels:
            return channel
        wanted = "#" + channel.lstrip("#")
        for cid, name in self._channels.items():
            if name == wanted:
                return cid
        raise SlackError("channel_not_found")

    def _next_stamp(self) -> tuple[str, datetime]:
        """A fresh ts, 100 µs after the last one, starting at the scenario's `now`."""
        self._sent += 1
        micros = self._epoch_us + self._sent * _TS_STEP_US
        seconds, rest = divmod(micros, 1_000_000)
        at = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)
        return f"{seconds}.{rest:06d}", at


def _message_json(message: SlackMessage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "message",
        "text": message.text,
        "user": message.user,
        "bot_id": BOT_ID,
        "team": TEAM_ID,
        "ts": message.ts,
        "blocks": message.blocks,
    }
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    if message.updated:
        body["edited"] = {"user": message.user, "ts": message.ts}
    return body


async def _read_call(request: Request) -> _Call:
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
    return _Call(args=args, token=bearer or form_token or query_token)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SlackError("invalid_json") from exc
    if not isinstance(parsed, dict):
        raise SlackError("json_not_object")
    return parsed


def _required(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise SlackError("invalid_arguments", detail=f"missing required field: {name}")
    return value


def _optional_str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SlackError("invalid_arguments", detail=f"{name} must be a string")
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SlackError("invalid_arguments", detail="text must be a string")
    if len(value) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return value


def _blocks(value: Any) -> list[dict[str, Any]] | None:
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


def _limit(value: Any) -> int:
    if value is None or value == "":
        return 100
    try:
        limit = int(value)
    except (TypeError, ValueError) as exc:
        raise SlackError("invalid_limit") from exc
    if limit < 0:
        raise SlackError("invalid_limit")
    return min(limit, 1000) or 100


def _types(value: Any) -> set[str]:
    if value is None or value == "":
        return {"public_channel"}
    types = {t.strip() for t in str(value).split(",") if t.strip()}
    if not types <= CONVERSATION_TYPES:
        raise SlackError("invalid_types")
    return types


def _cursor(cid: str) -> str:
    return base64.b64encode(f"channel:{cid}".encode()).decode()


def _cursor_start(value: Any, ids: list[str]) -> int:
    if value is None or value == "":
        return 0
    try:
        kind, _, cid = base64.b64decode(str(value), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc
    if kind != "channel" or cid not in ids:
        raise SlackError("invalid_cursor")
    return ids.index(cid)
