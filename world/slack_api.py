"""A Slack Web API stand-in seeded from a scenario: it records every message it accepts.

Serve `SlackStandIn(scenario, token).app` and point slack_sdk at it unchanged with
`WebClient(token=token, base_url=url + "/api/")`. It speaks Slack's wire format for
`auth.test`, `conversations.list`, `chat.postMessage` and `chat.update`: JSON or form
bodies, the token as `Authorization: Bearer` (or a form/query `token` field), and
answers `{"ok": true, ...}` or HTTP 200 `{"ok": false, "error": "..."}` like Slack.
`GET /_world/messages` (no auth) lists the recorded messages for other processes.

This module owns the workspace (channels, messages, timestamps) and the method handlers;
request parsing and argument checks live in `world.slack_args`.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from world.scenario import Scenario
from world.slack_args import (
    CONVERSATION_TYPES,
    MAX_TEXT,
    SlackError,
    blocks_arg,
    cursor_start,
    limit_arg,
    next_cursor,
    optional_str,
    read_call,
    required,
    text_arg,
    types_arg,
)

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "CONVERSATION_TYPES",
    "MAX_TEXT",
    "TEAM_ID",
    "SlackError",
    "SlackMessage",
    "SlackStandIn",
    "channel_id",
]

BOT_USER_ID = "U0INCIDENT"
BOT_ID = "B0INCIDENT"
TEAM_ID = "T0INCIDENT"
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
            call = await read_call(request)
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
        limit = limit_arg(args.get("limit"))
        types = types_arg(args.get("types"))
        ids = list(self._channels) if "public_channel" in types else []
        start = cursor_start(args.get("cursor"), ids)
        page = ids[start : start + limit]
        after = ids[start + limit : start + limit + 1]
        return {
            "channels": [self._channel_json(cid) for cid in page],
            "response_metadata": {"next_cursor": next_cursor(after[0]) if after else ""},
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
        cid = self._resolve(required(args, "channel"))
        text = text_arg(args.get("text"))
        blocks = blocks_arg(args.get("blocks"))
        if not text and not blocks:
            raise SlackError("no_text")
        thread_ts = optional_str(args, "thread_ts")
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
        cid = self._resolve(required(args, "channel"))
        ts = required(args, "ts")
        text = text_arg(args.get("text"))
        blocks = blocks_arg(args.get("blocks"))
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
