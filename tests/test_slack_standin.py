"""The Slack stand-in, driven by the real slack_sdk WebClient over loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from world.http import LoopbackServers
from world.scenario import Scenario
from world.slack_api import SlackStandIn, channel_id

TOKEN = "xoxb-test-token"
CHANNELS = ["#oncall-backend", "#platform-team", "#general"]


def make_scenario() -> Scenario:
    return Scenario.model_validate(
        {
            "name": "slack-test",
            "title": "Slack stand-in test",
            "now": "2026-03-14T10:20:00Z",
            "alert": {"format": "generic", "payload": {"title": "test"}},
            "services": {},
            "slack": {"channels": CHANNELS},
        }
    )


@pytest.fixture
def standin() -> SlackStandIn:
    return SlackStandIn(make_scenario(), TOKEN)


@pytest.fixture
def base_url(standin: SlackStandIn) -> Iterator[str]:
    with LoopbackServers([standin.app]) as servers:
        yield servers.urls[0]


@pytest.fixture
def client(base_url: str) -> WebClient:
    return WebClient(token=TOKEN, base_url=base_url + "/api/")


def test_auth_test_names_the_bot(client: WebClient) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] and response["bot_id"]


def test_wrong_token_is_invalid_auth(base_url: str) -> None:
    intruder = WebClient(token="xoxb-wrong", base_url=base_url + "/api/")
    with pytest.raises(SlackApiError) as caught:
        intruder.auth_test()
    assert caught.value.response["error"] == "invalid_auth"


def test_missing_token_is_not_authed(base_url: str) -> None:
    response = httpx.post(base_url + "/api/auth.test")
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": "not_authed"}


def test_unknown_method_is_404_like_slack(base_url: str) -> None:
    response = httpx.post(base_url + "/api/chat.nope", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error": "unknown_method"}


def test_conversations_list_holds_the_scenario_channels(client: WebClient) -> None:
    response = client.conversations_list(types="public_channel")
    names = [c["name"] for c in response["channels"]]
    assert names == ["oncall-backend", "platform-team", "general"]
    assert all(c["is_member"] for c in response["channels"])
    assert response["channels"][0]["id"] == channel_id("#oncall-backend")
    assert response["response_metadata"]["next_cursor"] == ""


def test_conversations_list_paginates_with_cursor(client: WebClient) -> None:
    # Iterating a SlackResponse follows next_cursor; it yields itself with each page's data.
    pages = [[c["name"] for c in page["channels"]] for page in client.conversations_list(limit=1)]
    assert pages == [["oncall-backend"], ["platform-team"], ["general"]]


def test_post_by_name_is_recorded(client: WebClient, standin: SlackStandIn) -> None:
    response = client.chat_postMessage(channel="#oncall-backend", text="orders-api is down")
    assert response["channel"] == channel_id("#oncall-backend")
    assert response["ts"] == "1773483600.000100"  # 2026-03-14T10:20:00Z plus 100 µs
    assert response["message"]["text"] == "orders-api is down"
    [held] = standin.received("#oncall-backend")
    assert (held.text, held.ts, held.updated) == ("orders-api is down", response["ts"], False)
    assert held.at.isoformat() == "2026-03-14T10:20:00.000100+00:00"


def test_post_by_id_and_bare_name(client: WebClient, standin: SlackStandIn) -> None:
    first = client.chat_postMessage(channel=channel_id("#platform-team"), text="one")
    second = client.chat_postMessage(channel="platform-team", text="two", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    held = standin.received("#platform-team")
    assert [m.text for m in held] == ["one", "two"]
    assert held[1].thread_ts == first["ts"]
    assert standin.received("#general") == []


def test_blocks_are_kept(client: WebClient, standin: SlackStandIn) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*SEV1* orders-api"}}]
    response = client.chat_postMessage(channel="#oncall-backend", text="SEV1", blocks=blocks)
    assert response["message"]["blocks"] == blocks
    assert standin.received("#oncall-backend")[0].blocks == blocks


def test_block_without_type_is_rejected(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="#oncall-backend", text="x", blocks=[{"text": "no type"}])
    assert caught.value.response["error"] == "invalid_blocks"
    assert standin.messages == []


def test_update_replaces_text_and_keeps_ts(client: WebClient, standin: SlackStandIn) -> None:
    posted = client.chat_postMessage(channel="#oncall-backend", text="investigating")
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="resolved")
    assert (updated["ts"], updated["text"]) == (posted["ts"], "resolved")
    [held] = standin.received("#oncall-backend")
    assert (held.text, held.ts, held.updated) == ("resolved", posted["ts"], True)


def test_update_of_unknown_message(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_update(channel="#oncall-backend", ts="1.000001", text="x")
    assert caught.value.response["error"] == "message_not_found"


def test_unknown_channel_records_nothing(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="#nope", text="hello")
    assert caught.value.response["error"] == "channel_not_found"
    assert standin.messages == []


def test_missing_text_is_no_text(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as caught, pytest.warns(UserWarning, match="`text`"):
        client.chat_postMessage(channel="#oncall-backend")
    assert caught.value.response["error"] == "no_text"
    assert standin.messages == []


def test_form_encoded_post_with_token_field(base_url: str, standin: SlackStandIn) -> None:
    blocks = [{"type": "divider"}]
    form = {
        "token": TOKEN,
        "channel": "#general",
        "text": "from a form",
        "blocks": json.dumps(blocks),
    }
    response = httpx.post(base_url + "/api/chat.postMessage", data=form)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    [held] = standin.received("#general")
    assert (held.text, held.blocks) == ("from a form", blocks)


def test_world_messages_lists_records_without_auth(client: WebClient, base_url: str) -> None:
    client.chat_postMessage(channel="#oncall-backend", text="hello")
    messages = httpx.get(base_url + "/_world/messages").json()["messages"]
    assert [(m["channel"], m["text"]) for m in messages] == [("#oncall-backend", "hello")]
