"""Slack as a stdio MCP server on slack_sdk: post and update messages, list channels.

Run `python -m mcpservers.slack`. Settings come from the environment:

- `SLACK_BOT_TOKEN` (required): the bot token; the server exits at start without it.
- `SLACK_API_URL`: the Web API base URL, ending in `/api/` (default
  `https://slack.com/api/`). A missing trailing slash is added, and a bare host such
  as `http://127.0.0.1:8080` gets `/api/`; any other path is used as given.

Slack's `{"ok": false}` answers come back as MCP tool errors quoting Slack's error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio.to_thread
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

DEFAULT_API_URL = "https://slack.com/api/"
_PAGE = 200

ChannelArg = Annotated[str, Field(description="'#name', 'name' or a channel id like C0123ABCD")]
BlocksArg = Annotated[
    list[dict[str, Any]] | None,
    Field(description="Block Kit blocks; `text` stays the notification fallback"),
]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class PostedMessage(_Result):
    channel: str
    ts: str
    text: str
    thread_ts: str | None


class UpdatedMessage(_Result):
    channel: str
    ts: str
    text: str


class ChannelInfo(_Result):
    id: str
    name: str
    is_member: bool
    is_private: bool
    is_archived: bool
    topic: str


@dataclass(frozen=True)
class Settings:
    token: str
    api_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        token = env.get("SLACK_BOT_TOKEN", "").strip()
        if not token:
            raise ValueError("SLACK_BOT_TOKEN is not set; give the Slack bot token (xoxb-...)")
        return cls(token=token, api_url=api_base_url(env.get("SLACK_API_URL") or DEFAULT_API_URL))


def api_base_url(url: str) -> str:
    """The Web API base URL as slack_sdk needs it: ending in a slash (it urljoins methods)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"SLACK_API_URL must be an http(s) URL like {DEFAULT_API_URL}; got {url!r}"
        )
    path = parts.path.rstrip("/") or "/api"
    return f"{parts.scheme}://{parts.netloc}{path}/"


async def _call(method: str, about: str, request: Callable[[], SlackResponse]) -> SlackResponse:
    """Run a blocking slack_sdk call off the event loop; Slack's errors become tool errors."""
    try:
        return await anyio.to_thread.run_sync(request)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error")
        details = exc.response.get("response_metadata", {}).get("messages", [])
        extra = f"; {' '.join(details)}" if details else ""
        raise ToolError(f"Slack API {method} failed: {error} ({about}){extra}") from exc


def _channel_info(channel: dict[str, Any]) -> ChannelInfo:
    return ChannelInfo(
        id=channel["id"],
        name=channel.get("name", ""),
        is_member=bool(channel.get("is_member", False)),
        is_private=bool(channel.get("is_private", False)),
        is_archived=bool(channel.get("is_archived", False)),
        topic=(channel.get("topic") or {}).get("value", ""),
    )


def build_server(client: WebClient) -> FastMCP:
    """The FastMCP server with the Slack tools bound to `client`."""
    server = FastMCP("slack", log_level="WARNING")
    writes = ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=True)

    @server.tool(annotations=writes.model_copy(update={"idempotentHint": False}))
    async def post_message(
        channel: ChannelArg,
        text: str,
        blocks: BlocksArg = None,
        thread_ts: Annotated[str | None, Field(description="reply in this thread")] = None,
    ) -> PostedMessage:
        """Post a message to a Slack channel; returns the channel id and the message ts.

        Links never unfurl: a link that got into the text cannot pull a preview of its page.
        """
        send = partial(
            client.chat_postMessage,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        response = await _call("chat.postMessage", f"channel {channel!r}", send)
        return PostedMessage(
            channel=response["channel"], ts=response["ts"], text=text, thread_ts=thread_ts
        )

    @server.tool(annotations=writes.model_copy(update={"idempotentHint": True}))
    async def update_message(
        channel: ChannelArg, ts: str, text: str, blocks: BlocksArg = None
    ) -> UpdatedMessage:
        """Replace the text (and blocks, when given) of a message posted earlier."""
        send = partial(client.chat_update, channel=channel, ts=ts, text=text, blocks=blocks)
        response = await _call("chat.update", f"channel {channel!r}, ts {ts!r}", send)
        return UpdatedMessage(channel=response["channel"], ts=response["ts"], text=text)

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=True))
    async def list_channels(
        limit: Annotated[int, Field(ge=1, le=1000)] = 200,
    ) -> list[ChannelInfo]:
        """List the workspace's public channels (id, name, whether the bot is a member)."""
        channels: list[ChannelInfo] = []
        cursor: str | None = None
        while len(channels) < limit:
            page = partial(
                client.conversations_list,
                limit=min(_PAGE, limit - len(channels)),
                cursor=cursor,
                exclude_archived=True,
            )
            response = await _call("conversations.list", f"limit {limit}", page)
            channels += [_channel_info(c) for c in response["channels"]]
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return channels[:limit]

    return server


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
    except ValueError as exc:
        sys.exit(f"mcpservers.slack: {exc}")
    client = WebClient(token=settings.token, base_url=settings.api_url)
    build_server(client).run("stdio")


if __name__ == "__main__":
    main()
