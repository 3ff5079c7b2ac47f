"""The world's Loki-compatible log API, over plain HTTP as Loki's API documentation has it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from world.loki_api import LokiStandIn
from world.signals_spec import LogStream

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 14, 10, 20, tzinfo=UTC)
CHECKOUT_1 = {"namespace": "shop", "app": "checkout", "container": "app", "pod": "checkout-1"}
CHECKOUT_2 = {"namespace": "shop", "app": "checkout", "container": "app", "pod": "checkout-2"}
STREAMS = [
    {"labels": CHECKOUT_1, "lines": [
        "2026-03-14T10:00:00Z level=info msg=started",
        '2026-03-14T10:03:12.123456789Z level=error msg="charge failed" err=timeout',
        "2026-03-14T10:05:00Z level=warn msg=retry attempt=2",
        '2026-03-14T10:10:00Z level=error msg="charge failed" err=refused',
        "2026-03-14T10:30:00Z level=info msg=after-now",
    ]},
    {"labels": CHECKOUT_2, "lines": [
        '2026-03-14T10:04:00Z level=error msg="charge failed" err=timeout',
    ]},
    {"labels": {"namespace": "shop", "app": "cart", "container": "app"}, "lines": [
        "2026-03-14T10:02:00Z level=info msg=ok",
    ]},
    {"labels": {"namespace": "ops", "app": "cron", "job": "nightly"}, "lines": [
        "2026-03-14T02:00:00Z nightly job done",
    ]},
]  # fmt: skip


def ns(stamp: str) -> str:
    """Unix nanoseconds of a whole-second RFC 3339 time, as Loki writes them."""
    return str(int(datetime.fromisoformat(stamp).timestamp()) * 10**9)


@pytest.fixture(scope="module")
def loki() -> Iterator[httpx.Client]:
    streams = [LogStream.model_validate(s) for s in STREAMS]
    with LokiStandIn(streams, NOW) as standin, httpx.Client(base_url=standin.url) as client:
        yield client


def get(loki: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return loki.get(f"/loki/api/v1/{path}", params=params)


def ok(reply: httpx.Response) -> Any:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["status"] == "success"
    return body["data"]


def lines(data: dict[str, Any]) -> list[str]:
    """Every returned line, stream by stream."""
    return [line for r in data["result"] for _, line in r["values"]]


def test_query_range_returns_streams_with_nanosecond_entries(loki: httpx.Client) -> None:
    data = ok(get(loki, "query_range", query='{app="checkout"}', start="2026-03-14T10:00:00Z",
                  end="2026-03-14T10:20:00Z", direction="forward"))  # fmt: skip
    assert data["resultType"] == "streams"
    first, second = data["result"]
    assert first["stream"] == dict(sorted(CHECKOUT_1.items()))
    assert first["values"] == [
        [ns("2026-03-14T10:00:00+00:00"), "level=info msg=started"],
        ["1773482592123456789", 'level=error msg="charge failed" err=timeout'],
        [ns("2026-03-14T10:05:00+00:00"), "level=warn msg=retry attempt=2"],
        [ns("2026-03-14T10:10:00+00:00"), 'level=error msg="charge failed" err=refused'],
    ]
    assert second["stream"]["pod"] == "checkout-2"


def test_backward_is_the_default_and_limit_keeps_the_newest(loki: httpx.Client) -> None:
    data = ok(get(loki, "query_range", query='{namespace="shop"}', limit=2))
    assert [r["stream"]["pod"] for r in data["result"]] == ["checkout-1"]
    assert lines(data) == [
        'level=error msg="charge failed" err=refused',
        "level=warn msg=retry attempt=2",
    ]
    forward = ok(get(loki, "query_range", query='{namespace="shop"}', limit=2, direction="FORWARD"))
    assert sorted(lines(forward)) == ["level=info msg=ok", "level=info msg=started"]


def test_line_filters_chain(loki: httpx.Client) -> None:
    query = '{app="checkout"} |= "charge failed" != "refused"'
    data = ok(get(loki, "query_range", query=query, direction="forward"))
    assert [r["stream"]["pod"] for r in data["result"]] == ["checkout-1", "checkout-2"]
    assert lines(data) == ['level=error msg="charge failed" err=timeout'] * 2
    regex = ok(
        get(
            loki,
            "query_range",
            query='{namespace="shop"} |~ "err=(timeout|refused)" !~ `checkout-2`',
        )
    )
    assert len(lines(regex)) == 3
    quiet = ok(get(loki, "query_range", query='{namespace="shop"} !~ "level=(info|warn)"'))
    assert all("level=error" in line for line in lines(quiet))


def test_label_matchers(loki: httpx.Client) -> None:
    def pods(query: str) -> list[str]:
        data = ok(get(loki, "query_range", query=query))
        return sorted(r["stream"].get("pod", r["stream"]["app"]) for r in data["result"])

    assert pods('{app=~"check.*", pod!="checkout-2"}') == ["checkout-1"]
    assert pods('{namespace="shop", app!~"check.*"}') == ["cart"]
    assert pods('{app=~"cart|checkout", pod=~""}') == ["cart"]  # absent label = ""
    assert pods('{app=~"heck"}') == []  # regexes are anchored


def test_times_in_nanoseconds_seconds_and_since(loki: httpx.Client) -> None:
    start = ns("2026-03-14T10:04:00+00:00")
    end = f"{datetime(2026, 3, 14, 10, 5, tzinfo=UTC).timestamp():.3f}"
    data = ok(get(loki, "query_range", query='{app="checkout"}', start=start, end=end))
    assert lines(data) == ['level=error msg="charge failed" err=timeout']  # end is exclusive
    seconds = ok(get(loki, "query_range", query='{app="checkout"}', start="1773482640", end=end))
    assert lines(seconds) == lines(data)
    recent = ok(get(loki, "query_range", query='{app="checkout"}', since="12m"))
    assert lines(recent) == ['level=error msg="charge failed" err=refused']


def test_the_default_window_is_the_hour_before_now(loki: httpx.Client) -> None:
    data = ok(get(loki, "query_range", query='{namespace=~".+"}'))
    assert "level=info msg=after-now" not in lines(data)
    assert "nightly job done" not in lines(data)
    assert len(lines(data)) == 6


def test_instant_log_query_reads_back_from_its_time(loki: httpx.Client) -> None:
    data = ok(get(loki, "query", query='{app="checkout"}', time="2026-03-14T10:04:00Z", limit=2))
    assert data["resultType"] == "streams"
    assert sorted(lines(data)) == ['level=error msg="charge failed" err=timeout'] * 2
    late = ok(get(loki, "query", query='{job="nightly"}'))
    assert lines(late) == ["nightly job done"]


def test_labels_and_label_values(loki: httpx.Client) -> None:
    assert ok(get(loki, "labels")) == ["app", "container", "namespace", "pod"]
    all_day = ok(get(loki, "labels", start="2026-03-14T00:00:00Z"))
    assert all_day == ["app", "container", "job", "namespace", "pod"]
    assert ok(get(loki, "label/app/values")) == ["cart", "checkout"]
    assert ok(get(loki, "label/app/values", query='{pod=~".+"}')) == ["checkout"]
    assert ok(get(loki, "label/missing/values")) == []
    series = ok(get(loki, "series", **{"match[]": '{app="cart"}'}))
    assert series == [{"app": "cart", "container": "app", "namespace": "shop"}]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": '{app="checkout"'}, "parse error at line 1, col 16: syntax error"),
        ({"query": "{app=checkout}"}, "col 6: syntax error: unexpected IDENTIFIER, expecting"),
        ({"query": '{app="x"} |= error'}, "parse error at line 1, col 14"),
        ({"query": '{app!="x"}'}, "queries require at least one regexp or equality matcher"),
        ({"query": '{app=~".*"}'}, "does not have an empty-compatible value"),
        ({"query": '{app="x"} | json'}, "is not supported by this log API"),
        ({"query": 'rate({app="x"}[5m])'}, "metric query rate(...) is not supported"),
        ({"query": '{app=~"("}'}, "parse error : error parsing regexp"),
        ({"query": '{app="x'}, "literal not terminated"),
        ({"query": '{app="x"}', "limit": "6000"}, "max entries limit per query exceeded"),
        ({"query": '{app="x"}', "limit": "0"}, "limit must be a positive value"),
        ({"query": '{app="x"}', "direction": "sideways"}, "invalid direction"),
        ({"query": '{app="x"}', "start": "2026-03-14T10:05:00Z", "end": "2026-03-14T10:00:00Z"},
         "end timestamp must not be before or equal to start time"),
        ({"query": '{app="x"}', "start": "yesterday"}, 'cannot parse "yesterday"'),
        ({}, "query parameter is required"),
    ],
)  # fmt: skip
def test_bad_requests_answer_400_in_plain_text(
    loki: httpx.Client, params: dict[str, str], message: str
) -> None:
    reply = get(loki, "query_range", **params)
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith("text/plain")
    assert message in reply.text


def test_label_values_reject_line_filters(loki: httpx.Client) -> None:
    reply = get(loki, "label/app/values", query='{app="cart"} |= "x"')
    assert reply.status_code == 400
    assert "only label matchers are supported" in reply.text


def test_ready(loki: httpx.Client) -> None:
    assert loki.get("/ready").text == "ready\n"
