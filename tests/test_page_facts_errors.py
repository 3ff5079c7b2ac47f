"""Errors (kinds, messages, counts, stack frames) and log lines."""

from __future__ import annotations

import pytest

from agents.root_cause.facts.errors import frames_in, kinds_in
from agents.root_cause.facts.logs import record_level
from agents.root_cause.facts.pages import page_facts
from agents.root_cause.facts.types import ErrorSignal, Frame, LogLine
from tests.test_page_facts import ALERT, URL, at, heading, snap, table, text


def errors_of(*blocks: str) -> dict[str, ErrorSignal]:
    facts = page_facts(snap(*blocks), URL, "dashboard:4", ALERT)
    return {e.kind: e for e in facts.errors}


def logs_of(*blocks: str) -> tuple[LogLine, ...]:
    return page_facts(snap(*blocks), URL, "dashboard:4", ALERT).logs


# --- kinds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("raise ValueError: bad input", "ValueError"),
        (
            "caused by java.net.SocketTimeoutException: read timed out",
            "java.net.SocketTimeoutException",
        ),
        ("Net::ReadTimeout (Net::ReadTimeout)", "Net::ReadTimeout"),
        ("Orders::LookupFailed (no row)", "Orders::LookupFailed"),
        ("grpc call ended with DeadlineExceeded", "DeadlineExceeded"),
        ("connect ECONNREFUSED 10.1.2.3:5432", "ECONNREFUSED"),
        ("An error occurred (AccessDenied) when calling the PutObject operation", "AccessDenied"),
        (
            "An error occurred (ThrottlingException) when calling the Query operation",
            "ThrottlingException",
        ),  # fmt: skip
        ("upload refused: AccessDenied for role exports-worker", "AccessDenied"),
        ("lookup failed: EAI_AGAIN for db.example.net", "EAI_AGAIN"),
        ("status: SERVFAIL, id: 7731", "SERVFAIL"),
        ("status: NXDOMAIN", "NXDOMAIN"),
        ("container exit reason OOMKilled", "OOMKilled"),
        ("dial tcp 10.2.3.0: ECONNREFUSED", "ECONNREFUSED"),
        ("exit code 137, 3 OOMKilled", "OOMKilled"),
        ("Back-off restarting: CrashLoopBackOff", "CrashLoopBackOff"),
        ("pod api-7f9 status Evicted: the node had condition DiskPressure", "Evicted"),
        ("upstream said 503 Service Unavailable", "HTTP 503"),
        ("vendor answered HTTP 429", "HTTP 429"),
        ('{"status":502,"msg":"bad gateway"}', "HTTP 502"),
        ("ERROR: SQLSTATE 53300 connection limit", "SQLSTATE 53300"),
        ("FATAL: too many clients for role app", "too many clients"),
        ("Get http://b:80/x: context deadline exceeded", "context deadline exceeded"),
        ('{"error":"quota_exceeded"}', "quota_exceeded"),
        ("TLS: HANDSHAKE_FAILED", "HANDSHAKE_FAILED"),
        (
            "Status Reason: We currently do not have sufficient m7g.xlarge capacity in the "
            "Availability Zone you requested",
            "do not have sufficient m7g.xlarge capacity",
        ),
        ("scale-up failed: InsufficientInstanceCapacity", "insufficientinstancecapacity"),
        ("panic: runtime error: index out of range", "panic"),
    ],
)
def test_kinds(written: str, kind: str) -> None:
    assert kind in [k for k, _, _ in kinds_in(written)]


@pytest.mark.parametrize(
    "written",
    [
        "CLIENT_TIMEOUT=2s WORKER_POOL_SIZE=8",  # settings, not errors
        "statement_timeout = 5s",
        "-XX:+CrashOnOutOfMemoryError",  # a JVM flag
        "errors are rare; the error budget is fine",  # prose
        "HTTP 5xx ratio 0.1%",  # no code
        "AlphaHighErrorRate firing",  # an alert name
        "policy AccessDeniedAlerts routes to #security",  # a longer name, not the code
        "(Retry) when calling it again",  # a word in parentheses, no SDK error
        "Evicted keys (24h) 0 · maxmemory-policy noeviction",  # a cache's evictions, no pod's
        'No "too many connections", no statement timeouts, no restarts',  # what did not happen
        "finished without lock timeout",
        "never a connection reset",
        "reason / exit code: 44 of 44 terminations · no OOMKilled",
        "0 Evicted, 0 CrashLoopBackOff in 24 h",
    ],
)
def test_not_kinds(written: str) -> None:
    assert kinds_in(written) == []


# --- frames ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "frame"),
    [
        ('File "/srv/app/db.py", line 12, in checkout', Frame("/srv/app/db.py", 12, "checkout")),
        (
            "at com.example.pay.Client.charge(Client.java:123)",
            Frame("Client.java", 123, "com.example.pay.Client.charge"),
        ),
        ("internal/geo/lookup.go:88", Frame("internal/geo/lookup.go", 88, None)),
        ("app/models/invoice.rb:12:in `total'", Frame("app/models/invoice.rb", 12, "total")),
        ("at render (src/views/list.ts:40:12)", Frame("src/views/list.ts", 40, "render")),
        (
            "src/store/upload.ts in putPart at line 51:9",
            Frame("src/store/upload.ts", 51, "putPart"),
        ),
    ],
)
def test_frames(written: str, frame: Frame) -> None:
    assert frames_in(written) == [frame]


def test_frames_ignore_hosts_and_versions() -> None:
    assert frames_in("connect to db.example.net:5432 running 1.42.0") == []


# --- signals on a page ----------------------------------------------------------------------


def test_python_traceback_gives_kind_message_time_and_frames() -> None:
    record = (
        "2025-06-03T11:08:12.204Z ERROR svc-alpha unhandled exception Traceback (most recent call "
        'last): File "/srv/app/api.py", line 40, in handler File "/srv/app/db.py", line 12, in '
        "checkout pool.TimeoutError: pool limit of size 5 reached"
    )
    found = errors_of(text(record))["pool.TimeoutError"]
    assert found.message == "pool limit of size 5 reached"
    assert found.at == at("11:08").replace(second=12, microsecond=204000)
    assert [f.line for f in found.frames] == [40, 12] and found.source == "dashboard:4"


def test_frames_on_their_own_lines_belong_to_the_error_above() -> None:
    found = errors_of(
        heading("Exception"),
        text(
            "PartRejected: the store refused the part",
            "src/store/upload.ts in putPart at line 51:9",
            "src/routes/media.ts in handle at line 88:5",
        ),
    )
    assert [f.function for f in found["PartRejected"].frames] == ["putPart", "handle"]


def test_a_frame_keeps_the_source_line_and_null_locals_a_traceback_prints_under_it() -> None:
    found = errors_of(text(
        'AttributeError: \'NoneType\' object has no attribute \'strip\' File "shop/api.py", '
        'line 12, in create File "shop/tax.py", line 88, in rate code = region.strip() '
        "locals of rate: order=<Order 7>, region=None, total=Decimal('3.10')"
    ))["AttributeError"]  # fmt: skip
    outer, inner = found.frames
    assert (outer.code, outer.nulls) == ("", ())
    assert inner.code.startswith("code = region.strip()") and inner.nulls == ("region",)


def test_a_tracker_frame_takes_the_pointed_line_of_the_numbered_excerpt_below_it() -> None:
    found = errors_of(
        text("TypeError: Cannot read properties of undefined (reading 'id')"),
        text("src/cart/owner.ts in ownerOf at line 21 In App"),
        text(
            "19 const cart = carts.get(key) 20 const user = cart.user ▸ 21 return user.id "
            "22 } 23 export default ownerOf"
        ),  # fmt: skip
        table([], [["user", "undefined"], ["cart", "{…}"]]),
    )["TypeError"]
    (frame,) = found.frames
    assert frame.code == "return user.id" and frame.nulls == ("user",)


def test_no_code_from_text_that_is_no_excerpt_and_no_null_from_other_values() -> None:
    found = errors_of(
        text("KeyError: 'sku'"),
        text("src/stock/levels.py in reserve at line 40 In App"),
        text("12 reservations failed in 5 minutes, 3 retried"),
        table([], [["sku", "'A-1'"], ["Nonexistent", "None of them"], ["qty", "Nonetheless"]]),
    )["KeyError"]
    (frame,) = found.frames
    assert frame.code == "In App" and frame.nulls == ()
    said = frames_in('File "a/b.py", line 3, in f x = load() # returns None or a dict')
    assert said[0].nulls == ()


@pytest.mark.parametrize(
    ("written", "count"),
    [
        ("QuotaError ×123 since noon", 123),
        ("RenderError x77 in 6d", 77),
        ("GatewayError count=12", 12),
        ("ReadTimeoutError (1,234 in 5m)", 1234),
        ("top error: backend_unavailable (4,321)", 4321),
    ],
)
def test_counts(written: str, count: int) -> None:
    found = errors_of(text(written))
    assert [e.count for e in found.values()] == [count]


def test_count_column_of_an_error_table() -> None:
    errors = table(
        ["Error", "Upstream", "Count"],
        [["ValidationError", "svc-beta", "18,214"], ["GatewayError", "svc-gamma", "0"]],
    )
    found = errors_of(errors)
    assert found["ValidationError"].count == 18214
    assert "GatewayError" not in found  # shown with a count of zero: it did not happen


def test_same_kind_is_one_signal_with_the_earliest_time_and_largest_count() -> None:
    found = errors_of(
        text(
            "2025-06-03T11:05:00Z ERROR sqlalchemy.exc.TimeoutError: pool limit reached",
            "2025-06-03T11:02:00Z ERROR TimeoutError: pool limit reached",
            "TimeoutError ×40",
        )
    )
    assert list(found) == ["sqlalchemy.exc.TimeoutError"]
    assert (
        found["sqlalchemy.exc.TimeoutError"].at,
        found["sqlalchemy.exc.TimeoutError"].count,
    ) == (
        at("11:02"),
        40,
    )


def test_annotation_time_beside_the_error() -> None:
    found = errors_of(text("11:02 deploy 1a2b3c4 · 11:14:05 first OOMKilled · 11:20 page"))
    assert found["OOMKilled"].at == at("11:14").replace(second=5)


def test_a_json_record_says_what_failed_in_its_most_specific_field() -> None:
    record = (
        '{"ts":"2025-06-03T11:08:12Z","level":"error","msg":"write rejected","status":409,'
        '"error_type":"document_missing_exception","reason":"[item-88]: document missing"}'
    )
    found = errors_of(text(record))
    assert found["document_missing_exception"].message == "[item-88]: document missing"
    assert found["HTTP 409"].message == "[item-88]: document missing"
    plain = '{"level":"error","msg":"charge failed","error":"card_declined: insufficient funds"}'
    assert errors_of(text(plain))["card_declined"].message == "insufficient funds"


def test_a_status_keeps_its_reason_phrase_and_proxies_say_what_failed() -> None:
    edge = errors_of(text("11:20:04 edge: 431 Request Header Fields Too Large to 2% of GETs"))
    assert "Request Header Fields Too Large" in edge["HTTP 431"].message
    told = errors_of(text("11:20 upstream said 413 Payload Too Large: body over 10 MiB"))
    assert told["HTTP 413"].message == "Payload Too Large: body over 10 MiB"
    envoy = errors_of(text("11:20 upstream reset: 503 UH no healthy upstream (x412)"))
    assert "no healthy upstream" in envoy
    nginx = errors_of(text("2025/06/03 11:20:01 [error] 31#31: *9 upstream timed out (110: "
                           "Connection timed out) while reading response header"))  # fmt: skip
    assert "upstream timed out" in nginx
    ports = errors_of(text("dial tcp 10.2.0.8:443: connect: cannot assign requested address"))
    assert "cannot assign requested address" in ports
    assert errors_of(text("HTTP 400 Bad Request: missing field 'sku'"))["HTTP 400"].message == (
        "Bad Request: missing field 'sku'")  # fmt: skip


def test_no_errors_on_a_quiet_page() -> None:
    assert errors_of(text("All good", "Requests 120/s · errors 0.00%", "p99 180 ms")) == {}


# --- log lines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "level"),
    [
        ("2025-06-03T11:00:00Z ERROR svc-alpha failed", "ERROR"),
        ("2025-06-03 11:00:00.120 UTC [61] WARNING: slow", "WARN"),
        ("2025-06-03T11:00:00Z info sync/watch.go:318 reloaded", "INFO"),
        ('{"level":"warn","ts":"2025-06-03T11:00:00Z","msg":"slow"}', "WARN"),
        ('{"level":50,"time":1748948400000,"msg":"boom"}', "ERROR"),
        ("ts=2025-06-03T11:00:00Z level=error msg=boom", "ERROR"),
        ("[2025-06-03T11:00:00.120+0000][info][gc] Pause Young", "INFO"),
        ("E0603 11:00:00.123456 1 controller.go:212] requeue item", "ERROR"),
        ("2025-06-03T11:00:00.210Z W0603 11:00:00.210976 1 asg.go:651] scale-up failed", "WARN"),
        ("F, [2025-06-03T11:00:00.1 #1] FATAL -- : gone", "FATAL"),
        ("CRITICAL checkout failed for every order", "FATAL"),
    ],
)
def test_levels(record: str, level: str) -> None:
    assert record_level(record) == level


@pytest.mark.parametrize(
    "record",
    [
        "Set the log level to ERROR when debugging is over",  # prose
        "Open the error dashboard and look at the warnings",
        "11:00 deploy svc-alpha",
    ],
)
def test_not_log_records(record: str) -> None:
    assert record_level(record) is None


def test_log_block_is_cut_into_records_with_times_and_counts() -> None:
    block = (
        "2025-06-03T11:00:01.000Z INFO svc-alpha started "
        "2025-06-03T11:00:05.000Z WARN svc-alpha slow query (x12) "
        '{"level":"error","ts":"2025-06-03T11:00:09Z","msg":"write failed"} '
        "E0603 11:00:10.000001 1 sync.go:9] apply failed"
    )
    found = logs_of(text(block))
    assert [(x.level, x.at, x.count) for x in found] == [
        ("INFO", at("11:00").replace(second=1), None),
        ("WARN", at("11:00").replace(second=5), 12),
        ("ERROR", at("11:00").replace(second=9), None),
        ("ERROR", at("11:00").replace(second=10, microsecond=1), None),
    ]


def test_epoch_milliseconds() -> None:
    found = logs_of(text('{"level":40,"time":1748948400000,"msg":"slow"}'))
    assert found[0].at == at("11:00") and found[0].level == "WARN"


def test_a_summary_line_with_a_count() -> None:
    found = logs_of(text("ERROR 44,870 api.Handler request failed"))
    assert (found[0].level, found[0].count, found[0].at) == ("ERROR", 44870, None)


def test_no_log_lines_in_prose() -> None:
    assert logs_of(text("If the error rate is above 2%, page the on-call.")) == ()


def test_an_errors_gist_keeps_the_cause_of_a_wrapped_chain() -> None:
    from agents.root_cause.facts.text import gist

    grpc = ("load basket 8812: rpc error: code = Unavailable desc = connection error: desc = "
            "\"transport: Error while dialing: dial tcp 10.4.1.9:443: i/o timeout\"")  # fmt: skip
    assert gist(grpc, 90).startswith('"transport: Error while dialing')
    go = ("handle order 77: save order: insert order_lines: pq: duplicate key value violates "
          "unique constraint \"order_lines_pkey\"")  # fmt: skip
    assert gist(go, 80) == 'pq: duplicate key value violates unique constraint "order_lines_pkey"'
    aws = ("upload: operation error S3: PutObject, https response error StatusCode: 503, "
           "RequestID: 4Q2J9XK1M8ZC7T3B, HostID: 8f0a4b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d, "
           "api error SlowDown: Please reduce your request rate.")  # fmt: skip
    assert "RequestID" not in gist(aws, 200) and "SlowDown" in gist(aws, 90)
    # a `: ` inside quotes is no wrapper, and a short message stays whole
    quoted = "(1406, \"Data too long for column 'note': at row 1 of the imported batch file\")"
    assert gist(quoted, 60).startswith('(1406, "Data too long')
    assert gist("connect: connection refused", 90) == "connect: connection refused"
