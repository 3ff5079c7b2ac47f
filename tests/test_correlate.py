"""Each correlation rule on inputs written for it, positive and negative (docs/diagnosis.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from agents.root_cause import correlate
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import (
    ChangeFacts,
    ConfigValue,
    DeployMarker,
    ErrorSignal,
    Frame,
    Line,
    Notice,
    Onset,
    PageFacts,
    Point,
    Series,
)
from agents.root_cause.score import none_evidence
from core.windows import CHANGE_WINDOW, LONGEST_WINDOW

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


SHA = "4be1c07d92aa1f3e5b6c7d8e9f0a1b2c3d4e5f60"
MARKERS = (
    DeployMarker(at(-90), "deploy api 1.8.0", sha="9a0b1c2d"),
    DeployMarker(at(-20), "deploy api 1.8.1", sha=SHA[:8], pr=311),
    DeployMarker(at(15), "deploy api 1.8.2", pr=318),
)


# --- deploy marker ↔ merge commit ↔ PR ------------------------------------------------------


def test_a_marker_names_a_change_by_commit_prefix_or_pr_number() -> None:
    assert correlate.marker_for(SHA, None, MARKERS) is MARKERS[1]
    assert correlate.marker_for(None, 318, MARKERS) is MARKERS[2]
    assert correlate.marker_for("9a0b1c2d0000", 17, MARKERS) is MARKERS[0]


def test_a_release_ships_every_pr_it_lists() -> None:
    release = DeployMarker(at(-5), "release 7.2 image 1c9e4d2 (#501 retries, #504 logging, "
                           "#507 bump)", sha="1c9e4d2", pr=501)  # fmt: skip
    own = DeployMarker(at(-60), "deploy api 7.1 (#504)", pr=504)
    assert correlate.marker_for(None, 507, (release,)) is release
    assert correlate.marker_for(None, 504, (release, own)) is own  # its own deploy first
    assert correlate.marker_for(None, 509, (release,)) is None
    bare = DeployMarker(
        at(-5), "deploy api 7.2 fixes #507", sha="1c9e4d2"
    )  # names no PR of its own
    assert correlate.marker_for(None, 507, (bare,)) is None


def test_no_marker_for_other_commits_short_prefixes_or_numbers() -> None:
    assert correlate.marker_for("ffffffffffff", 999, MARKERS) is None
    short = (DeployMarker(at(0), "deploy", sha="4be1c0"),)  # 6 digits: too short to trust
    assert correlate.marker_for(SHA, None, short) is None
    assert correlate.marker_for(None, None, MARKERS) is None


# --- the onset between two deploys points at the earlier; later changes are ruled out -------


def test_the_last_deploy_before_the_onset_is_the_one_it_follows() -> None:
    last = correlate.last_deploy_before(T0, MARKERS)
    assert last == at(-20)
    earlier = correlate.timing(at(-40), MARKERS[1], T0, last)
    assert earlier.last_before_onset and not earlier.after_onset


def test_a_change_deployed_after_the_onset_is_ruled_out_however_recent() -> None:
    last = correlate.last_deploy_before(T0, MARKERS)
    later = correlate.timing(at(-10), MARKERS[2], T0, last)  # merged before, deployed after
    assert later.after_onset and not later.last_before_onset
    merged_after = correlate.timing(at(5), None, T0, last)
    assert merged_after.after_onset


def test_older_deploys_and_unmarked_changes_are_not_the_last_deploy() -> None:
    last = correlate.last_deploy_before(T0, MARKERS)
    older = correlate.timing(at(-120), MARKERS[0], T0, last)
    assert not older.last_before_onset and not older.after_onset
    unmarked = correlate.timing(at(-30), None, T0, last)
    assert unmarked.deployed_at is None and not unmarked.last_before_onset
    assert correlate.last_deploy_before(at(-100), MARKERS) is None


def test_the_onset_is_the_earliest_a_page_shows_and_never_after_the_alert() -> None:
    def page(minute: float) -> PageFacts:
        return PageFacts("p", "u", "t", onset=Onset(at(minute), "errors", 0.1, 9.0, None, "p"))

    assert correlate.onset_of([page(-5), page(-12)], T0).at == at(-12)  # type: ignore[union-attr]
    assert correlate.onset_of([page(30)], T0) is None
    assert correlate.onset_of([], T0) is None


def test_a_recovery_counts_only_when_every_problem_series_came_back() -> None:
    dip = PageFacts("p", "u", "t", onset=Onset(at(-20), "Ready pods", 6, 3, at(-19), "p"))
    errors = PageFacts("q", "u", "t", onset=Onset(at(-1), "5xx ratio", 0.2, 93, None, "q"))
    calm = PageFacts("q", "u", "t", onset=Onset(at(-1), "5xx ratio", 0.2, 9, at(3), "q"))
    assert not correlate.recovered(dip.onset, [dip, errors])  # the errors are still up
    assert correlate.recovered(dip.onset, [dip, calm])
    assert correlate.recovered(dip.onset, [dip])
    assert not correlate.recovered(errors.onset, [errors])
    assert not correlate.recovered(None, [])
    later = PageFacts("r", "u", "t", onset=Onset(at(20), "5xx ratio", 0.3, 93, None, "r"))
    assert not correlate.recovered(dip.onset, [dip, later])  # it went up again after the alert


def test_answers_clients_caused_rising_earlier_are_not_the_start_of_a_failure() -> None:
    logins = PageFacts("p", "u", "t", onset=Onset(at(-40), "Login 401/s", 0.6, 1.9, None, "p"))
    errors = PageFacts("q", "u", "t", onset=Onset(at(-20), "5xx ratio", 0, 8, None, "q"))
    assert correlate.onset_of([logins, errors], T0).at == at(-20)  # type: ignore[union-attr]
    assert correlate.onset_of([logins], T0).at == at(-40)  # type: ignore[union-attr]


def test_a_problem_series_onset_wins_over_an_earlier_departure_of_another_series() -> None:
    errors = PageFacts("p", "u", "t", onset=Onset(at(-5), "5xx ratio", 0.1, 29.0, None, "p"))
    clients = PageFacts("q", "u", "t", onset=Onset(at(-55), "client connections", 103, 147, None,
                                                   "q", problem=False))  # fmt: skip
    assert correlate.onset_of([clients, errors], T0).at == at(-5)  # type: ignore[union-attr]
    assert correlate.onset_of([clients], T0).at == at(-55)  # type: ignore[union-attr]


def test_failures_timed_after_a_deploy_inside_the_onsets_bucket_began_after_it() -> None:
    bucket = Onset(at(0), "failed jobs", 2.0, 600.0, None, "p", step=300.0)
    deploy = (DeployMarker(at(3.5), "apply finished"),)
    assert correlate.failures_began(bucket, [at(-30), at(3.8), at(4.5)], deploy) == at(3.8)


def test_the_onsets_time_stands_without_a_deploy_inside_or_a_failure_after_it() -> None:
    bucket = Onset(at(0), "failed jobs", 2.0, 600.0, None, "p", step=300.0)
    inside = (DeployMarker(at(3.5), "apply finished"),)
    assert correlate.failures_began(bucket, [at(3.8)], ()) == at(0)  # no deploy inside
    assert correlate.failures_began(bucket, [at(1.0), at(3.8)], inside) == at(0)  # failed before
    assert correlate.failures_began(bucket, [at(1.0)], ()) == at(0)  # no deploy inside
    later = (DeployMarker(at(4.5), "deploy"),)
    assert correlate.failures_began(bucket, [at(3.8)], later) == at(0)  # deploy after them
    fine = Onset(at(0), "failed jobs", 2.0, 600.0, None, "p", step=60.0)
    assert correlate.failures_began(fine, [at(0.9)], (DeployMarker(at(0.5), "d"),)) == at(0)


def test_a_deploy_inside_the_onsets_bucket_with_no_failure_timed_in_it_is_where_they_began() -> (
    None
):
    hourly = Onset(at(0), "queue age", 2.0, 90.0, None, "p", step=3600.0)
    deploys = (DeployMarker(at(25), "deploy 4be1f0c"), DeployMarker(at(40), "deploy later"))
    assert correlate.failures_began(hourly, [], deploys) == at(25)  # the first inside
    assert correlate.failures_began(hourly, [at(90)], deploys) == at(25)  # timed after the bucket
    assert correlate.failures_began(hourly, [at(10)], deploys) == at(0)  # failing before it
    assert correlate.failures_began(hourly, [], (DeployMarker(at(61), "next hour"),)) == at(0)
    assert correlate.failures_began(hourly, [], (DeployMarker(at(1), "with the row"),)) == at(0)
    assert correlate.failures_began(hourly, [], deploys, flat_before=False) == at(0)  # climbing


def test_a_series_climbing_before_its_onset_is_not_flat_before_it() -> None:
    onset = Onset(at(0), "volume used", 40.0, 80.0, None, "dashboard:0", step=3600.0)
    climbing = Series("volume used", "%", tuple(Point(at(-60 * i), 62.0 - 2.0 * i)
                                                for i in range(1, 8)), "dashboard:0")  # fmt: skip
    level = Series("volume used", "%", tuple(Point(at(-60 * i), 40.0 + 0.2 * (i % 2))
                                             for i in range(1, 8)), "dashboard:0")  # fmt: skip
    page = PageFacts(source="dashboard:0", url="u", title="t", series=(climbing,))
    assert not correlate.flat_before(onset, [page])
    assert correlate.flat_before(onset, [replace(page, series=(level,))])
    assert correlate.flat_before(onset, [])  # not shown: nothing says otherwise


# --- a stack frame's file among a change's files ---------------------------------------------


def test_a_frame_in_a_changed_file_is_found_by_path_suffix() -> None:
    errors = [ErrorSignal("TypeError", "x is undefined",
                          frames=(Frame("/srv/app/src/cart/totals.ts", 41, "sum"),))]  # fmt: skip
    assert correlate.frame_hits(["src/cart/totals.ts", "README.md"], errors) == [
        ("src/cart/totals.ts", Frame("/srv/app/src/cart/totals.ts", 41, "sum"))
    ]
    py = [ErrorSignal("KeyError", "'id'", frames=(Frame("billing/invoice.py", 12),))]
    assert correlate.frame_hits(["services/billing/invoice.py"], py)


def test_frames_elsewhere_or_of_a_same_named_file_in_another_folder_do_not_match() -> None:
    errors = [ErrorSignal("TypeError", "x", frames=(Frame("src/cart/totals.ts", 41),))]
    assert correlate.frame_hits(["src/checkout/totals.ts"], errors) == []
    assert correlate.frame_hits(["lib/util.ts"], errors) == []
    assert correlate.frame_hits(["src/cart/totals.ts"], [ErrorSignal("X", "y")]) == []


# --- the line a frame shows ↔ a line the change added; where a null value came from ----------

NULL_PATCH = (
    "@@ -30,6 +30,12 @@ def rate(order):\n"
    "     base = TAX_TABLE[order.country]\n"
    "+    if order.ships_abroad:\n"
    "+        region = order.destination_region\n"
    "+        code = region.strip().upper()\n"
    "+        return base * REGIONAL[code]\n"
    "     return base\n"
)


def test_a_frame_showing_a_line_the_change_added_is_that_line_whatever_its_number() -> None:
    facts = change_facts("PR #1", ["shop/tax.py"], {"shop/tax.py": NULL_PATCH})
    shown = Frame("shop/tax.py", 57, "rate", nulls=("region",),
                  code="code = region.strip().upper() locals: region=None")  # fmt: skip
    line = correlate.shown_line(facts, "shop/tax.py", shown)
    assert line is not None and line.text.strip() == "code = region.strip().upper()"
    assert correlate.null_source(facts, "shop/tax.py", shown, line.text) == (
        "`order.destination_region` was None there (read into `region`)"
    )
    ts = change_facts("PR #2", ["src/owner.ts"], {"src/owner.ts": (
        "@@ -1,2 +1,3 @@\n function ownerOf(cart) {\n"
        "+  const user: User | undefined = cart.user;\n   return user.id\n")})  # fmt: skip
    frame = Frame("src/owner.ts", 3, code="return user.id", nulls=("user",))
    assert correlate.null_source(ts, "src/owner.ts", frame, "return user.id") == (
        "`cart.user` was null there (read into `user`)"
    )


def test_no_shown_line_for_other_files_short_lines_or_comments_and_no_null_unassigned() -> None:
    facts = change_facts("PR #1", ["shop/tax.py"], {"shop/tax.py": NULL_PATCH})
    shown = Frame("shop/tax.py", 33, code="code = region.strip().upper()", nulls=("region",))
    assert correlate.shown_line(facts, "shop/rates.py", shown) is None
    assert correlate.shown_line(facts, "shop/tax.py", Frame("shop/tax.py", 33)) is None
    short = change_facts("PR #2", ["a.py"], {"a.py": "@@ -1,1 +1,2 @@\n x = 1\n+    return None\n"})
    assert correlate.shown_line(short, "a.py", Frame("a.py", 2, code="return None")) is None
    comment = change_facts("PR #3", ["a.py"], {"a.py": (
        "@@ -1,1 +1,2 @@\n x = 1\n+# region may be None on old orders\n")})  # fmt: skip
    said = Frame("a.py", 2, code="# region may be None on old orders here")
    assert correlate.shown_line(comment, "a.py", said) is None
    # a null the line does not use, or one the change never assigns, says nothing
    other = Frame("shop/tax.py", 33, code="code = region.strip().upper()", nulls=("order",))
    assert correlate.null_source(facts, "shop/tax.py", other, other.code) == ""
    unset = Frame("shop/tax.py", 34, code="return base * REGIONAL[code]", nulls=("base",))
    assert correlate.null_source(facts, "shop/tax.py", unset, unset.code) == ""
    compared = change_facts("PR #4", ["a.py"], {"a.py": (
        "@@ -1,1 +1,2 @@\n x = 1\n+    if region == other:\n")})  # fmt: skip
    assert correlate.null_source(compared, "a.py", shown, "if region == other:") == ""


# --- a dependency bump ↔ error text naming that library -------------------------------------


def bump(file: str, patch: str) -> object:
    return change_facts("PR #1", [file], {file: patch})


def test_a_bumped_library_named_by_the_errors_is_linked() -> None:
    facts = change_facts("PR #1", ["package.json"], {"package.json": (
        '@@ -8,3 +8,3 @@\n   "dependencies": {\n-    "undici": "6.19.2",\n+    "undici": "7.1.0",\n'
        '     "zod": "3.23.8",\n')})  # fmt: skip
    texts = ["UND_ERR_HEADERS_TIMEOUT at undici/lib/dispatcher/client-h1.js:780"]
    assert correlate.named_dependencies(facts, texts) == ["undici"]
    scoped = change_facts("PR #2", ["package.json"], {"package.json": (
        '@@ -8,2 +8,2 @@\n-    "@acme-cloud/storage-sdk": "3.1.0",\n'
        '+    "@acme-cloud/storage-sdk": "3.9.0",\n')})  # fmt: skip
    assert correlate.named_dependencies(scoped, ["storage-sdk: checksum header rejected"])


def test_a_library_of_another_language_than_the_failing_frames_is_not_linked() -> None:
    go = change_facts(
        "PR #4",
        ["go.mod"],
        {
            "go.mod": (
                "@@ -5,2 +5,2 @@\n-\tgithub.com/acme/msgpack v1.4.0\n"
                "+\tgithub.com/acme/msgpack v1.6.0\n"
            )
        },
    )
    java = ["com.acme.msgpack.MessageTypeException Unpacker.java MessageReader.java"]
    assert correlate.named_dependencies(go, java) == []  # a Go module throws nothing in Java
    assert correlate.named_dependencies(go, ["panic: msgpack: invalid code at decode.go:118"]) == [
        "github.com/acme/msgpack"]  # fmt: skip
    jvm = change_facts("PR #6", ["build.gradle"], {"build.gradle": (
        "@@ -9,2 +9,2 @@\n-    implementation 'com.acme:msgpack:0.9.1'\n"
        "+    implementation 'com.acme:msgpack:0.10.0'\n")})  # fmt: skip
    assert correlate.named_dependencies(jvm, java)
    assert correlate.named_dependencies(go, ["msgpack decode failed"])  # no frames: no language


def test_a_package_moved_only_in_the_lock_file_is_named_first_and_a_scope_names_none() -> None:
    files = {
        "package.json": ('@@ -8,2 +8,2 @@\n-    "@acme/client-core": "1.2.0",\n'
                         '+    "@acme/client-core": "^1.9.0",\n'),
        "package-lock.json": ('@@ -90,4 +90,4 @@\n     "node_modules/@acme/client-core": {\n'
                              '-      "version": "1.2.0",\n+      "version": "1.9.0",\n'
                              '@@ -300,4 +300,4 @@\n'
                              '     "node_modules/@acme/signing-middleware": {\n'
                              '-      "version": "0.8.1",\n+      "version": "0.9.0",\n'
                              '@@ -400,4 +400,4 @@\n     "node_modules/@acme/presigner": {\n'
                              '-      "version": "1.2.0",\n+      "version": "1.9.0",\n'),
    }  # fmt: skip
    facts = change_facts("PR #3", list(files), files)
    frames = ["/app/node_modules/@acme/client-core/dist/index.js "
              "/app/node_modules/@acme/signing-middleware/dist/index.js"]  # fmt: skip
    assert correlate.named_dependencies(facts, frames) == [
        "@acme/signing-middleware", "@acme/client-core"]  # fmt: skip
    assert correlate.named_dependencies(facts, ["/app/node_modules/@acme/other/x.js"]) == []


def test_the_runtime_a_base_image_or_type_declarations_are_never_named_by_text() -> None:
    files = {
        "Dockerfile": (
            "@@ -1,2 +1,2 @@\n-FROM node:20.18.3-slim\n+FROM node:22.14.0-slim\n WORKDIR /app\n"
        ),
        "package.json": ('@@ -3,4 +3,4 @@\n   "engines": {\n-    "node": ">=20.11"\n'
                         '+    "node": ">=22"\n   },\n@@ -20,2 +20,2 @@\n'
                         '-    "@types/node": "20.11.0",\n+    "@types/node": "22.10.0",\n'
                         '-    "prom-client": "15.0.0",\n+    "prom-client": "15.1.3",\n'),
    }  # fmt: skip
    facts = change_facts("PR #5", list(files), files)
    oom = ["out of memory: Killed process 4242 (node) total-vm:2097152kB"]
    assert correlate.named_dependencies(facts, oom) == []
    assert correlate.named_dependencies(facts, ["TypeError at prom-client/lib/registry.js:40"]) == [
        "prom-client"]  # fmt: skip


def test_a_bystander_error_counted_far_below_the_incidents_is_not_major() -> None:
    flood = ErrorSignal("ConnectionRefusedError", "connection refused", count=20_000)
    few = ErrorSignal("ParseError", "unexpected end of document", count=5)
    uncounted = ErrorSignal("TimeoutError", "read timed out")
    assert correlate.major_errors([flood, few, uncounted]) == [flood, uncounted]
    assert correlate.major_errors([few, uncounted]) == [few, uncounted]  # nothing to compare with
    assert correlate.major_errors([flood, replace(few, count=400)]) == [
        flood,
        replace(few, count=400),
    ]


def test_a_bump_the_errors_do_not_name_is_not_linked() -> None:
    facts = change_facts("PR #1", ["requirements.txt"], {"requirements.txt": (
        "@@ -1,2 +1,2 @@\n-structlog==24.1.0\n+structlog==25.1.0\n flask==3.0.2\n")})  # fmt: skip
    assert correlate.named_dependencies(facts, ["psycopg.OperationalError: timeout"]) == []
    assert correlate.named_dependencies(facts, []) == []
    code = change_facts("PR #2", ["app.py"], {"app.py": "@@ -1 +1 @@\n-x = 1\n+x = 2\n"})
    assert correlate.named_dependencies(code, ["structlog"]) == []


# --- an external notice that matches the failing dependency and the onset -------------------


def notice(provider: str, minutes: float | None, components: tuple[str, ...] = (),
           status: str = "investigating", kind: str = "vendor") -> Notice:  # fmt: skip
    return Notice(provider, kind, status, "elevated error rates on the API",  # type: ignore[arg-type]
                  at(minutes) if minutes is not None else None, components)  # fmt: skip


def test_a_notice_near_the_onset_naming_a_called_host_matches() -> None:
    found = correlate.matching_notices(
        [notice("Paymentia", 8, ("api.paymentia.example",))], T0, ["api.paymentia.example"], []
    )
    assert len(found) == 1
    by_word = correlate.matching_notices(
        [notice("Geoloom", -20)], T0, [], ["GeoloomError: quota exceeded"]
    )
    assert by_word and correlate.notice_category(by_word) == "external_dependency"
    zone = notice("Cloud health", -3, ("eu-west-1b",), kind="cloud")
    assert (
        correlate.notice_category(
            correlate.matching_notices([zone], T0, [], ["node ip-10-1-2-3 eu-west-1b NotReady"])
        )
        == "platform_failure"
    )


def test_notices_far_from_the_onset_or_about_something_else_do_not_match() -> None:
    assert correlate.matching_notices(
        [notice("Paymentia", -60 * 30, ("api.paymentia.example",))], T0,
        ["api.paymentia.example"], [],
    ) == []  # fmt: skip
    assert correlate.matching_notices([notice("Mailcourier", 5, ("smtp",))], T0,
                                      ["api.paymentia.example"], ["timeout"]) == []  # fmt: skip
    old = notice("Paymentia", -60 * 48, ("api.paymentia.example",), status="resolved")
    assert correlate.matching_notices([old], T0, ["api.paymentia.example"], []) == []


# --- load rose at the onset ------------------------------------------------------------------


def series(name: str, values: list[float], unit: str = "/s") -> Series:
    return Series(name, unit, tuple(Point(at(i - len(values) + 1), v) for i, v in
                                    enumerate(values)), "p")  # fmt: skip


def test_a_series_that_moved_from_one_level_to_another_is_a_step() -> None:
    (step,) = correlate.steps([series("upstream hosts", [4, 4, 4, 4, 5, 6, 6, 6], unit="")])
    assert (step.before, step.after, step.at) == (4, 6, at(-3))
    (shrunk,) = correlate.steps([series("pool max", [30, 30, 20, 20], unit="")])
    assert (shrunk.before, shrunk.after) == (30, 20)
    for values, unit in (([100, 110, 95, 105, 320, 410], "/s"),  # a rate wobbles
                         ([40, 40, 40, 80, 80, 80], "%"),  # a share is no count
                         ([5, 5, 5, 8], ""),  # one point at the new level
                         ([5, 5, 8, 8, 5, 5], ""),  # back where it was
                         ([5, 5, 6, 7, 6, 7, 8, 8], ""),  # a long wander between
                         ([5, 5, 12, 8, 8], "")):  # fmt: skip
        assert correlate.steps([series("x", [float(v) for v in values], unit)]) == (), values


def test_a_setting_the_pages_show_taking_effect_after_it_merged() -> None:
    patch = {"deploy/values-prod.yaml": "@@ -3,3 +3,3 @@\n queue:\n-  replicaCount: 6\n"
             "+  replicaCount: 2\n"}  # fmt: skip
    facts = change_facts("PR #61", list(patch), patch)
    shown = correlate.steps([series("consumers", [6, 6, 6, 2, 2, 2], unit="")])
    found = correlate.took_effect(facts.settings, shown, at(-20), at(0))
    assert found is not None and found[0].key.endswith("replicaCount") and found[1].at == at(-2)
    assert correlate.took_effect(facts.settings, shown, at(10), at(0)) is None  # merged later
    assert correlate.took_effect(facts.settings, shown, at(-20), at(-30)) is None  # after onset
    other = correlate.steps([series("consumers", [6, 6, 6, 3, 3, 3], unit="")])
    assert correlate.took_effect(facts.settings, other, at(-20), at(0)) is None
    flag = {"config/prod.env": "@@ -1 +1 @@\n-NEW_CHECKOUT=0\n+NEW_CHECKOUT=1\n"}
    counter = correlate.steps([series("orders failed", [0, 0, 0, 1, 1, 1], unit="")])
    flagged = change_facts("PR #62", list(flag), flag)
    assert correlate.took_effect(flagged.settings, counter, at(-20), at(0)) is None


def test_a_load_series_that_multiplied_at_the_onset_is_a_load_rise() -> None:
    rise = correlate.rising_load([series("requests /s", [100, 110, 95, 105, 320, 410])], at(-1))[0]
    assert rise >= 3.5


def test_a_queues_backlog_is_no_load_whatever_the_queue_is_called() -> None:
    for name in ("orders.requests ready", "payment-requests messages unacked",
                 "requests queue depth", "search requests pending", "requests.dlq"):  # fmt: skip
        rising = series(name, [0, 0, 0, 0, 9000, 40000])
        assert correlate.rising_load([rising], at(-1)) == (0.0, ""), name
    arriving = series("orders.requests published /s", [100, 110, 95, 105, 420, 510])
    assert correlate.rising_load([arriving], at(-1))[0] >= 3.5


def test_the_rise_names_the_series_that_rose_most() -> None:
    flat = series("requests /s (api)", [100, 110, 95, 105, 120, 110])
    bot = series("sessions from partner-app /s", [10, 12, 11, 10, 90, 140])
    mild = series("page views /s", [50, 52, 49, 51, 130, 150])
    rise, name = correlate.rising_load([flat, mild, bot], at(-1))
    assert (round(rise, 1), name) == (12.7, "sessions from partner-app /s")  # 140 / median 11
    assert correlate.rising_load([flat], at(-1)) == (0.0, "")


def test_a_load_source_that_appeared_at_the_onset_is_named_as_what_rose() -> None:
    total = series("requests /s", [200, 210, 190, 205, 640, 700])
    promo = series("clicks from the newsletter (utm_campaign=fall) /s", [0, 0, 0, 0, 380, 450])
    small = series("logins from the partner app /s", [0, 0, 0, 0, 5, 6])
    rise, name = correlate.rising_load([total, small, promo], at(-1))
    assert (round(rise, 1), name) == (3.4, promo.name)  # the total says how much, the new one what
    alone = correlate.rising_load([promo], at(-1))  # nothing says how many times: no rise
    assert alone == (0.0, "")
    known = series("clicks from the newsletter /s", [0, 3, 0, 2, 380, 450])  # not new: it rose
    assert correlate.rising_load([total, known], at(-1)) == (225.0, known.name)  # 450 / median 2


def test_failed_requests_rising_are_a_symptom_not_load() -> None:
    failed = series("failed requests /s", [2, 3, 2, 3, 90, 120])
    rejected = series("requests rejected (429) /s", [1, 1, 2, 1, 60, 80])
    assert correlate.rising_load([failed, rejected], at(-1)) == (0.0, "")
    ok = series("requests served /s", [100, 110, 95, 105, 320, 410])
    assert correlate.rising_load([failed, ok], at(-1))[1] == "requests served /s"


def test_none_evidence_says_what_load_rose() -> None:
    found = none_evidence((), (), 6.0, False, load_signal="checkout  clicks\n(utm=spring) /s")
    assert "load rose 6.0x at the onset (checkout clicks (utm=spring) /s)" in found.reasons
    assert found.category == "capacity"


def test_origin_fetches_are_load() -> None:
    fetches = series("Origin fetches/s", [900, 940, 910, 930, 9800, 14500])
    assert correlate.rising_load([fetches], at(-1))[1] == "Origin fetches/s"


def _plausible() -> object:
    from tests.test_root_cause_decide import TIMEOUT, change, incident, scored

    return scored(change(41, -40, TIMEOUT), incident())


def test_what_happened_at_the_onset() -> None:
    onset = at(0)
    events = [
        (at(-30), "cache warm-up job finished"),
        (at(1), "config map reloaded by the operator"),
        (at(0), "deploy api 3f9a2c1 (#88)"),  # a deploy is a change, not an event
        (at(-1), "alert HighErrorRate pending"),  # the alert's own state
    ]
    assert correlate.event_at(events, onset) == "config map reloaded by the operator"
    assert correlate.event_at(events[:1], onset) == ""  # 30 minutes before is not at it
    found = none_evidence((), (), 6.0, False, load_signal="requests/s",
                          at_onset="bulk re-index started by the nightly job")  # fmt: skip
    assert found.reasons[1] == "at the onset: bulk re-index started by the nightly job"
    quiet = none_evidence([], (), 0.0, False, at_onset="bulk re-index started")
    assert quiet.reasons[1:] == ("at the onset: bulk re-index started",)
    nothing = none_evidence([_plausible()], (), 0.0, False, at_onset="bulk re-index")  # type: ignore[list-item]
    assert not any("at the onset" in r for r in nothing.reasons)  # nothing else speaks for none


def test_a_change_made_by_hand_outside_the_repos_just_before_the_onset() -> None:
    onset = at(0)
    events = [
        (
            at(-3),
            "Event 7001 Changed at 2025-06-03 09:27:40 Event type feature-strategy-update "
            "Changed by ana@example.com (PM) via Admin UI Feature flag checkout.v2",
        ),
        (at(-40), "Changed by bo@example.com via Admin UI: flag search.v3 enabled"),  # too early
        (at(-2), "deploy 3f9a2c1 (#88) synced by argocd, changed by ci@example.com"),  # a repo's
        (at(-1), "flag checkout.v2 evaluated 1,204 times"),  # no one changed anything
    ]
    found = correlate.outside_change(events, onset)
    assert found.startswith(f"at {at(-3):%H:%M:%S}, Event Changed at Event type feature-strategy")
    assert "ana@example.com via Admin UI Feature flag checkout.v2" in found and "(PM)" not in found
    assert correlate.outside_change(events[1:], onset) == ""
    evidence = none_evidence([_plausible()], (), 0.0, False, outside=found)  # type: ignore[list-item]
    assert (evidence.strength, evidence.category) == (0.6, "config_change")
    assert evidence.reasons[0].startswith("changed by hand outside the repos at ")


def test_a_resource_flat_until_a_deploy_and_rising_from_it_is_a_buildup_it_started() -> None:
    values = [1.50, 1.52, 1.55, 1.56, 1.64, 1.90, 2.30, 2.70, 3.20, 3.70, 4.00]
    used = Series("used_memory", "GiB", tuple(Point(at(30 * i - 330), v)
                                               for i, v in enumerate(values)), "p")  # fmt: skip
    deploy = DeployMarker(at(-210), "deploy cache 7d3e91a")
    later = DeployMarker(at(-20), "deploy login fix")
    (grew,) = correlate.buildups([used], [deploy, later], at(0))
    assert (grew.at, grew.first, grew.last) == (at(-210), 1.55, 4.0)
    jump = [1.5, 1.5, 1.5, 1.5, 3.9, 3.95, 3.97, 3.98, 4.0, 4.0, 4.0]
    step = Series("used_memory", "GiB", tuple(Point(at(30 * i - 330), v)
                                               for i, v in enumerate(jump)), "p")  # fmt: skip
    assert correlate.buildups([step], [deploy], at(0)) == ()  # a step is a change of level
    rising = Series("used_memory", "GiB", tuple(Point(at(30 * i - 330), 1.0 + 0.3 * i)
                                                 for i in range(11)), "p")  # fmt: skip
    assert correlate.buildups([rising], [deploy], at(0)) == ()  # rising before it too
    load = Series("requests /s", "/s", used.points, "p")
    assert correlate.buildups([load], [deploy], at(0)) == ()  # not a resource that fills


def test_a_build_up_from_zero_or_from_a_wobble_small_beside_the_rise_is_one() -> None:
    deploy = DeployMarker(at(-210), "deploy thumbs 5d2e1aa")
    zero = [0.0, 0.0, 0.0, 0.0, 2.0, 12.0, 30.0, 48.0, 70.0, 88.0, 97.5]
    inodes = Series("inodes used %", "%", tuple(Point(at(30 * i - 330), v)
                                                for i, v in enumerate(zero)), "p")  # fmt: skip
    (grew,) = correlate.buildups([inodes], [deploy], at(0))
    assert (grew.at, grew.first, grew.last) == (at(-210), 0.0, 97.5)
    wobble = [1200, 1150, 1610, 1420, 1300, 50_000, 140_000, 230_000, 330_000, 420_000, 500_000]
    counted = Series("inodes used", "", tuple(Point(at(30 * i - 330), float(v))
                                              for i, v in enumerate(wobble)), "p")  # fmt: skip
    assert len(correlate.buildups([counted], [deploy], at(0))) == 1
    noisy = [0.0, 30.0, 0.0, 25.0, 1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    before = Series("inodes used %", "%", tuple(Point(at(30 * i - 330), v)
                                                for i, v in enumerate(noisy)), "p")  # fmt: skip
    assert correlate.buildups([before], [deploy], at(0)) == ()  # it moved as much before
    flat = Series("inodes used %", "%", tuple(Point(at(30 * i - 330), 0.0) for i in range(11)), "p")
    assert correlate.buildups([flat], [deploy], at(0)) == ()  # no rise at all


def test_flat_load_or_a_non_load_series_is_no_rise() -> None:
    def rise(s: Series, onset: datetime) -> float:
        return correlate.rising_load([s], onset)[0]

    assert rise(series("requests /s", [100, 110, 95, 105, 120, 110]), at(-1)) == 0
    assert rise(series("5xx ratio", [0, 0, 1, 0, 40, 60], "%"), at(-1)) == 0
    assert rise(series("p99 latency", [80, 90, 85, 400, 900, 950], "ms"), at(-2)) == 0


def test_load_already_served_before_the_onset_is_no_rise() -> None:
    waves = series("messages in /s", [40, 900, 60, 50, 880, 70, 45, 920, 80])
    assert correlate.rising_load([waves], at(-2))[0] == 0  # a wave like the two before it
    higher = series("messages in /s", [40, 300, 60, 50, 320, 70, 45, 920, 980])
    assert correlate.rising_load([higher], at(-2))[0] > 2  # more than it had ever seen


# --- a credential or certificate that expired ------------------------------------------------


def test_an_expired_credential_or_certificate_is_found() -> None:
    texts = ["HTTP 401 api_key_expired: the key expired at 06:14", "x509: certificate has expired"]
    assert correlate.expiries(texts) == texts
    assert correlate.expiries(["upstream said: token expired"])


def test_other_expiries_are_not_credentials() -> None:
    assert correlate.expiries(["cache entry expired, refetching", "the session expired"]) == []
    assert correlate.expiries(["lease expired; renewing"]) == []
    assert correlate.expiries([]) == []
    # a caller's token refused on one request is routine, not our credential expiring
    assert correlate.expiries(['"msg":"rejecting bearer token","error":"token is expired"',
                               "jwt: token is expired (exp 09:30:12)"]) == []  # fmt: skip
    assert correlate.expiries(["API key for the geocoder expired at 09:00"]) != []


def test_a_duration_that_passes_a_value_after_a_change_went_live_is_found() -> None:
    # a point a minute up to at(0); the change went live at at(-4)
    p95 = series("process p95", [12, 13, 12, 14, 31, 13, 38, 40], unit="s")
    p99 = series("api p99", [900, 950, 980, 1200, 1400, 1500, 1600, 1700], unit="ms")
    oldest = series("oldest message", [20, 22, 21, 70, 80, 90, 95, 99], unit="s")
    found = correlate.durations([p95, p99, oldest, series("requests", [1, 2, 3, 4])])
    assert [d.name for d in found] == ["process p95", "api p99"]  # an age bounds nothing
    hit = correlate.crossed(found, 30.0, at(-4), at(0))
    assert hit is not None and hit[0].name == "process p95" and hit[1] == at(-3)
    assert correlate.crossed(found, 1.1, at(-4), at(0)) is not None  # 1.2 s > 1.1 s
    assert correlate.crossed(found, 60.0, at(-4), at(0)) is None  # never passed
    assert correlate.crossed(found, 10.0, at(-4), at(0)) is None  # over it already before
    assert correlate.crossed(found, 30.0, at(-8), at(0)) is None  # nothing before it went live


def test_an_expiry_said_of_what_is_normal_is_the_baseline_not_the_incident() -> None:
    baseline = ("Share of answers that are 401. Usual level 0.5 %, sessions whose token "
                "expired are renewed by the app.")  # fmt: skip
    assert correlate.expiries([baseline]) == []
    assert correlate.expiries(["Expired keys are usually rotated by the vault agent."]) == []
    assert correlate.expiries([f"{baseline} The signing key expired at 09:02."]) != []
    assert correlate.expiries(["the license expires today; usually renewed by ops"]) != []


def test_a_series_departure_is_told_with_what_its_table_is_of() -> None:
    offset = Series("node-7", "s", (Point(at(0), 0.0003),), "p",
                    caption="Clock offset vs NTP (node:clock_offset) · per node")  # fmt: skip
    went = Onset(at(0), "node-7", 0.0003, -63.3, None, "p")
    assert correlate.went(went, offset) == "Clock offset vs NTP node-7: 0.0003 → -63.3 s"
    assert correlate.went(went, None) == "node-7: 0.0003 → -63.3"
    assert correlate.platform_signals([correlate.went(went, offset)])


def test_an_expiry_is_found_behind_an_identifier_or_ahead_of_time() -> None:
    assert correlate.expiries(["key ab_91Xk...77c2 expired at 2026-05-01T08:00Z"])
    assert correlate.expiries(["reason=partner_token_expired"])
    assert correlate.expiries(["the certificate for shop.example.net expires in 36 hours"])
    assert correlate.expiries(["turkey dinner. It expired"]) == []


# --- what the platform did --------------------------------------------------------------------


def test_a_failover_replication_stall_or_pressure_eviction_is_a_platform_signal() -> None:
    for text in ("db-main: Multi-AZ instance failover started",
                 "replica pg-3 is 840 s behind the primary",
                 "WAL replay paused on the standby",
                 "Warning Evicted pod/api-7c9 The node was low on resource: memory"):  # fmt: skip
        assert correlate.platform_signals([text]), text
    for clock in ("NodeClockNotSynchronising firing for node-7 since 08:53",
                  "clock offset -63.3 s against the NTP pool on ams1-w07",
                  "chronyd: no reachable sources, clock not synchronised"):  # fmt: skip
        assert correlate.platform_signals([clock]) == [(clock, "platform_failure")], clock
    for setting in ("leeway authn.clock_skew 10 s", "clock skew tolerance is configurable",
                    "ntp.example.net answered in 3 ms"):  # fmt: skip
        assert correlate.platform_signals([setting]) == [], setting
    for cache in ("sessionCache stats: size=812 hit=0.96 evictions=0", "evicted_keys:0",
                  "LRU stats: evictions 0, keys 412,880"):  # fmt: skip
        assert correlate.platform_signals([cache]) == [], cache
    for share in ("92% of export jobs failed over 10m (threshold 25%)",
                  "requests failed over the last hour: 1,204"):  # fmt: skip
        assert correlate.platform_signals([share]) == [], share


def test_the_providers_node_upgrade_under_way_is_a_platform_signal_one_done_is_not() -> None:
    for text in ("Node pool workers-2: upgrading to 1.31.2-gke.1042, started 09:12 (surge)",
                 "node group workers-a upgrade in progress: 4 of 9 nodes updated",
                 "operation-17 UPGRADE_NODES workers-2 RUNNING 2026-01-12T09:12:03Z"):  # fmt: skip
        assert correlate.platform_signals([text]) == [(text, "platform_failure")], text
    for text in (
        "Node pool workers-1: upgrade to 1.31.2-gke.1042 finished",
        "after the 04-03 node pool upgrade the pods were spread 5/2/2",
        "Cluster web-prod is scheduled for an automatic upgrade to 1.33 next week",
    ):
        assert correlate.platform_signals([text]) == [], text


def test_a_subnet_out_of_addresses_is_a_capacity_signal() -> None:
    for text in ("Warning FailedCreatePodSandBox: failed to assign an IP address to container",
                 "ipamd: InsufficientFreeAddressesInSubnet for subnet-0a1b",
                 "subnet eu-1b exhausted: 0 of 4091 addresses free"):  # fmt: skip
        assert correlate.platform_signals([text]) == [(text, "capacity")], text
    for text in ("assigned IP address 10.2.3.4 to pod api-7f9", "subnet eu-1b: 1,204 free",
                 "the address book is full of customers"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text


def test_an_autoscaler_without_its_metrics_is_a_platform_failure() -> None:
    for text in (
        "Warning FailedGetResourceMetric horizontalpodautoscaler/web failed to get cpu "
        "utilization: unable to get metrics for resource cpu: no metrics returned",
        "unable to fetch metrics from resource metrics API: the server is currently unable to "
        "handle the request (get pods.metrics.k8s.io)",
        "apiservice v1beta1.metrics.k8s.io Available=False FailedDiscoveryCheck",
        "hpa/web conditions: AbleToScale True, ScalingActive False",
    ):
        assert [kind for _, kind in correlate.platform_signals([text])] == ["platform_failure"]
    for text in ("hpa/web scaled from 4 to 9 replicas: cpu resource utilization above target",
                 "metrics.k8s.io served 1,204 requests", "ScalingActive True, ScalingLimited False",
                 "the metrics API returned cpu 412m for pod web-7f9"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text


def test_the_mesh_proxy_container_killed_is_a_platform_failure_the_service_container_not() -> None:
    for text in ("OOMKilled container istio-proxy of pod web-7f9 ended with exit code 137",
                 "Back-off restarting failed container linkerd-proxy: CrashLoopBackOff",
                 "container envoy-sidecar terminated: OOMKilled (limit 256Mi)"):  # fmt: skip
        assert [kind for _, kind in correlate.platform_signals([text])] == ["platform_failure"]
    for text in ("OOMKilled container web of pod web-7f9 ended with exit code 137",
                 "container istio-proxy ready, 0 restarts",
                 "istio-proxy memory 61 MiB of 256Mi"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text


def test_a_providers_maintenance_under_way_is_a_platform_signal_one_announced_is_not() -> None:
    for text in ("13:01:47 system_event cache.example.com Maintenance started on instance c-1",
                 "Scheduled maintenance in progress for db-prod (minor version upgrade)",
                 "instance orders-db rebooted for scheduled maintenance"):  # fmt: skip
        assert correlate.platform_signals([text]) == [(text, "platform_failure")], text
    for text in ("maintenance window: Sundays 02:00-03:00 UTC",
                 "Upcoming maintenance on June 12 will restart the instance",
                 "a maintenance restarts the instance; clients reconnect"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text


def test_a_nat_gateway_out_of_source_ports_is_a_capacity_signal() -> None:
    for text in ("Cloud NAT prod-nat: dropped packets, reason OUT_OF_RESOURCES",
                 "NAT gateway nat-0a1: ErrorPortAllocation 1,204 in 5m",
                 "SNAT port exhaustion on the load balancer's backend pool",
                 "Sent packets dropped: OUT_OF_RESOURCES: 0 → 1,480"):  # fmt: skip
        assert correlate.platform_signals([text]) == [(text, "capacity")], text
    for text in ("NAT gateway nat-0a1 bytes out 2.1 GB", "port 8080 in use by another process",
                 "source ports 32768-60999 configured"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text


def test_a_database_refusing_writes_near_wraparound_is_a_platform_failure() -> None:
    for text in (
        "ERROR: database is not accepting commands to avoid wraparound data loss in "
        'database "orders"',
        'WARNING: database "orders" must be vacuumed within 2,999,812 transactions',
        "autovacuum: transaction ID wraparound failsafe triggered on table events",
    ):
        assert [kind for _, kind in correlate.platform_signals([text])] == ["platform_failure"]
    for text in (
        "VACUUM (FREEZE) finished on events in 41 min",
        "autovacuum_freeze_max_age = 200000000",
        "the counter wraps around at 2^32",
    ):
        assert correlate.platform_signals([text]) == [], text


def test_a_cloud_without_capacity_for_the_instance_type_is_a_platform_failure() -> None:
    for text in (
        "Launching a new EC2 instance. Status Reason: We currently do not have "
        "sufficient m7g.4xlarge capacity in the Availability Zone you requested",
        "scale-up failed: InsufficientInstanceCapacity for node group gpu-b",
        "instance group workers-c: ZONE_RESOURCE_POOL_EXHAUSTED in europe-west4-a",
        "VMSS scale out failed: ZonalAllocationFailed (Standard_D8s_v5)",
        "launching nodeclaim, InsufficientCapacityError: all offerings are unavailable",
    ):
        assert [kind for _, kind in correlate.platform_signals([text])] == ["platform_failure"]
    for text in ("node group max size 40, capacity type ON_DEMAND",
                 "the pool has sufficient capacity for tonight's peak",
                 "capacity reservation cr-0a1 covers 12 instances"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text


def test_the_most_telling_platform_signal_is_named_by_its_own_clause() -> None:
    scheduler = (
        "Warning FailedScheduling pod/web-5d9 0/6 nodes are available: 2 node(s) had "
        "untolerated taint {node.kubernetes.io/not-ready: }, 4 Insufficient memory. "
        "preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling."
    )
    evicted = "14:02 · Evicted: 2 web pods on ip-10-0-3-7 · kubelet: DiskPressure True"
    found = {kind: text for text, kind in correlate.platform_signals([scheduler, evicted])}
    assert found["platform_failure"] == "Evicted: 2 web pods on ip-10-0-3-7", found
    assert found["capacity"].startswith("Warning FailedScheduling pod/web-5d9"), found
    assert found["capacity"].endswith(" … 4 Insufficient memory"), found
    assert len(found["capacity"]) <= correlate.CLAUSE
    gone = correlate.platform_signals(["Warning NodeNotReady node/ip-10-0-9-1 Node is not ready"])
    assert gone == [("Warning NodeNotReady node/ip-10-0-9-1 Node is not ready", "platform_failure")]
    hung = "node ip-10-0-9-1 Ready=False KubeletNotReady: PLEG is not healthy"
    assert correlate.platform_signals([hung]) == [(hung, "platform_failure")]


def test_the_schedulers_preemption_note_and_taint_names_are_no_platform_failure() -> None:
    for text in ("preemption: 0/8 nodes are available: 8 Preemption is not helpful for scheduling",
                 "0/3 nodes are available: 3 node(s) had untolerated taint "
                 "{node.kubernetes.io/not-ready: }",
                 "pods with priority 1000 may preempt lower ones"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text
    assert correlate.platform_signals(["spot instance interruption notice for i-0ab12"])


def test_voluntary_disruptions_and_other_text_are_no_platform_signal() -> None:
    for text in ("9m Normal DisruptionTerminating node/ip-10-1-2-3 Disrupting Node: Underutilized",
                 "Evicted pod/api-7c9 (PDB api: 3 available, minAvailable 2)",
                 "node drained for the kernel upgrade, pods evicted",
                 "read replica pool resized", "checkout latency p99 2.1 s"):  # fmt: skip
        assert correlate.platform_signals([text]) == [], text


# --- a frame of timeouts says where the time ran out, not why -------------------------------


def test_a_frame_held_only_by_timeouts_is_marked() -> None:
    from agents.root_cause.score import _call_site_only as _timeouts_only

    frame = Frame("app/controllers/orders_controller.rb", 88, "index")
    killed = [ErrorSignal("Rack::Timeout::RequestTimeoutException",
                          "Request ran for longer than 15000ms", frames=(frame,)),
              ErrorSignal("context deadline exceeded", "upstream", frames=(frame,))]  # fmt: skip
    assert _timeouts_only(frame, killed)
    broken = [*killed, ErrorSignal("NoMethodError", "undefined method `id' for nil",
                                   frames=(frame,))]  # fmt: skip
    assert not _timeouts_only(frame, broken), "one real error at the frame keeps its weight"
    assert not _timeouts_only(frame, [ErrorSignal("KeyError", "'id'", frames=(frame,))])
    assert not _timeouts_only(Frame("elsewhere.rb", 1), killed), "no error holds the frame"


def test_a_frame_held_by_a_failed_connection_is_the_call_site_unless_the_line_broke() -> None:
    from agents.root_cause.score import _call_site_only

    frame = Frame("billing/partner.py", 41, "charge")
    for failed in (
        ErrorSignal("SSLError", "certificate verify failed: unable to get local issuer"),
        ErrorSignal("ConnectError", "connect ECONNREFUSED 10.0.4.7:5432"),
        ErrorSignal("UnknownHostException", "getaddrinfo ENOTFOUND api.partner.example"),
    ):
        failed = ErrorSignal(failed.kind, failed.message, frames=(frame,))
        wrapped = ErrorSignal("CHARGE_FAILED", "12 charges failed", frames=(frame,))
        assert _call_site_only(frame, [failed, wrapped]) == "transport", failed.kind
    for text in ("TypeError: 'NoneType' object is not subscriptable",
                 "ValueError: invalid literal for int()",
                 "HTTP 422 from partner: amount must be positive"):  # fmt: skip
        kind, message = text.split(": ", 1) if ": " in text else (text, "")
        alone = ErrorSignal(kind, message, frames=(frame,))
        tls = ErrorSignal("SSLError", "handshake failed", frames=(frame,))
        held = [alone, tls] if text[0] in "TV" else [alone]
        assert _call_site_only(frame, held) == "", text


def test_a_frame_held_by_the_called_services_own_failure_is_the_call_site() -> None:
    from agents.root_cause.score import _call_site_only

    frame = Frame("notify/queue/publisher.py", 60, "publish")
    answered = [ErrorSignal("ClientError", "An error occurred (ServiceUnavailable) when calling "
                            "the SendMessage operation", frames=(frame,)),
                ErrorSignal("HTTP 503", "Service Unavailable from the ledger API", frames=(frame,)),
                ErrorSignal("ReadTimeout", "read timed out", frames=(frame,))]  # fmt: skip
    assert _call_site_only(frame, answered) == "upstream"
    mine = [*answered, ErrorSignal("KeyError", "'queue_url'", frames=(frame,))]
    assert _call_site_only(frame, mine) == "", "a programming error at the line keeps its weight"
    refused = [ErrorSignal("HTTP 400", "Bad Request: template_id is required", frames=(frame,))]
    assert _call_site_only(frame, refused) == "", "a request the service refused is the caller's"


def test_a_runtime_in_every_frame_path_is_not_named_by_the_errors() -> None:
    """A base image bump (`FROM python:3.11` → `3.12`) is not where the errors come from
    because the interpreter's own path is in every frame; a package directory is."""
    image = change_facts("PR #1", ["Dockerfile"], {"Dockerfile": (
        "@@ -1,2 +1,2 @@\n-FROM python:3.11-slim\n+FROM python:3.12-slim\n")})  # fmt: skip
    frames = ["SSLError /opt/venv/lib/python3.12/site-packages/httpx/_client.py"]
    assert correlate.named_dependencies(image, frames) == []
    assert correlate.named_dependencies(image, ["node_modules/python-shell/index.js"]) == []
    assert correlate.named_dependencies(image, ["python: can't open file 'app.py'"]) == ["python"]
    pinned = bump("requirements.txt", "@@ -1 +1 @@\n-httpx==0.26.0\n+httpx==0.27.0\n")
    assert correlate.named_dependencies(pinned, frames) == ["httpx"]  # type: ignore[arg-type]
    assert correlate.named_dependencies(pinned, ["httpx-auth 0.2"]) == []  # type: ignore[arg-type]
    assert correlate.named_dependencies(pinned, ["httpx-0.27.0.dist-info"]) == ["httpx"]  # type: ignore[arg-type]


# --- a limit the pages show being reached ----------------------------------------------------


def test_a_series_that_rose_to_a_value_and_held_it_sits_at_a_limit() -> None:
    active = series("Active connections / pod", [6, 7, 8, 9, 12, 12, 12, 12], unit="")
    pool = series("Pool max / pod", [12] * 8, unit="")
    found = correlate.ceilings([active, pool], at(-3))
    assert [(c.name, c.value) for c in found] == [("Active connections / pod", 12),
                                                  ("Pool max / pod", 12)]  # fmt: skip


def test_no_limit_in_a_peak_a_flat_series_of_use_percentages_or_a_rise_still_going() -> None:
    peak = series("Active connections", [5, 6, 12, 12, 9, 7, 6, 5], unit="")
    flat = series("Requests", [40] * 8)  # constant, but not named for a limit
    cpu = series("CPU", [20, 30, 100, 100, 100, 100], unit="%")
    rising = series("Busy threads", [10, 20, 30, 40, 50, 60, 70, 80], unit="")
    assert correlate.ceilings([peak, flat, cpu, rising], at(-4)) == ()


# --- a platform event over before the alert ---------------------------------------------------


def test_a_platform_event_over_well_before_the_alert_ended_there() -> None:
    onset = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    fired = onset + timedelta(minutes=9)
    ended = correlate.ended_before("cache failover 10:00:12-10:00:50 (maintenance)", onset, fired)
    assert ended == onset.replace(second=50)
    assert correlate.ended_before("node drained 09:58 to 10:01", onset, fired) == onset.replace(
        minute=1)  # fmt: skip


def test_a_platform_events_end_said_elsewhere_on_the_pages() -> None:
    onset = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    until = onset + timedelta(minutes=14)  # the last data the pages show
    started = "10:00:05 db-main Multi-AZ instance failover started"
    spanned = ["db-main failover window 10:00:05 → 10:01:10 per the event log"]
    assert correlate.platform_ended(started, spanned, onset, until) == onset.replace(
        minute=1, second=10)  # fmt: skip
    completed = ["db-main: failover completed at 10:01:10, writer endpoint moved"]
    assert correlate.platform_ended(started, completed, onset, until) == onset.replace(
        minute=1, second=10)  # fmt: skip
    other = ["10:01:10 cache warm-up completed"]  # not the same kind of event
    assert correlate.platform_ended(started, other, onset, until) is None
    assert correlate.platform_ended(started, completed, onset, onset + timedelta(minutes=3)) is (
        None)  # over too recently to say the failures outlast it  # fmt: skip


def test_no_end_for_an_event_still_going_recent_or_without_a_span() -> None:
    onset = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    fired = onset + timedelta(minutes=9)
    assert correlate.ended_before("failover 10:00-10:06", onset, fired) is None  # 3 min before
    assert correlate.ended_before("failover started 10:00", onset, fired) is None
    assert correlate.ended_before("replica 2 behind since 09:40", onset, fired) is None


def test_a_platform_event_the_failures_outlast_speaks_less_for_no_change() -> None:
    onset = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    clause = "cache failover 10:00:12-10:00:50"
    going = none_evidence([], [], 0.0, False, [(clause, "platform_failure")])
    over = none_evidence([], [], 0.0, False, [(clause, "platform_failure")],
                         platform_over=(clause, onset.replace(second=50)))  # fmt: skip
    assert over.strength < going.strength == 0.6
    assert "was over at 10:00:50 but the failures went on" in over.reasons[1]


# --- a steady growth over days ---------------------------------------------------------------


def hourly(name: str, values: list[float], every: float = 4, unit: str = "%") -> Series:
    return Series(name, unit, tuple(Point(at(-60 * every * (len(values) - 1 - i)), v)
                                    for i, v in enumerate(values)), "p")  # fmt: skip


def test_a_volume_that_filled_steadily_for_days_is_growth() -> None:
    disk = hourly("data volume used", [70, 71, 71.5, 72.6, 73.1, 74, 75.2, 75.9, 77, 78, 78.8, 80])
    load = hourly("requests", [5, 9, 4, 10, 5, 11, 6, 12, 6, 13, 6, 14], unit="/s")
    found = correlate.steady_growth([load, disk])
    assert found is not None and (found.name, found.first, found.last) == (
        "data volume used", 70, 80)  # fmt: skip
    assert found.hours == 44
    share = hourly("shard 3", [60, 61, 61.8, 62.5, 63.5, 64.1, 65, 66])  # a % named by whose
    found = correlate.steady_growth([replace(share, caption="Data volume used per shard (6 h)")])
    assert found is not None and found.name == "shard 3 (Data volume used per shard)"
    count = hourly("shard 3", [60, 61, 61.8, 62.5, 63.5, 64.1, 65, 66], unit="")
    assert correlate.steady_growth([count]) is None  # a count that grows is not a fill level


def test_no_growth_in_a_step_a_leak_that_began_mid_window_a_short_window_or_a_fall() -> None:
    step = hourly("disk used", [70, 70.5, 71, 71.2, 71.5, 79, 79.2, 79.5, 79.8, 80])
    leak = hourly("heap used", [40, 40, 40.1, 40, 40, 42, 45, 48, 51, 54, 57, 60])
    short = hourly("disk used", [70, 71, 72, 73, 74, 75, 76], every=0.5)
    falling = hourly("disk used", [80, 79, 78, 77, 76, 75, 74])
    latency = hourly("p99 latency", [100, 110, 120, 130, 140, 150, 160], unit="ms")
    for s in (step, leak, short, falling, latency):
        assert correlate.steady_growth([s]) is None, s.name


def test_steady_growth_speaks_for_capacity_unless_a_leak_explains_it() -> None:
    growth = correlate.Growth("data volume used", 44, 70, 80, "%")
    found = none_evidence([], [], 0.0, False, growth=growth)
    assert found.category == "capacity" and found.strength >= 0.5
    assert any(r.startswith("steady growth: data volume used rose from 70% to 80% over 44 h")
               for r in found.reasons), found.reasons  # fmt: skip


# --- why something that expired was not renewed ----------------------------------------------


def test_the_error_that_kept_a_certificate_from_renewing_is_found() -> None:
    texts = [
        "x509: certificate has expired or is not yet valid",
        'level=info msg="re-queuing item due to error processing" err="error presenting '
        'challenge: DNS record _acme-challenge.shop.example. not permitted in zone"',
    ]
    found = correlate.renewal_failure(texts)
    assert found == ("error presenting challenge: DNS record _acme-challenge.shop.example. "
                     "not permitted in zone")  # fmt: skip
    klog = correlate.renewal_failure([
        'E0312 07:49:12.55 1 controller.go:167] "re-queuing item due to error processing" '
        'err="failed to rotate key: AccessDenied on kms:CreateKey\\n\\tstatus code: 403" '
        'logger="rotator"'])  # fmt: skip
    assert klog == "failed to rotate key: AccessDenied on kms:CreateKey status code: 403"
    prose = correlate.renewal_failure(["when the renewal record is missing, the DNS API "
                                       "answers InvalidChangeBatch: not permitted"])  # fmt: skip
    assert prose.startswith("renewal record is missing")  # whole words
    rotation = correlate.renewal_failure(["secret rotation failed: AccessDenied on kms:Decrypt"])
    assert "AccessDenied" in rotation


def test_no_renewal_failure_in_expiries_successes_or_other_errors() -> None:
    assert correlate.renewal_failure(["certificate expired at 09:00"]) == ""
    assert correlate.renewal_failure(["certificate renewed, next renewal in 60 days"]) == ""
    assert correlate.renewal_failure(["connection refused to db:5432"]) == ""


def test_the_reason_it_was_not_renewed_comes_before_the_expiry() -> None:
    found = none_evidence([], [], 0.0, False, expired=["certificate expired at 09:00"],
                          not_renewed="error presenting challenge: not permitted in zone",
                          at_onset="cron job ran")  # fmt: skip
    assert found.reasons[:3] == ("not renewed: error presenting challenge: not permitted in zone",
                                 "something expired: certificate expired at 09:00",
                                 "at the onset: cron job ran")  # fmt: skip
    alone = none_evidence([], [], 0.0, False, expired=["certificate expired at 09:00"],
                          at_onset="cron job ran")  # fmt: skip
    assert alone.reasons[:2] == ("something expired: certificate expired at 09:00",
                                 "at the onset: cron job ran")  # fmt: skip


# --- a value the failures quote ---------------------------------------------------------------


def _added(*texts: str) -> list[Line]:
    return [Line("config/limits.yaml", 10 + i, t) for i, t in enumerate(texts)]


def test_the_failures_quoting_the_value_a_change_sets_tie_it_to_them() -> None:
    limit = correlate.quoted_settings(
        _added("  - key: client_id", "    value: mobile-bff", "      requests_per_unit: 750"),
        ['{"status":429,"x_ratelimit_limit":"750, 750;w=1","route":"/v1/cart"}'],
    )
    assert [(q.key, q.value, q.line) for q in limit] == [("requests_per_unit", "750", 12)]
    timeout = correlate.quoted_settings(
        _added("  readTimeout: 750ms"), ["ReadTimeout: timeout of 750ms exceeded calling rates"]
    )
    assert [q.value for q in timeout] == ["750ms"]
    pool = correlate.quoted_settings(
        _added("DB_POOL_MAX=12"), ["pool exhausted: all 12 connections in use (waited 5 s)"]
    )
    assert [q.key for q in pool] == ["DB_POOL_MAX"]


def test_a_value_said_elsewhere_or_too_short_to_tell_ties_nothing() -> None:
    # the number appears, but not beside a word of the setting's kind
    assert (
        correlate.quoted_settings(
            _added("  requests_per_unit: 600"), ["order 600 of basket 17 failed: HTTP 503"]
        )
        == []
    )
    # a one-digit value or a word is said too often
    assert correlate.quoted_settings(_added("  timeout: 5s"), ["timeout after 5s"]) == []
    assert correlate.quoted_settings(_added("  verify_tls: false"), ["tls verify false"]) == []
    # a longer number that holds the value is not the value
    assert (
        correlate.quoted_settings(
            _added("  max_connections: 100"), ["too many connections (1001 of 1000)"]
        )
        == []
    )


# --- what a migration took away, named by the errors ----------------------------------------


def _migration(file: str, patch: str) -> ChangeFacts:
    return change_facts("PR #1", [file], {file: patch})


def test_the_errors_naming_what_a_migration_drops_or_renames_tie_it() -> None:
    django = _migration("shop/migrations/0042_rename.py", "@@ -0,0 +1,5 @@\n"
                        "+    operations = [\n+        migrations.RenameField(\n"
                        "+            model_name=\"order\",\n"
                        "+            old_name=\"gift_message\",\n"
                        "+            new_name=\"gift_note\"),\n")  # fmt: skip
    said = ["ProgrammingError: column orders_order.gift_message does not exist"]
    assert correlate.errors_name_gone(django, said) == ("gift_message", "renames")
    sql = _migration(
        "db/migrate/V88__drop_legacy.sql",
        "@@ -0,0 +1 @@\n+ALTER TABLE invoices DROP COLUMN IF EXISTS legacy_ref;\n",
    )
    assert correlate.errors_name_gone(sql, ['ERROR: column "legacy_ref" does not exist']) == (
        "legacy_ref", "drops")  # fmt: skip
    rails = _migration(
        "db/migrate/20260101_remove_sku.rb",
        "@@ -0,0 +1 @@\n+    remove_column :items, :vendor_sku\n",
    )
    assert correlate.errors_name_gone(rails, ["PG::UndefinedColumn: vendor_sku"]) == (
        "vendor_sku", "drops")  # fmt: skip


def test_names_the_errors_do_not_say_added_ones_or_short_words_tie_nothing() -> None:
    sql = _migration(
        "db/migrate/V89__drop.sql", "@@ -0,0 +1 @@\n+ALTER TABLE invoices DROP COLUMN legacy_ref;\n"
    )
    assert correlate.errors_name_gone(sql, ["timeout calling the tax service"]) is None
    added = _migration(
        "db/migrate/V90__add.sql",
        "@@ -0,0 +1 @@\n+ALTER TABLE invoices ADD COLUMN legacy_ref text;\n",
    )
    assert correlate.errors_name_gone(added, ['column "legacy_ref" does not exist']) is None
    short = _migration(
        "db/migrate/V91__drop.sql", "@@ -0,0 +1 @@\n+ALTER TABLE invoices DROP COLUMN note;\n"
    )
    assert correlate.errors_name_gone(short, ["note: retrying the request"]) is None


def test_a_fixed_range_of_values_running_out_is_read_in_errors() -> None:
    for text in ('nextval: reached maximum value of sequence "orders_id_seq" (2147483647)',
                 "ERROR: integer out of range (SQLSTATE 22003)",
                 "earn failed: SQLSTATE 2200H",
                 "Out of range value for column 'id' at row 1"):  # fmt: skip
        assert correlate.exhausted([text]), text
    said = ["earn failed: SQLSTATE 2200H", 'reached maximum value of sequence "ids_seq"']
    assert correlate.exhausted(said)[0].startswith("reached"), "the words before a bare code"
    for text in ("value out of range in the chart's y axis", "max_connections 2147483647",
                 "sequence scan on orders took 3 s"):  # fmt: skip
        assert correlate.exhausted([text]) == [], text


def test_a_providers_quota_that_ran_out_is_read_a_clusters_resource_quota_is_not() -> None:
    for text in ("Postaly autocomplete failed: 429 quota_exceeded",
                 "Your monthly request quota has been used up.",
                 "geocode: HTTP 429 - daily limit exceeded for key ab12",
                 "403 over your plan quota; upgrade at console.example.io"):  # fmt: skip
        assert correlate.vendor_quota([text]), text
    for text in ('pods "web-5d9" is forbidden: exceeded quota: compute, requested: cpu=500m',
                 "namespace team-a: monthly quota exceeded for pods",
                 "quota: 600,000 lookups a month · 71 % used"):  # fmt: skip
        assert correlate.vendor_quota([text]) == "", text


def test_a_provider_saying_the_api_called_is_gone_is_read() -> None:
    for text in ('HttpStatusError: shipfast POST /v2/labels -> 410 Gone',
                 "geo client: request to https://api.example.io/v1/lookup failed: 410 Gone",
                 '{"error": "api_version_retired", "message": "v1 was retired on May 2"}',
                 "Payments API v3 has been sunset; use v4"):  # fmt: skip
        assert correlate.retired_api([text], []), text
    for text in ('GET /items/81 410 Gone 3 ms',  # the service's own answer for a deleted item
                 "410 requests in the last minute · p99 1.2 s",
                 "deprecated: the v1 endpoint will be sunset next quarter"):  # fmt: skip
        assert correlate.retired_api([text], []) == "", text


def test_a_gone_api_that_a_change_started_calling_is_no_vendor_removal() -> None:
    patch = ('@@ -1,2 +1,2 @@\n const base = host;\n-const path = "/v1/labels";\n'
             '+const path = "/v2/labels/create";\n')  # fmt: skip
    moved_to = change_facts("#7", ["src/labels.ts"], {"src/labels.ts": patch})
    text = "labels client: POST /v2/labels/create -> 410 Gone"
    assert correlate.retired_api([text], [moved_to]) == ""
    kept = change_facts("#8", ["src/labels.ts"], {"src/labels.ts": patch.replace(
        '"/v2/labels/create"', '"/v1/labels" // same call')})  # fmt: skip
    assert correlate.retired_api(["labels client: POST /v1/labels -> 410 Gone"], [kept])


# --- how far back the changes are read -------------------------------------------------------


def _disk(start_hours: float, every: float = 12.0, values: list[float] | None = None) -> Series:
    """A disk's use every `every` hours from `start_hours` before T0 until T0."""
    shown = values or [55, 55.1, 55, 55.2, 55.1, 55, 57, 60, 63, 66, 70, 74, 78, 82, 86, 90, 93]
    points = tuple(Point(T0 - timedelta(hours=start_hours - every * i), v)
                   for i, v in enumerate(shown))  # fmt: skip
    return Series("data volume used", "%", points, "p")


def test_a_build_up_from_an_older_deploy_takes_the_change_window_back_to_it() -> None:
    disk = _disk(192)  # 8 days of points, flat for 3 days, then filling for 5
    retention = DeployMarker(T0 - timedelta(hours=192 - 12 * 5.5), "apply topics#318")
    page = PageFacts("p", "u", "t", series=(disk,), markers=(retention,))
    since = correlate.changes_since([page], T0)
    assert since == retention.at - timedelta(hours=1)
    assert T0 - since > CHANGE_WINDOW


def test_the_change_window_stays_at_72_hours_without_an_older_build_up() -> None:
    flat = _disk(192, values=[55.0] * 17)
    retention = DeployMarker(T0 - timedelta(hours=126), "apply topics#318")
    assert correlate.changes_since([PageFacts("p", "u", "t", series=(flat,),
                                              markers=(retention,))], T0) == (
        T0 - CHANGE_WINDOW)  # fmt: skip
    recent = DeployMarker(T0 - timedelta(hours=30), "deploy")  # inside the window already
    filling = _disk(72, every=4.5)
    page = PageFacts("p", "u", "t", series=(filling,), markers=(recent,))
    assert correlate.changes_since([page], T0) == T0 - CHANGE_WINDOW
    assert correlate.changes_since([], T0) == T0 - CHANGE_WINDOW


def test_the_change_window_reaches_back_through_the_workloads_last_rollouts() -> None:
    days = [5.5, 3.2, 3.0, 0.1]  # four revisions, the oldest 5.5 days ago
    history = tuple(DeployMarker(T0 - timedelta(days=d), f"rollout revision {i}",
                                 sha=f"{i}a9c0e1f", source=correlate.ROLLOUT_HISTORY)
                    for i, d in enumerate(days))  # fmt: skip
    page = PageFacts(correlate.ROLLOUT_HISTORY, "u", "t", markers=history)
    assert correlate.changes_since([page], T0) == history[0].at - timedelta(hours=1)
    annotated = tuple(DeployMarker(m.at, m.text, sha=m.sha, source="dashboard:0")
                      for m in history)  # fmt: skip
    assert correlate.changes_since([PageFacts("dashboard:0", "u", "t", markers=annotated)],
                                   T0) == T0 - CHANGE_WINDOW  # not a rollout history  # fmt: skip
    three = PageFacts(correlate.ROLLOUT_HISTORY, "u", "t", markers=history[1:])
    assert correlate.changes_since([three], T0) == T0 - CHANGE_WINDOW  # too few to read back


def test_the_change_window_never_reaches_back_further_than_its_longest() -> None:
    disk = _disk(24 * 40, every=60.0)  # flat, then filling since a deploy 25 days ago
    old = DeployMarker(T0 - timedelta(hours=24 * 40 - 60 * 5.5), "apply")
    since = correlate.changes_since([PageFacts("p", "u", "t", series=(disk,), markers=(old,))], T0)
    assert since == T0 - LONGEST_WINDOW


def test_a_per_request_measure_or_a_duration_is_no_load() -> None:
    for name in ("DB time / request (p50)", "rows read per request", "request latency p99",
                 "request duration", "requests p95 (ms)"):  # fmt: skip
        assert correlate.rising_load([series(name, [4, 4, 5, 4, 200, 540])], at(-1))[0] == 0, name
    same = series("requests/s (same time last week)", [100, 110, 95, 105, 320, 410])
    assert correlate.rising_load([same], at(-1))[0] > 3


def test_more_load_past_a_cache_while_clients_sent_no_more_is_no_load_rise() -> None:
    edge = series("edge requests/s", [900, 950, 920, 940, 960, 950])
    origin = series("origin requests/s (miss + pass)", [70, 72, 69, 75, 700, 900])
    assert correlate.rising_load([edge, origin], at(-1)) == (0.0, "")
    surge = series("edge requests/s", [900, 950, 920, 940, 2900, 3400])
    rise, name = correlate.rising_load([surge, origin], at(-1))
    assert rise > 10 and name == "origin requests/s (miss + pass)"  # clients did send more
    assert correlate.rising_load([origin], at(-1))[0] > 10  # nothing shows what clients sent


# --- the service's own credentials refused ---------------------------------------------------


def test_a_server_refusing_the_services_credentials_with_no_change_touching_one() -> None:
    said = ["HTTP 500 checkout failed", 'FATAL: password authentication failed for user "app"']
    assert correlate.rejected_credentials(said, []).startswith("FATAL: password authentication")
    for text in ("ERROR 1045 (28000): Access denied for user 'app'@'10.0.3.7'",
                 "WRONGPASS invalid username-password pair or user is disabled",
                 "Login failed for user 'reports'.", "SQLSTATE 28P01"):  # fmt: skip
        assert correlate.rejected_credentials([text], []), text
    pool = change_facts("PR #3", ["config/db.yaml"], {"config/db.yaml": "@@ -1,2 +1,2 @@\n"
                        " db:\n-  pool_max: 15\n+  pool_max: 25\n"})  # fmt: skip
    assert correlate.rejected_credentials(said, [pool])  # a pool size holds no credential
    patch = "@@ -1,2 +1,2 @@\n db:\n-  password_ref: db/app-v1\n+  password_ref: db/app-v2\n"
    secret = change_facts("PR #4", ["config/db.yaml"], {"config/db.yaml": patch})
    assert correlate.rejected_credentials(said, [secret]) == ""  # that change explains it


def test_other_refusals_are_no_rejected_credential() -> None:
    for text in ("HTTP 401 invalid bearer token for user 8812", "AccessDenied: s3:PutObject",
                 "403 Forbidden", "permission denied for table orders",
                 "JWT rejected: token used before issued"):  # fmt: skip
        assert correlate.rejected_credentials([text], []) == "", text


def test_rejected_credentials_speak_for_a_change_made_outside_the_repos() -> None:
    found = none_evidence([], [], 0.0, False, rejected="FATAL: password authentication failed")
    assert (found.strength, found.category) == (0.6, "config_change")
    assert "refuses the service's credentials" in found.reasons[0]


# --- a setting the pages show still at its old value ----------------------------------------


def test_a_setting_the_pages_show_still_at_its_old_value_is_not_in_effect() -> None:
    facts = change_facts("PR #7", ["config/production.yaml"], {"config/production.yaml": (
        "@@ -3,3 +3,3 @@\n ingest:\n-  maxBatchSize: 500\n+  maxBatchSize: 200\n"
        "@@ -9,2 +9,2 @@\n client:\n-  timeout: 5s\n+  timeout: 2s\n")})  # fmt: skip
    limit, timeout = facts.settings
    shown = [ConfigValue("maxBatchSize", "500", "dashboard:0")]
    assert correlate.not_in_effect(limit, shown) == shown[0]
    snake = [ConfigValue("max_batch_size", "500", "dashboard:0")]
    assert correlate.not_in_effect(limit, snake) == snake[0]
    assert correlate.not_in_effect(limit, [ConfigValue("maxBatchSize", "200")]) is None
    assert correlate.not_in_effect(limit, [ConfigValue("minBatchSize", "500")]) is None
    # a bare `timeout` names too many settings to tell which one the page shows
    assert correlate.not_in_effect(timeout, [ConfigValue("timeout", "5s")]) is None


# --- the failures' own message written by a line the change added ---------------------------


def _emitted(patch: str, texts: list[str], file: str = "src/limit.ts") -> object:
    return correlate.emitted_message(change_facts("PR #8", [file], {file: patch}), texts)


def test_a_message_the_failures_quote_is_found_on_the_line_that_writes_it() -> None:
    raised = _emitted("@@ -1,2 +1,3 @@\n x\n+ throw Err(`no price list for region ${z}`)\n",
                      ["Err: no price list for region EU-W3 (×312)"])  # fmt: skip
    assert raised.message == "no price list for region" and not raised.rewritten  # type: ignore[attr-defined]
    moved = _emitted("@@ -1,3 +1,3 @@\n x\n-  log.warn({ key }, 'quota window exceeded');\n"
                     "+  req.log.warn({ key, limit }, 'quota window exceeded');\n",
                     ['9,120 lines "quota window exceeded"'])  # fmt: skip
    assert moved.rewritten and moved.logged  # type: ignore[attr-defined]


def test_no_message_from_new_logging_stock_phrases_tests_or_unquoted_text() -> None:
    # a brand-new log line is the change's own logging, not a failure path
    assert _emitted("@@ -1 +1,2 @@\n x\n+  logger.warn('slow cache fill over 200 ms')\n",
                    ["WARN slow cache fill over 200 ms"]) is None  # fmt: skip
    assert _emitted('@@ -1 +1,2 @@\n x\n+  return error(500, "Internal Server Error")\n',
                    ["HTTP 500 Internal Server Error"]) is None  # fmt: skip
    assert (
        _emitted(
            "@@ -1 +1,2 @@\n x\n+  raise ValueError('no price list for region')\n",
            ["ValueError: no price list for region"],
            file="tests/test_zone.py",
        )
        is None
    )
    assert _emitted("@@ -1 +1,2 @@\n x\n+  raise ValueError('no price list for region')\n",
                    ["KeyError: 'zone'"]) is None  # fmt: skip
    assert _emitted("@@ -1 +1,2 @@\n x\n+  # 'no price list for region' is raised below\n",
                    ["ValueError: no price list for region"]) is None  # fmt: skip
    # a report of a failure seen elsewhere: written where it was observed, not caused
    assert _emitted('@@ -1 +1,2 @@\n x\n+    .context("payment call failed")?;\n',
                    ["payment call failed: upstream reset"]) is None  # fmt: skip
    assert _emitted('@@ -1,2 +1,2 @@\n x\n-  log.Warn("receipt upload skipped, will retry")\n'
                    '+  log.Warn("receipt upload skipped, will retry", "id", id)\n',
                    ["WARN receipt upload skipped, will retry"]) is None  # fmt: skip


def test_a_wobble_over_long_before_the_alert_is_not_its_onset() -> None:
    wobble = PageFacts("p", "u", "t", onset=Onset(at(-300), "replica lag", 18, 26, at(-180), "p"))
    errors = PageFacts("q", "u", "t", onset=Onset(at(-10), "5xx ratio", 0.1, 30, None, "q"))
    brief = PageFacts("r", "u", "t", onset=Onset(at(-20), "5xx ratio", 0.1, 30, at(-15), "r"))
    assert correlate.onset_of([wobble, errors], T0).at == at(-10)  # type: ignore[union-attr]
    assert correlate.onset_of([wobble], T0).at == at(-300)  # type: ignore[union-attr]
    # over shortly before the alert: still what it is about
    assert correlate.onset_of([brief, errors], T0).at == at(-20)  # type: ignore[union-attr]


def test_memory_falling_after_oom_kills_is_a_restart_not_a_recovery() -> None:
    oom = ErrorSignal("OOMKilled", "container app exited with code 137", 3, None, (), "k")
    memory = Onset(at(-30), "container memory working set", 6e8, 8e8, at(-5), "p")
    latency = Onset(at(-30), "p99 latency", 0.1, 2.0, at(-5), "p")
    killed = [PageFacts("p", "u", "t", errors=(oom,), onset=memory)]
    calm = [PageFacts("p", "u", "t", onset=memory)]
    assert not correlate.came_back(memory, killed) and not correlate.recovered(memory, killed)
    assert correlate.came_back(memory, calm) and correlate.recovered(memory, calm)
    assert correlate.came_back(latency, killed)


def test_failing_records_carrying_a_build_name_its_commit() -> None:
    failing = ['{"level":"ERROR","msg":"decode failed","producer":"billing/2026.03.02-4be1c07"}']
    assert correlate.failures_carry([SHA], failing) == failing[0]
    assert correlate.failures_carry([None, SHA[:8]], failing) == failing[0]
    logged = (
        "2026-05-04T08:12:09.114Z WARN 1 --- [consumer-2] c.e.billing.Listener : parked "
        "record inv-7 producer=billing/2026.05.04-4be1c07 cause=java.io.EOFException"
    )
    assert correlate.failures_carry([SHA], [logged]) == (
        "record inv-7 producer=billing/2026.05.04-4be1c07 cause=java.io.EOFException"
    )  # the words around the build


def test_records_carrying_no_build_or_another_are_not_tied() -> None:
    other = '"msg":"decode failed","producer":"billing/9a0b1c2"'
    assert correlate.failures_carry([SHA], [other]) == ""
    uuid = "decode failed for message 4be1c07d-77aa-4c1e-9b2f-0a1b2c3d4e5f"  # an id, no build
    assert correlate.failures_carry([SHA], [uuid]) == ""
    assert correlate.failures_carry([SHA[:6]], ["producer billing/4be1c0"]) == ""  # too short
    assert correlate.failures_carry([], ["producer billing/4be1c07"]) == ""


def test_what_expired_within_two_hours_before_the_onset_is_timed() -> None:
    events = [(at(-40), "Client secrets prod-key: expires 2026-05-04T13:20:00Z"),
              (at(-5), "deploy api 1.8.1")]  # fmt: skip
    assert correlate.expired_at(events, T0) == events[0][1]


def test_expiries_far_from_the_onset_or_of_a_callers_token_are_not_timed() -> None:
    assert correlate.expired_at([(at(-600), "Certificates api.example.net: expires …")], T0) == ""
    assert correlate.expired_at([(at(60), "Certificates api.example.net: expires …")], T0) == ""
    assert correlate.expired_at([(at(-10), "bearer token expired for user 42")], T0) == ""
    assert correlate.expired_at([(at(-10), "cache entry expired")], T0) == ""


def test_a_disks_or_databases_own_io_is_no_load() -> None:
    for name in ("WriteThroughput MB/s", "read IOPS", "disk write bytes /s", "WAL MB/s"):
        rising = series(name, [10, 11, 10, 12, 180, 200])
        assert correlate.rising_load([rising], at(-1)) == (0.0, ""), name
    served = series("requests /s", [100, 110, 95, 105, 320, 410])
    assert correlate.rising_load([served], at(-1))[0] >= 3.5


def test_a_deploy_tool_shipping_a_commit_at_the_onset_is_no_event() -> None:
    onset = at(0)
    for shipped in (
        "Argo CD sync api-prod to 9c1e4f7 (#412), PreSync hook running",
        "Flux applied 4be2a91 to namespace web",
        "sync api-prod → 7d3e0b5a",
        "billing-prod · rev 48 · 3e9a1c2 · #771 invoice footer; #774 retry on 409",
        "payments-web 5b7f0e1: #120 new checkout copy",
    ):
        assert correlate.event_at([(at(0), shipped)], onset) == "", shipped
    for happened in ("Argo CD reported the cluster connection lost",
                     "campaign #4 email sent to 2.1M customers",
                     "facade cache warmed; 1200 entries (#3 of 4 shards)"):  # fmt: skip
        assert correlate.event_at([(at(0), happened)], onset) == happened
    listed = "orders-prod · #2305 invoice footer; #2306 one queue for refunds"
    assert correlate.event_at([(at(0), listed)], onset, {2305, 2306}) == ""
    assert correlate.event_at([(at(0), listed)], onset, {12}) == listed, "no PR of ours"


def test_a_serverless_platform_out_of_concurrency_is_a_capacity_signal() -> None:
    for text in (
        'integrationStatus":"429","integrationError":"Rate Exceeded."',
        "TooManyRequestsException: Rate Exceeded. (Service: Lambda, Status Code: 429)",
        "Lambda Throttles (all functions) 0 → 2,410",
        "ConcurrentInvocationLimitExceeded for function resize-images",
        "Unreserved account concurrency at its limit: 900 of 900",
    ):
        assert correlate.platform_signals([text]) == [(text, "capacity")], text
    for text in (
        "rate limit exceeded for key partner-7 (429)",  # a vendor's own limit, its words
        "Lambda Throttles (all functions) 0",
        "reserved concurrency 50 configured for the webhook function",
        "container cpu throttled 41 % of periods",
    ):
        assert correlate.platform_signals([text]) == [], text
