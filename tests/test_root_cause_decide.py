"""Scoring and the decision on inputs written for the test: evidence ties a change to the
incident, a later change is ruled out, the model chooses among few options and `none`, and
the ranking decides (saying why) when the model contradicts strong evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from agents.root_cause.change import Change
from agents.root_cause.correlate import Ceiling, Duration, Growth, Timing, steps
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.facts.types import DeployMarker, ErrorSignal, Frame, Notice, Point, Series
from agents.root_cause.logic import (
    HOW_CHARS,
    CauseAnswer,
    Findings,
    answer_schema,
    decide,
    how_and_when,
    propose,
)
from agents.root_cause.score import Incident, Scored, none_evidence, score
from core.state import Alert, RootCause, Triage, Workload

T0 = datetime(2026, 6, 2, 9, 30, tzinfo=UTC)
REPO = "corp/ledger"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def change(number: int, minutes: float, files: dict[str, str], repo: str = REPO) -> Change:
    return Change("pr", repo, f"PR #{number}", number, f"{number:07x}abcdef", f"change {number}",
                  "dev", at(minutes), tuple(files), dict(files))  # fmt: skip


TIMEOUT = {"config/prod.yaml": "@@ -4,3 +4,3 @@\n client:\n-  timeout: 5s\n+  timeout: 500ms\n"}
DOCS = {"docs/ops.md": "@@ -1 +1 @@\n-old\n+new\n"}
CODE = {"src/report.py": "@@ -1,2 +1,4 @@\n def report(ids):\n+    for i in ids:\n"
        "+        rows.append(db.query(Row).filter(Row.id == i).first())\n"}  # fmt: skip
ALERT = Alert(source="alertmanager", fingerprint="f", name="LedgerTimeouts", status="firing",
              starts_at=at(5), labels={"service": "ledger"},
              annotations={"summary": "upstream calls time out"})  # fmt: skip


def incident(markers: tuple[DeployMarker, ...] = (), **more: object) -> Incident:
    values: dict[str, object] = {
        "start": at(5), "onset": T0, "symptoms": frozenset({"timeouts", "errors"}),
        "markers": markers, "errors": (), "texts": ("ReadTimeout calling the rates API",),
        "service_repo": REPO,
    }  # fmt: skip
    return Incident(**{**values, **more})  # type: ignore[arg-type]


def scored(c: Change, inc: Incident) -> Scored:
    return score(c, change_facts(c.ref, list(c.files), c.patches), inc)


def findings(items: list[Scored], notices: tuple[Notice, ...] = (), load: float = 0.0) -> Findings:
    return Findings.split(
        items, alert=ALERT, none=none_evidence(items, notices, load, False),
        facts_lines=["onset 09:30 UTC: timeouts 0 → 40 [dashboard:0]"], pages=["dashboard:0"],
        partial=False,
    )  # fmt: skip


def answer(cause: str, category: str = "config_change") -> CauseAnswer:
    return CauseAnswer.model_validate({"cause": cause, "category": category,
                                       "explanation": "The client timeout was cut below the "
                                       "upstream's latency.", "confidence": "high"})  # fmt: skip


# --- scoring ---------------------------------------------------------------------------------


def test_a_setting_that_fits_the_symptoms_and_the_last_deploy_score_high() -> None:
    culprit = change(41, -40, TIMEOUT)
    inc = incident((DeployMarker(at(-25), "deploy", sha=culprit.sha),))
    s = scored(culprit, inc)
    assert s.score >= 0.6 and s.timing.last_before_onset
    assert any("timeout 5s → 500ms" in r for r in s.reasons)
    assert s.category == "config_change"


def test_a_load_balancers_timeout_in_an_ingress_is_an_infrastructure_change() -> None:
    ingress = {"deploy/chart/values-prod.yaml": "@@ -8,3 +8,3 @@\n ingress:\n  annotations:\n"
               "-    lb.example.io/attributes: idle_timeout.seconds=60\n"
               "+    lb.example.io/attributes: idle_timeout.seconds=900\n"}  # fmt: skip
    inc = incident((DeployMarker(at(-5), "deploy", pr=45),))
    assert scored(change(45, -10, ingress), inc).category == "infrastructure_change"
    app = {"deploy/chart/values-prod.yaml": "@@ -8,2 +8,2 @@\n env:\n"
           "-  CLIENT_TIMEOUT: 5s\n+  CLIENT_TIMEOUT: 500ms\n"}  # fmt: skip
    assert scored(change(46, -10, app), inc).category == "config_change"
    cron = {"deploy/chart/values-prod.yaml": "@@ -20,3 +20,3 @@\n cronJobs:\n  settle:\n"
            "-    concurrencyPolicy: Forbid\n+    concurrencyPolicy: Allow\n"}  # fmt: skip
    assert scored(change(49, -10, cron), inc).category == "infrastructure_change"
    heap = {
        "deploy/chart/values-prod.yaml": "@@ -5,2 +5,2 @@\n jvm:\n-  heap: 3g\n+  heap: 1536m\n"
    }
    assert scored(change(50, -10, heap), inc).category == "config_change"
    limit = {"deploy/chart/values-prod.yaml": "@@ -5,3 +5,3 @@\n resources:\n  limits:\n"
             "-    memory: 4Gi\n+    memory: 2Gi\n"}  # fmt: skip
    assert scored(change(51, -10, limit), inc).category == "infrastructure_change"


def test_a_raised_timeout_does_not_fit_timeouts_but_a_lowered_one_does() -> None:
    raised = {"config/prod.yaml": "@@ -4,3 +4,3 @@\n client:\n-  timeout: 2s\n+  timeout: 8s\n"}
    inc = incident()  # calls time out
    assert scored(change(41, -40, TIMEOUT), inc).score > scored(change(42, -40, raised), inc).score
    assert not any("fits the symptoms" in r for r in scored(change(42, -40, raised), inc).reasons)
    slow = incident(symptoms=frozenset({"latency", "connections"}))  # held longer: it may fit
    assert any("timeout 2s → 8s" in r for r in scored(change(42, -40, raised), slow).reasons)
    idle = {"deploy/ingress.yaml": "@@ -4,3 +4,3 @@\n lb:\n-  idle_timeout_seconds: 60\n"
            "+  idle_timeout_seconds: 600\n"}  # fmt: skip
    resets = incident(symptoms=frozenset({"availability", "errors"}))  # past the backend's
    assert any("fits the symptoms" in r for r in scored(change(43, -40, idle), resets).reasons)


def test_a_tightened_circuit_breaker_fits_fast_failures_as_application_config() -> None:
    breaker = {"src/main/resources/application.yml": "@@ -30,5 +30,5 @@\n resilience4j:\n"
               "  circuitbreaker:\n   instances:\n    inventory:\n"
               "-     failure-rate-threshold: 50\n+     failure-rate-threshold: 10\n"}  # fmt: skip
    failing = incident(
        symptoms=frozenset({"errors", "availability"}),
        texts=("CallNotPermittedException: CircuitBreaker 'inventory' is OPEN",),
    )
    s = scored(change(47, -30, breaker), failing)
    assert any("failure-rate-threshold 50 → 10 (breaker; fits the symptoms" in r
               for r in s.reasons), s.reasons  # fmt: skip
    assert s.category == "config_change"
    disk = incident(symptoms=frozenset({"disk"}), texts=("no space left on device",))
    assert not any("fits the symptoms" in r for r in scored(change(47, -30, breaker), disk).reasons)


def test_a_change_no_page_shows_deployed_went_live_when_the_pages_show_it_in_effect() -> None:
    def counted(values: list[float]) -> tuple[Series, ...]:
        points = tuple(Point(at(i - 8), v) for i, v in enumerate(values))
        return (Series("backend pool members", "", points, "dashboard:0"),)

    scale = {"deploy/values-prod.yaml": "@@ -3,3 +3,3 @@\n search:\n-  replicaCount: 3\n"
             "+  replicaCount: 6\n"}  # fmt: skip
    earlier = (DeployMarker(at(-60), "deploy", pr=60),)
    shown = incident(earlier, symptoms=frozenset({"latency", "cpu"}),
                     steps=steps(counted([3, 3, 3, 3, 6, 6, 6, 6])))  # fmt: skip
    s = scored(change(61, -15, scale), shown)
    assert s.timing.deployed_at == at(-4) and s.timing.last_before_onset, s.reasons
    assert any("take effect: backend pool members 3 → 6" in r for r in s.reasons), s.reasons
    apart = incident(earlier, symptoms=frozenset({"latency", "cpu"}),
                     steps=steps(counted([3, 3, 3, 3, 4, 4, 4, 4])))  # fmt: skip
    s = scored(change(61, -15, scale), apart)
    assert s.timing.deployed_at is None and not any("take effect" in r for r in s.reasons)


def test_a_containers_raised_memory_fits_only_pods_left_unplaced() -> None:
    raised = {"deploy/values.yaml": "@@ -5,3 +5,3 @@\n resources:\n  requests:\n"
              "-    memory: 256Mi\n+    memory: 384Mi\n"}  # fmt: skip
    crash = incident(symptoms=frozenset({"crash", "availability", "errors"}),
                     texts=("container app exited with code 1; memory request 384Mi",))  # fmt: skip
    s = scored(change(43, -60, raised), crash)
    assert not any("fits the symptoms" in r or "quote" in r for r in s.reasons), s.reasons
    pending = incident(symptoms=frozenset({"scheduling", "availability"}))
    assert any("fits the symptoms" in r for r in scored(change(43, -60, raised), pending).reasons)
    lowered = {"deploy/values.yaml": "@@ -5,3 +5,3 @@\n resources:\n  limits:\n"
               "-    memory: 1Gi\n+    memory: 384Mi\n"}  # fmt: skip
    oom = incident(symptoms=frozenset({"memory", "crash"}),
                   texts=("OOMKilled: container app, memory limit 384Mi",))  # fmt: skip
    s = scored(change(44, -60, lowered), oom)
    assert any("quote" in r for r in s.reasons) and any("fits the symptoms" in r for r in s.reasons)
    heap = {"deploy/values.yaml": "@@ -5,2 +5,2 @@\n jvm:\n-  heap: 1g\n+  heap: 3g\n"}
    assert any("fits the symptoms" in r for r in scored(change(45, -60, heap), oom).reasons)


def test_a_lowered_timeout_that_what_it_bounds_passed_keeps_its_weight_for_hours() -> None:
    patch = (
        '@@ -2,3 +2,3 @@\n resource "q" "jobs" {\n'
        "-  visibility_timeout_seconds = 600\n+  visibility_timeout_seconds = 40\n"
    )
    queue = {"infra/queues.tf": patch}
    points = tuple(
        (at(m), v) for m, v in ((-300, 20.0), (-280, 22.0), (-120, 41.0), (-10, 25.0), (0, 52.0))
    )
    crossing = Duration("process p95", points)
    dup = incident(symptoms=frozenset({"data", "queue"}), durations=(crossing,))
    s = scored(change(47, -290, queue), dup)
    assert any(r.startswith("what it bounds passed the value it set") for r in s.reasons), s
    assert s.category == "infrastructure_change"  # what Terraform sets is the cloud's
    assert any("fits the symptoms 1.0" in r for r in s.reasons)  # a redelivery: duplicates
    under = Duration("process p95", tuple((t, v / 3) for t, v in points))
    s = scored(change(47, -290, queue), replace(dup, durations=(under,)))
    assert not any(r.startswith("what it bounds passed") for r in s.reasons)


def test_a_raised_cpu_request_fits_too_few_pods_at_the_peak_but_a_raised_limit_does_not() -> None:
    """A utilisation autoscaler divides use by the request: raised, it scales out later."""
    request = {"k8s/web/deployment.yaml": "@@ -7,3 +7,3 @@\n resources:\n  requests:\n"
               "-    cpu: 200m\n+    cpu: 800m\n"}  # fmt: skip
    limit = {"k8s/web/deployment.yaml": "@@ -7,3 +7,3 @@\n resources:\n  limits:\n"
             "-    cpu: 200m\n+    cpu: 800m\n"}  # fmt: skip
    slow = incident(symptoms=frozenset({"latency", "timeouts"}),
                    texts=("p99 6.2 s at the evening peak; upstream request timeout",))  # fmt: skip
    fits = scored(change(45, -300, request), slow)
    assert any("fits the symptoms" in r for r in fits.reasons), fits.reasons
    capped = scored(change(46, -300, limit), slow)
    assert not any("fits the symptoms" in r for r in capped.reasons)
    crash = incident(symptoms=frozenset({"crash", "memory"}), texts=("OOMKilled",))
    killed = scored(change(45, -300, request), crash)
    assert not any("fits the symptoms" in r for r in killed.reasons)


def test_a_cache_removed_fits_throttling_by_what_it_fronted_but_a_larger_one_does_not() -> None:
    removed = {"config/prod.env": "@@ -3,2 +3,1 @@\n REGION=eu-west-1\n-TOKEN_CACHE_SIZE=20000\n"}
    larger = {"config/prod.env": "@@ -3,2 +3,2 @@\n REGION=eu-west-1\n-TOKEN_CACHE_SIZE=20000\n"
              "+TOKEN_CACHE_SIZE=80000\n"}  # fmt: skip
    throttled = incident(symptoms=frozenset({"throttling", "errors"}),
                         texts=("RequestLimitExceeded: request rate over the limit",))  # fmt: skip
    gone = scored(change(47, -240, removed), throttled)
    assert any("fits the symptoms" in r for r in gone.reasons), gone.reasons
    bigger = scored(change(48, -240, larger), throttled)
    assert not any("fits the symptoms" in r for r in bigger.reasons)


def test_a_timeout_raised_inside_a_library_does_not_tie_its_upgrade() -> None:
    bump = {"requirements.txt": "@@ -1,2 +1,2 @@\n-dbdriver==1.4.0\n+dbdriver==1.5.0\n"}
    slow = incident(texts=("dbdriver.exceptions.QueryCanceledError: canceling statement due "
                           "to statement timeout",))  # fmt: skip
    assert not any("names dbdriver" in r for r in scored(change(46, -600, bump), slow).reasons)
    broken = incident(texts=("dbdriver.exceptions.InterfaceError: cannot encode argument $1",))
    assert any("names dbdriver" in r for r in scored(change(46, -600, bump), broken).reasons)


def test_a_change_deployed_after_the_onset_is_ruled_out_whatever_it_does() -> None:
    late = change(42, -10, TIMEOUT)
    s = scored(late, incident((DeployMarker(at(3), "deploy", pr=42),)))
    assert s.ruled_out and s.score == 0 and not s.plausible


def test_risky_code_that_fits_nothing_and_docs_score_low() -> None:
    inc = incident(symptoms=frozenset({"tls"}))
    assert scored(change(43, -30, CODE), inc).score < 0.3
    assert scored(change(44, -5, DOCS), incident()).score < 0.1


def test_a_stack_frame_in_a_changed_file_counts_and_another_repo_counts_less() -> None:
    errors = (ErrorSignal("KeyError", "'id'", frames=(Frame("src/report.py", 3),)),)
    inc = incident(errors=errors)
    mine = scored(change(45, -60, CODE), inc)
    assert any("stack frame" in r for r in mine.reasons)
    other = scored(change(45, -60, CODE, repo="corp/web"), inc)
    assert other.score < mine.score
    ups = incident(errors=errors, upstream_repos=frozenset({"corp/rates"}))
    upstream = scored(change(45, -60, CODE, repo="corp/rates"), ups)
    assert other.score < upstream.score <= mine.score


# --- the decision ----------------------------------------------------------------------------


def test_none_is_always_an_option_and_only_plausible_changes_are() -> None:
    items = [scored(change(41, -40, TIMEOUT), incident()), scored(change(44, -5, DOCS), incident())]
    found = findings(items)
    schema = answer_schema(["PR #41", "none"])
    assert [c.ref for c in found.candidates if c.option] == ["PR #41"]
    assert schema.model_json_schema()["properties"]["cause"]["enum"] == ["PR #41", "none"]


def test_the_models_choice_and_words_are_kept_when_the_evidence_allows() -> None:
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    cause = decide(answer("PR #41"), found)
    assert (cause.kind, cause.pr, cause.decided_by, cause.category) == (
        "pr", 41, "model", "config_change")  # fmt: skip
    assert cause.explanation.startswith("The client timeout")
    assert "timeout 5s → 500ms" in cause.mechanism
    [action] = propose("inc-1", cause, ALERT.starts_at)
    assert action.args == {"pr": 41, "repo": REPO}


def test_the_ranking_decides_when_the_model_says_none_against_strong_evidence() -> None:
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    cause = decide(answer("none", "external_dependency"), found)
    assert (cause.kind, cause.pr, cause.decided_by) == ("pr", 41, "ranking")
    assert "the model answered none" in cause.decided_why
    assert cause.explanation == "" and "timeout 5s → 500ms" in cause.mechanism


def test_the_ranking_decides_none_when_a_vendor_notice_explains_the_onset() -> None:
    errors = (ErrorSignal("KeyError", "'id'", frames=(Frame("src/report.py", 3),)),)
    plausible = scored(change(43, -180, CODE), incident(errors=errors))
    assert 0.3 <= plausible.score < 0.6, "an option, but nothing ties it to the onset strongly"
    notice = Notice("Ratesource", "vendor", "investigating", "API timeouts", at(-2), ("rates",))
    found = findings([plausible], notices=(notice,))
    cause = decide(answer("PR #43", "code_change"), found)
    assert (cause.kind, cause.decided_by, cause.category) == (
        "none", "ranking", "external_dependency")  # fmt: skip
    assert "Ratesource" in cause.decided_why


def test_a_category_that_contradicts_the_choice_takes_the_changes_own() -> None:
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    cause = decide(answer("PR #41", "capacity"), found)
    assert cause.category == "config_change" and cause.decided_by == "model"


def test_without_a_valid_answer_the_ranking_decides_and_keywords_read_its_mechanism() -> None:
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    cause = decide(None, found)
    assert (cause.pr, cause.decided_by, cause.explanation) == (41, "ranking", "")
    assert "no valid answer" in cause.decided_why
    assert cause.mechanism and "client timeout" not in cause.summary.lower()
    nothing = decide(None, findings([]))
    assert nothing.kind == "none" and "no change in the window" in nothing.none_reasons


def test_a_risk_in_code_users_rarely_run_weighs_less() -> None:
    inc = incident(symptoms=frozenset({"connections", "latency"}))
    serving = scored(change(46, -300, {"src/orders/list.py": CODE["src/report.py"]}), inc)
    admin = scored(change(47, -300, {"src/admin/report.py": CODE["src/report.py"]}), inc)
    assert admin.score < serving.score
    assert admin.findings and serving.findings, "the detector still reports both"


def test_a_change_that_only_moves_an_image_tag_is_a_release_not_a_cause() -> None:
    bump = {"deploy/values.yaml": "@@ -3 +3 @@\n image:\n-  tag: 4be07a2\n+  tag: 9c4e1f0\n"}
    s = scored(change(48, -5, bump), incident((DeployMarker(at(-4), "d", pr=48),)))
    assert any("only moves an image tag" in r for r in s.reasons)
    assert s.score < 0.3


def test_much_more_load_at_the_onset_is_strong_evidence_for_none() -> None:
    weak = [scored(change(49, -200, DOCS), incident())]
    assert none_evidence(weak, (), 15.0, False).strength >= 0.7
    assert none_evidence(weak, (), 2.5, False).strength == 0.5
    assert none_evidence(weak, (), 0.0, False).strength < 0.5


def test_a_load_rise_is_the_trigger_of_a_change_that_cut_what_the_service_absorbs() -> None:
    """The model's pick of a raised CPU request stands against a 2x peak; a docs change not."""
    request = {"k8s/web/deployment.yaml": "@@ -7,3 +7,3 @@\n resources:\n  requests:\n"
               "-    cpu: 200m\n+    cpu: 800m\n"}  # fmt: skip
    peak = incident(symptoms=frozenset({"latency", "timeouts"}), texts=("p99 8 s; 504s",))
    cut = scored(change(45, -300, request), peak)
    none = none_evidence([cut], (), 2.2, False, load_signal="req/s")
    assert none.strength < cut.score and any("load rose 2.2x" in r for r in none.reasons)
    found = Findings.split([cut], alert=ALERT, pages=["dashboard:0"], partial=False,
                           facts_lines=[], none=none)  # fmt: skip
    assert decide(answer("PR #45"), found).decided_by == "model"
    docs = scored(change(46, -300, DOCS), peak)
    assert none_evidence([docs], (), 2.2, False).strength == 0.5


def test_a_weak_change_chosen_against_an_expiry_is_overruled() -> None:
    errors = (ErrorSignal("HTTP 403", "rejected", frames=(Frame("src/report.py", 99),)),)
    weak = scored(change(50, -30, CODE), incident(errors=errors, symptoms=frozenset({"tls"})))
    assert 0.3 <= weak.score < 0.45, weak.reasons
    found = Findings.split(
        [weak], alert=ALERT, pages=["dashboard:0"], partial=False, facts_lines=[],
        none=none_evidence([weak], (), 0.0, False, expired=["api key expired at 06:14"]),
    )  # fmt: skip
    cause = decide(answer("PR #50"), found)
    assert (cause.kind, cause.decided_by) == ("none", "ranking")
    assert any("expired" in r for r in cause.none_reasons)


LEAK = {"src/pricing/memo.py": "@@ -1,2 +1,6 @@\n import db\n+_SEEN = {}\n+\n+def price(query):\n"
        "+    _SEEN[query.key] = db.price(query)\n+    return _SEEN[query.key]\n"}  # fmt: skip
RETRY = {"src/client.py": "@@ -1,2 +1,6 @@\n def call(req):\n"
         "+    for attempt in range(10):\n+        try:\n+            return http.get(req.url)\n"
         "+        except Exception:\n+            continue\n"}  # fmt: skip


def test_a_leak_keeps_its_weight_for_hours_after_the_deploy() -> None:
    inc = incident(symptoms=frozenset({"memory", "crash"}))
    leak = scored(change(51, -15 * 60, LEAK), inc)
    assert any("leak builds up" in r for r in leak.reasons), leak.reasons
    assert leak.score > scored(change(52, -15 * 60, TIMEOUT), inc).score
    old = scored(change(53, -5 * 24 * 60, LEAK), inc)
    assert not any("leak builds up" in r for r in old.reasons) and old.score < leak.score


def test_a_sudden_onset_right_after_a_deploy_weakens_changes_live_for_hours() -> None:
    """A step in the errors within the hour after one deploy: a change live for a day with
    nothing to set it off is unlikely to have waited for that moment; a leak does not step."""
    recent = change(60, -40, DOCS)
    markers = (DeployMarker(at(-30), "deploy", sha=recent.sha),)
    day_old = change(61, -26 * 60, TIMEOUT)
    sudden = incident(markers, abrupt=True)
    halved = scored(day_old, sudden)
    assert any("sudden onset that came right after another deploy" in r for r in halved.reasons)
    assert halved.score < scored(day_old, incident(markers)).score
    assert not any("sudden" in r for r in scored(recent, sudden).reasons)
    at_onset = incident((DeployMarker(at(1), "deploy", sha=recent.sha),), abrupt=True)
    assert any("sudden onset" in r for r in scored(day_old, at_onset).reasons)  # within slack
    alone = scored(day_old, incident(abrupt=True))  # no deploy just before: nothing to follow
    assert not any("sudden" in r for r in alone.reasons)
    leak = scored(change(62, -15 * 60, LEAK), incident(markers, abrupt=True,
                  symptoms=frozenset({"memory", "crash"})))  # fmt: skip
    assert not any("leak builds up" in r for r in leak.reasons)


VALUES = {"deploy/helm/api/values-prod.yaml": "@@ -3,3 +3,3 @@ config:\n"
          "-  SESSION_TTL: 30m\n+  SESSION_TTL: \"1800\"\n   LOG_FORMAT: json\n"}  # fmt: skip


def test_configuration_read_at_start_up_waits_for_the_next_restart() -> None:
    """A values/ConfigMap change live for a day, then pods crash right after another
    deploy restarted them: the restart is the first to read it."""
    restart = change(70, -20, DOCS)
    markers = (DeployMarker(at(-15), "deploy", sha=restart.sha),)
    crash = incident(markers, abrupt=True, symptoms=frozenset({"crash", "errors"}))
    config = scored(change(71, -22 * 60, VALUES), crash)
    assert any(r.startswith("configuration read at start-up") for r in config.reasons)
    assert not any("sudden onset" in r for r in config.reasons)
    no_crash = scored(change(71, -22 * 60, VALUES), incident(markers, abrupt=True))
    assert not any("read at start-up" in r for r in no_crash.reasons)
    no_restart = incident(abrupt=True, symptoms=frozenset({"crash", "errors"}))
    assert not any("read at start-up" in r for r in scored(change(71, -22 * 60, VALUES),
                                                             no_restart).reasons)  # fmt: skip
    code = scored(change(72, -22 * 60, CODE), crash)
    assert not any("read at start-up" in r for r in code.reasons)
    assert config.score > code.score


def test_a_latent_risk_counts_only_when_something_at_the_onset_sets_it_off() -> None:
    quiet = incident(symptoms=frozenset({"errors", "load"}))
    set_off = incident(symptoms=frozenset({"errors", "load"}), trigger="load rising 4.0x")
    without = scored(change(54, -20 * 60, RETRY), quiet)
    with_trigger = scored(change(54, -20 * 60, RETRY), set_off)
    assert without.findings, "the detector finds the retry loop either way"
    assert any("latent risk" in r for r in with_trigger.reasons)
    assert with_trigger.score > without.score


def test_a_risk_waiting_for_its_trigger_may_wait_days_a_leak_not() -> None:
    set_off = incident(symptoms=frozenset({"errors", "load"}), trigger="a platform event (x)")
    five_days = scored(change(56, -5 * 24 * 60, RETRY), set_off)
    assert any("latent risk" in r for r in five_days.reasons), five_days.reasons
    too_old = scored(change(57, -8 * 24 * 60, RETRY), set_off)
    assert not any("latent risk" in r for r in too_old.reasons)
    leaking = incident(symptoms=frozenset({"memory", "crash"}), trigger="a platform event (x)")
    leak = scored(change(58, -5 * 24 * 60, LEAK), leaking)
    assert not any("leak builds up" in r or "latent risk" in r for r in leak.reasons)


def test_a_change_live_for_days_with_nothing_to_set_it_off_counts_half() -> None:
    recent = scored(change(59, -2 * 24 * 60, TIMEOUT), incident())
    old = scored(change(59, -5 * 24 * 60, TIMEOUT), incident())
    assert any("with nothing at the onset to set it off" in r for r in old.reasons), old.reasons
    assert not any("nothing at the onset" in r for r in recent.reasons)


def test_the_category_follows_the_part_of_the_change_the_evidence_points_at() -> None:
    mixed = {"src/orders/dedup.java": "@@ -1,2 +1,3 @@\n class Dedup {\n"
             "+    log.debug(\"dedup {}\", key);\n }\n",
             "config/application-prod.yml": "@@ -1,3 +1,3 @@\n logging:\n  level:\n"
             "-    com.corp: INFO\n+    com.corp: DEBUG\n"}  # fmt: skip
    s = scored(change(55, -120, mixed), incident(symptoms=frozenset({"disk", "logs"})))
    assert s.category == "config_change", s.reasons


def test_an_expired_probe_credential_is_a_false_alarm_and_a_certificate_infrastructure() -> None:
    weak = [scored(change(56, -600, DOCS), incident())]
    probe = none_evidence(weak, (), 0.0, False, expired=["api key expired"], probe=True)
    cert = none_evidence(weak, (), 0.0, False, expired=["certificate expires in 40 h"])
    assert (probe.category, cert.category) == ("false_alarm", "infrastructure_change")
    blip = none_evidence(weak, (), 0.0, True, blip=True)
    assert blip.category == "false_alarm" and blip.strength >= 0.7


# --- a rollback of the alert's deployment ------------------------------------------------------


def workload(rolled_out_min: float | None, revisions: tuple[int, ...] = (4, 5)) -> Workload:
    return Workload(
        namespace="money",
        name="ledger-api",
        replicas=4,
        ready=1,
        revision=5,
        revisions=revisions,
        rolled_out_at=at(rolled_out_min) if rolled_out_min is not None else None,
    )


def cause_with(category: str, *workloads: Workload) -> RootCause:
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    picked = decide(answer("PR #41", category), found)
    return picked.model_copy(update={"workloads": workloads, "category": category})


def test_a_change_rolled_out_in_the_window_proposes_a_rollback_beside_the_revert() -> None:
    actions = propose("inc-1", cause_with("config_change", workload(-25)), ALERT.starts_at)
    assert [a.tool for a in actions] == ["revert_pull_request", "rollback_deployment"]
    rollback = actions[1]
    assert rollback.args == {"name": "ledger-api", "namespace": "money"}
    assert rollback.provenance["name"].trusted and not rollback.origin.trusted
    assert "revision 5 was rolled out 30 min before the alert" in rollback.reason


def test_a_change_outside_the_cluster_still_rolls_back_without_a_revert() -> None:
    cause = cause_with("config_change", workload(-25)).model_copy(
        update={"kind": "none", "pr": None, "repo": None}
    )
    assert [a.tool for a in propose("inc-1", cause, ALERT.starts_at)] == ["rollback_deployment"]


def test_no_rollback_without_a_recent_rollout_a_previous_revision_or_a_change() -> None:
    start = ALERT.starts_at
    old = cause_with("code_change", workload(-5 * 24 * 60))  # rolled out days ago
    assert [a.tool for a in propose("inc-1", old, start)] == ["revert_pull_request"]
    after = cause_with("code_change", workload(20))  # rolled out after the alert
    assert [a.tool for a in propose("inc-1", after, start)] == ["revert_pull_request"]
    first = cause_with("code_change", workload(-25, revisions=(5,)))  # nothing to go back to
    assert [a.tool for a in propose("inc-1", first, start)] == ["revert_pull_request"]
    before = cause_with("code_change", workload(-45))  # PR #41 merged at -40: not shipped by it
    assert [a.tool for a in propose("inc-1", before, start)] == ["revert_pull_request"]
    unknown = cause_with("code_change", workload(None))
    assert [a.tool for a in propose("inc-1", unknown, start)] == ["revert_pull_request"]
    capacity = cause_with("capacity", workload(-25)).model_copy(
        update={"kind": "none", "pr": None, "repo": None}
    )
    assert propose("inc-1", capacity, start) == [], "no change caused it: nothing to undo"


TRIAGE_FOR_PROMPT = Triage(
    severity="high",
    category="latency",
    service="ledger",
    team="ledger",
    channel="#ledger",
    tier=1,
    environment="production",
    reasons=(),
)


# --- few, well-supported options; the evidence's own category ------------------------------------


def test_a_change_far_less_supported_than_the_best_is_shown_not_offered() -> None:
    culprit = change(41, -40, TIMEOUT)
    inc = incident((DeployMarker(at(-25), "d", sha=culprit.sha),))
    errors = (ErrorSignal("KeyError", "'id'", frames=(Frame("src/report.py", 3),)),)
    weaker = scored(change(43, -180, CODE), incident(errors=errors))
    best = scored(culprit, inc)
    assert weaker.plausible and best.score - weaker.score > 0.15
    found = findings([best, weaker])
    assert [c.ref for c in found.candidates if c.option] == ["PR #41"]
    shown = next(c for c in found.candidates if c.ref == "PR #43")
    assert not shown.option
    assert "weaker evidence" in found.prompt(TRIAGE_FOR_PROMPT)["ruled_out"][0]["why"]


def test_changes_about_as_well_supported_are_both_options() -> None:
    one = change(41, -40, TIMEOUT)
    two = change(
        49, -45, {"config/prod.yaml": TIMEOUT["config/prod.yaml"].replace("500ms", "900ms")}
    )
    inc = incident()
    found = findings([scored(one, inc), scored(two, inc)])
    assert {c.ref for c in found.candidates if c.option} == {"PR #41", "PR #49"}


def test_the_model_cannot_pick_a_change_the_evidence_supports_less_than_no_change() -> None:
    errors = (ErrorSignal("KeyError", "'id'", frames=(Frame("src/report.py", 3),)),)
    plausible = scored(change(43, -180, CODE), incident(errors=errors))
    surge = findings([plausible], load=5.0)  # traffic rose 5x at the onset
    assert surge.none.strength > plausible.score
    cause = decide(answer("PR #43", "code_change"), surge)
    assert (cause.kind, cause.decided_by) == ("none", "ranking")
    assert "explains the onset at least as well" in cause.decided_why
    mild = findings([plausible], load=2.0)  # a smaller rise explains less than the change
    assert mild.none.strength < plausible.score
    kept = decide(answer("PR #43", "code_change"), mild)
    assert (kept.pr, kept.decided_by) == (43, "model")


def test_the_category_follows_the_evidence_not_the_models_word() -> None:
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    assert decide(answer("PR #41", "code_change"), found).category == "config_change"
    notice = Notice("Ratesource", "vendor", "investigating", "API timeouts", at(-2), ("rates",))
    nothing = findings([], notices=(notice,))
    kept = decide(answer("none", "platform_failure"), nothing)
    assert (kept.kind, kept.decided_by, kept.category) == ("none", "model", "external_dependency")
    outside = decide(answer("none", "infrastructure_change"), nothing)
    assert outside.category == "infrastructure_change", "a change outside the recorded repos"


def test_the_mechanism_of_a_change_carries_the_errors_the_evidence_shows() -> None:
    culprit = change(41, -40, TIMEOUT)
    found = Findings.split(
        [scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))],
        alert=ALERT, none=none_evidence([], (), 0.0, False), facts_lines=[], pages=[],
        partial=False, errors_seen=("ReadTimeout: rates API did not answer in 500ms",),
    )  # fmt: skip
    cause = decide(None, found)
    assert "timeout 5s → 500ms" in cause.mechanism
    assert "ReadTimeout: rates API did not answer in 500ms" in cause.mechanism


# --- what the model is shown and what it answers ---------------------------------------------


def test_an_options_how_puts_what_the_change_does_before_when_it_went_live() -> None:
    reasons = (
        "merged 3 h before the onset, deployed 2.9 h before the onset",
        "a stack frame of the errors is in a file it changed: src/q.py:9 (of a timeout: where "
        "the time ran out, not why)",
        "sets pool.max 50 → 8 (pool; fits the symptoms 1.0)",
        "src/q.py:4: a query runs once per item of a loop (fits the symptoms 0.7)",
        "a code change (fits the symptoms 0.5)",
        "in corp/web, not the service's repo",
    )
    how, when = how_and_when(reasons)
    setting, risk, frame = how  # the best fit to the symptoms first, a timeout's frame last
    assert (setting, risk) == ("sets pool.max 50 → 8 (pool)",
                               "a query runs once per item of a loop")  # fmt: skip
    assert frame.startswith("a stack frame") and len(frame) <= HOW_CHARS
    assert when == [reasons[0], reasons[4], reasons[5]]  # context, not what it does
    assert not any("fits the symptoms" in h for h in how)


def test_the_failures_quoting_what_a_change_set_or_took_away_is_said_first() -> None:
    reasons = ("sets limits.rps 5000 → 100 (rate_limit; fits the symptoms 1.0)",
               "the failures quote the value it sets, rps = 600: “limit 600”")  # fmt: skip
    how, _ = how_and_when(reasons)
    assert how[0].startswith("the failures quote the value it sets")
    gone = ("a schema change (fits the symptoms 1.0)",
            "the errors name `gift_message`, which its migration renames")  # fmt: skip
    how, _ = how_and_when(gone)
    assert how[0].startswith("the errors name `gift_message`")


def test_an_options_how_leaves_out_code_the_model_could_not_copy_and_keeps_the_words() -> None:
    pattern = "`" + r"^(\w+\s?)*(\w+\.)+[a-z]{2,}$" * 3 + "`"
    [how], _ = how_and_when([f"src/v.rb:2: regex {pattern} can backtrack catastrophically"])
    assert "can backtrack catastrophically" in how and pattern not in how
    no_risk, _ = how_and_when(["merged 5 min before the onset"])
    assert no_risk == []


def test_an_options_how_keeps_short_code_spans_whole_and_drops_asides_before_cutting() -> None:
    bump = (
        "lib/a.js:3: dependency `@acme/http-kit` 1.2.0 → ^2.0.1 (major); the version now "
        "floats (`^`) (fits the symptoms 0.6)"
    )
    [how], _ = how_and_when([bump])
    assert how == "dependency `@acme/http-kit` 1.2.0 → ^2.0.1 (major); the version now floats (`^`)"
    grows = (
        "src/Store.kt:28: field `seen` of `Store` (a concurrent collection: the instance is "
        "shared across threads) grows per call: written with key `Key.of(q)` at line 35 "
        "(`seen.put(Key.of(q), v)`), never evicted or bounded (fits the symptoms 0.6)"
    )
    [how], _ = how_and_when([grows])
    assert how.endswith("never evicted or bounded") and len(how) <= HOW_CHARS, how
    assert "concurrent collection" not in how


def test_a_frame_at_a_changed_line_shows_its_code_in_few_words() -> None:
    [how], _ = how_and_when(
        [
            "a stack frame of the errors is at a line it changed: "
            'src/app/limits.py:37, which now reads `return cap(total), "bank"`'
        ]
    )
    assert (
        how == 'the errors come from a line it changed, limits.py:37: `return cap(total), "bank"`'
    )


def test_a_frames_null_value_stays_when_its_long_line_is_left_out() -> None:
    [how], _ = how_and_when(
        [
            "a stack frame of the errors is at a line it changed: src/app/tax.py:57, which now "
            "reads `code = REGIONAL[order.destination_region.strip().upper()]`; "
            "`order.destination_region` was None there (read into `region`)"
        ]
    )
    assert how == ("the errors come from a line it changed, tax.py:57: "
                   "`order.destination_region` was None there")  # fmt: skip
    [bare], _ = how_and_when(
        [
            "a stack frame of the errors is at a line it changed: src/app/tax.py:57, which now "
            "reads `code = REGIONAL[order.destination_region.strip().upper()]`"
        ]  # fmt: skip
    )
    assert bare == "the errors come from a line it changed, tax.py:57"


def test_an_options_how_leads_with_what_fits_the_symptoms_best() -> None:
    how, _ = how_and_when(
        [
            "deploy/v.yaml:9: env.A_TIMEOUT lowered 3s → 1s (3× shorter) (fits the symptoms 0.5)",
            "sets env.B_TIMEOUT 4s → 1500ms (timeout; fits the symptoms 1.0)",
            "the errors come from libfoo, which it upgrades",
        ]
    )
    assert how == ["sets env.B_TIMEOUT 4s → 1500ms (timeout)",
                   "the errors come from libfoo, which it upgrades",
                   "env.A_TIMEOUT lowered 3s → 1s (3× shorter)"]  # fmt: skip


def test_a_settings_bare_values_give_way_to_a_finding_on_the_same_key() -> None:
    how, when = how_and_when(
        [
            "sets env.LINK_TTL 5m → 90 (ttl; fits the symptoms 1.0)",
            "configuration read at start-up: the restart at the onset is the first to read it",
            "deploy/v.yaml:9: env.LINK_TTL 5m → 90: a duration lost its unit (fits the "
            "symptoms 0.6)",
            "sets env.POOL 10 → 4 (pool; fits the symptoms 0.5)",
        ]
    )
    assert how == ["env.LINK_TTL 5m → 90: a duration lost its unit", "sets env.POOL 10 → 4 (pool)"]
    assert when == ["configuration read at start-up: the restart at the onset is the first to "
                    "read it"]  # fmt: skip


def test_a_frame_at_a_changed_line_shows_that_line_but_never_a_comment_or_a_token() -> None:
    errors = (ErrorSignal("TypeError", "'NoneType' object is not subscriptable",
                          frames=(Frame("src/limits.py", 3),)),)  # fmt: skip
    patch = ("@@ -1,2 +1,4 @@\n def limit(app):\n+    # read the summary the bureau sent\n"
             "+    income = app['bureau_summary']['income']\n+    return income * 4\n")  # fmt: skip
    s = scored(change(46, -30, {"src/limits.py": patch}), incident(errors=errors))
    assert any("which now reads `income = app['bureau_summary']['income']`" in r
               for r in s.reasons)  # fmt: skip
    leaky = patch.replace("app['bureau_summary']['income']", "'ghp_" + "x" * 36 + "'")
    s = scored(change(47, -30, {"src/limits.py": leaky}), incident(errors=errors))
    frame = next(r for r in s.reasons if "stack frame" in r)
    assert "which now reads `return income * 4`" in frame and "ghp_" not in frame
    at_comment = (ErrorSignal("TypeError", "x", frames=(Frame("src/limits.py", 2),)),)
    s = scored(change(48, -30, {"src/limits.py": patch}), incident(errors=at_comment))
    frame = next(r for r in s.reasons if "stack frame" in r)
    assert "# read the summary" not in frame and "bureau_summary" in frame


def test_a_frame_showing_an_added_line_points_at_it_after_later_changes_moved_it() -> None:
    patch = ("@@ -1,2 +1,4 @@\n def limit(app):\n+    summary = app.bureau_summary\n"
             "+    income = summary['income']['monthly']\n+    return income * 4\n")  # fmt: skip
    moved = Frame("src/limits.py", 31, "limit",
                  code="income = summary['income']['monthly']", nulls=("summary",))  # fmt: skip
    errors = (ErrorSignal("TypeError", "'NoneType' object is not subscriptable", frames=(moved,)),)
    s = scored(change(49, -30, {"src/limits.py": patch}), incident(errors=errors))
    frame = next(r for r in s.reasons if "stack frame" in r)
    assert frame.startswith("a stack frame of the errors is at a line it changed: src/limits.py:31")
    assert "`app.bureau_summary` was None there (read into `summary`)" in frame
    elsewhere = Frame("src/limits.py", 31, "limit", code="total = sum(rows)", nulls=("rows",))
    errors = (ErrorSignal("TypeError", "'NoneType' object is not iterable", frames=(elsewhere,)),)
    s = scored(change(50, -30, {"src/limits.py": patch}), incident(errors=errors))
    frame = next(r for r in s.reasons if "stack frame" in r)
    assert "in a file it changed" in frame and "None" not in frame


def test_the_model_states_what_and_how_first_and_the_record_keeps_them() -> None:
    schema = answer_schema(["PR #41", "none"]).model_json_schema()
    assert schema["required"][:4] == ["cause", "what", "how", "category"]  # the grammar's order
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    given = {"cause": "PR #41", "category": "config_change", "confidence": "high",
             "explanation": "Rates calls time out because the client gives up early.",
             "what": "fail fast on the rates API", "how": "sets timeout 5s → 500ms"}  # fmt: skip
    cause = decide(CauseAnswer.model_validate(given), found)
    assert cause.explanation == (
        "Rates calls time out because the client gives up early: "
        "fail fast on the rates API — sets timeout 5s → 500ms."
    )
    repeated = {**given, "explanation": "It sets timeout 5s → 500ms, so calls time out."}
    assert decide(CauseAnswer.model_validate(repeated), found).explanation == (
        "It sets timeout 5s → 500ms, so calls time out: fail fast on the rates API."
    )
    both = {**repeated, "what": "It sets timeout"}
    assert decide(CauseAnswer.model_validate(both), found).explanation == both["explanation"]
    older = {k: v for k, v in given.items() if k not in ("how", "what")}  # stored before them
    assert decide(CauseAnswer.model_validate(older), found).explanation == given["explanation"]


def test_the_model_cites_changes_by_ref_and_the_record_keeps_their_repo() -> None:
    here, there = change(41, -40, TIMEOUT), change(41, -50, DOCS, repo="acme/other")
    alone = change(42, -45, TIMEOUT)
    inc = incident((DeployMarker(at(-25), "d", sha=here.sha),))
    found = findings([scored(here, inc), scored(there, inc), scored(alone, inc)])
    ids = found.evidence_ids
    assert "dashboard:0" in ids and "PR #42" in ids  # a ref one repo holds: the ref alone
    assert f"{REPO}:PR #41" in ids and "acme/other:PR #41" in ids  # two repos share PR #41
    assert answer_schema(["PR #41", "none"], ids).model_json_schema()["properties"]["evidence"]
    answer = CauseAnswer.model_validate({
        "cause": "PR #41", "category": "config_change", "explanation": "Timeouts.",
        "evidence": ["PR #42", "dashboard:0"],
    })  # fmt: skip
    cause = decide(answer, found)
    assert cause.evidence_ids == (f"{REPO}:PR #42", "dashboard:0")


def test_the_model_writes_no_confidence_and_the_evidence_gives_it() -> None:
    schema = answer_schema(["PR #41", "none"]).model_json_schema()
    assert "confidence" not in schema["properties"] and "confidence" not in schema["required"]
    culprit = change(41, -40, TIMEOUT)
    found = findings([scored(culprit, incident((DeployMarker(at(-25), "d", sha=culprit.sha),)))])
    given = {"cause": "PR #41", "category": "config_change", "explanation": "Timeouts."}
    cause = decide(CauseAnswer.model_validate(given), found)
    assert cause.confidence == round(min(found.top[0].score, 0.9), 2)
    older = decide(CauseAnswer.model_validate({**given, "confidence": "medium"}), found)
    assert older.confidence == 0.6  # an answer stored with its own confidence keeps it


def test_a_lowered_limit_the_pages_show_reached_explains_an_onset_days_later() -> None:
    patch = "@@ -8,3 +8,3 @@\n database:\n   pool:\n-    max-size: 48\n+    max-size: 12\n"
    files = {"config/app-prod.yml": patch}
    onset = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    shrink = Change(kind="pr", repo="corp/orders", ref="PR #7", number=7,
                    sha="c0ffee1", title="Right-size the database pool", author="a",
                    merged_at=onset - timedelta(days=3), files=tuple(files))  # fmt: skip
    facts = change_facts("PR #7", list(files), files)
    held = Incident(start=onset, onset=onset, symptoms=frozenset({"connections", "timeouts"}),
                    markers=(), errors=(), texts=(), service_repo="corp/orders",
                    ceilings=(Ceiling("Active connections / pod", 12.0),))  # fmt: skip
    reached = score(shrink, facts, held)
    assert any(r.startswith("demand reached the limit it set: Active connections / pod held "
                            "at 12") for r in reached.reasons), reached.reasons  # fmt: skip
    elsewhere = score(shrink, facts, replace(held, ceilings=(Ceiling("Active workers", 12.0),)))
    other_value = score(shrink, facts, replace(held, ceilings=(Ceiling("Active conns", 20.0),)))
    for missed in (elsewhere, other_value):
        assert not any("demand reached" in r for r in missed.reasons)
        assert missed.score < reached.score


def test_steady_growth_gives_way_to_a_change_that_leaks() -> None:
    c = change(9, -60 * 20, CODE)
    timing = Timing(c.merged_at, None, None, False, False)
    leak = "a leak builds up after the deploy: 20 h live before the onset fits it"
    leaking = Scored(c, None, 0.4, ("merged 20 h before", leak), (), "code_change", timing)
    plain = Scored(c, None, 0.3, ("merged 20 h before",), (), "code_change", timing)
    growth = Growth("heap used", 30, 40, 60, "%")
    with_leak = none_evidence([leaking], [], 0, False, growth=growth).reasons
    without = none_evidence([plain], [], 0, False, growth=growth).reasons
    assert not any("steady growth" in r for r in with_leak)
    assert any("steady growth" in r for r in without)


def test_a_range_that_ran_out_speaks_for_capacity_unless_a_change_is_strongly_tied() -> None:
    weak = scored(change(47, -30, DOCS), incident())
    found = none_evidence([weak], (), 0.0, False, exhausted=["reached maximum value of sequence"])
    assert found.category == "capacity" and found.strength >= 0.6
    assert found.reasons[0].startswith("a fixed range of values ran out")
    strong = replace(weak, score=0.9)
    tied = none_evidence([strong], (), 0.0, False, exhausted=["integer out of range"])
    assert tied.category is None and tied.strength == 0.0


def test_a_deploy_within_the_onsets_minute_is_said_to_be_at_the_onset() -> None:
    culprit = change(48, -10, TIMEOUT)
    s = scored(culprit, incident((DeployMarker(at(0.5), "deploy", sha=culprit.sha),)))
    assert "deployed at the onset" in s.reasons[0]


def test_a_providers_quota_that_ran_out_speaks_for_the_vendor_before_a_load_rise() -> None:
    weak = scored(change(52, -30, DOCS), incident())
    found = none_evidence([weak], (), 3.8, False, quota="autocomplete failed: 429 quota_exceeded")
    assert found.category == "external_dependency" and found.strength >= 0.6
    assert found.reasons[0].startswith("the provider's quota ran out")
    strong = replace(weak, score=0.9)
    assert none_evidence([strong], (), 0.0, False, quota="429 quota_exceeded").category is None


def test_the_changes_read_in_detail_first_are_those_named_then_those_before_the_onset() -> None:
    from agents.root_cause.investigate import _preliminary

    named = change(5, -600, DOCS)  # ten hours before, but a deploy marker names its commit
    just_before, hours_before = change(6, -10, DOCS), change(7, -300, DOCS)
    just_after = change(8, 5, DOCS)  # merged after the onset: ruled out, read last
    within_slack = change(9, 1, DOCS)  # a minute after: may still be it
    marked = incident(markers=(DeployMarker(at(-550), "deploy", sha=named.sha),))
    order = sorted([just_after, hours_before, within_slack, just_before, named],
                   key=lambda c: _preliminary(c, marked))  # fmt: skip
    assert [c.number for c in order] == [5, 9, 6, 7, 8]


RETENTION = {"topics/events.yaml": "@@ -3,3 +3,3 @@\n events:\n   config:\n"
             "-    retention.ms: 259200000\n+    retention.ms: 2592000000\n"}  # fmt: skip


def test_a_build_up_of_what_a_setting_holds_from_its_deploy_ties_the_change() -> None:
    from agents.root_cause.correlate import Buildup

    kept, slower = change(31, -6 * 1440, RETENTION), change(32, -6 * 1440, TIMEOUT)
    deployed = DeployMarker(at(-6 * 1440 + 5), "apply topics#31", pr=31)
    other = DeployMarker(at(-6 * 1440 + 5), "apply topics#32", pr=32)
    disk = Buildup(deployed.at, "broker-1 (data volume used)", 55.0, 93.0, "%")
    inc = incident(markers=(deployed,), buildups=(disk,), symptoms=frozenset({"disk", "errors"}))
    tied = scored(kept, inc)
    assert any("sets how much broker-1 (data volume used) holds" in r for r in tied.reasons)
    memory = replace(disk, name="used_memory")  # a retention holds no memory
    assert not any("holds" in r for r in scored(kept, replace(inc, buildups=(memory,))).reasons)
    unrelated = scored(slower, replace(inc, markers=(other,)))  # a timeout holds no disk
    assert not any("holds" in r for r in unrelated.reasons)
    assert tied.score > unrelated.score
    assert not any("holds" in r for r in scored(kept, replace(inc, buildups=())).reasons)


SUBMIT = "@@ -70,6 +70,7 @@ func (s *Submitter) Submit(ctx context.Context, m Msg) error {\n"


def test_a_frame_at_a_changed_line_that_only_logs_the_error_counts_little() -> None:
    from agents.root_cause.score import LOGGING

    errors = (ErrorSignal("PgError", "database refuses writes",
                          frames=(Frame("internal/send/submit.go", 74),)),)  # fmt: skip
    logs = change(41, -30, {"internal/send/submit.go": SUBMIT + "     if err != nil {\n"
                            '-        s.log.Error("insert failed", zap.Error(err))\n'
                            '+        s.log.Error("insert failed", zap.String("route", m.Route),\n'
                            "+            zap.Error(err))\n"
                            "         return err\n     }\n"})  # fmt: skip
    code = change(42, -30, {"internal/send/submit.go": SUBMIT + "     if err != nil {\n"
                            "-        return err\n"
                            "+        return s.retryInsert(ctx, m, err)\n"
                            "+        // retried once\n     }\n"})  # fmt: skip
    inc = incident(errors=errors, texts=("PgError database refuses writes",))
    logged, raised = scored(logs, inc), scored(code, inc)
    assert any("a line that only logs the error" in r for r in logged.reasons), logged.reasons
    assert not any("only logs" in r for r in raised.reasons), raised.reasons
    assert raised.score > logged.score
    for line in ('logger.warn("retrying %s", key)', 'zap.String("k", v), zap.Error(err))',
                 'console.error(`failed ${id}`)', 'log.Printf("x=%d", x)', 'print(f"bad {x}")',
                 'self.logger.exception("failed")', 'slog.Error("boom", "err", err)'):  # fmt: skip
        assert LOGGING.search(line), line
    for line in (
        "return err.Error()",
        'errors.New("boom")',
        "raise ValueError(msg)",
        "total = catalog.size()",
        'fmt.Errorf("wrap: %w", err)',
        "err.Error() + x",
    ):
        assert not LOGGING.search(line), line


def test_the_ranking_decides_when_the_model_says_none_with_nothing_speaking_for_it() -> None:
    culprit = replace(scored(change(41, -600, TIMEOUT), incident()), score=0.5)
    other = replace(scored(change(44, -30, TIMEOUT), incident()), score=0.28)
    cause = decide(answer("none", "false_alarm"), findings([culprit, other]))
    assert (cause.kind, cause.pr, cause.decided_by) == ("pr", 41, "ranking")
    assert "nothing speaks for no change" in cause.decided_why
    close = replace(other, score=0.4)  # two options about as well supported: the model chooses
    assert decide(answer("none", "capacity"), findings([culprit, close])).decided_by == "model"
    notice = Notice("Ratesource", "vendor", "investigating", "API timeouts", at(-2), ("rates",))
    held = decide(answer("none", "external_dependency"), findings([culprit], notices=(notice,)))
    assert (held.kind, held.decided_by) == ("none", "model")  # the notice speaks for it


def test_a_build_up_from_its_deploy_that_filled_the_resource_ties_the_change_most() -> None:
    from agents.root_cause.correlate import Buildup

    thumbs = change(
        51, -6 * 1440, {"worker/thumbs.py": "@@ -1 +1,2 @@\n x\n+    out = mkstemp()\n"}
    )
    deployed = DeployMarker(at(-6 * 1440 + 5), "deploy worker#51", pr=51)
    half = Buildup(deployed.at, "data bytes used", 12.0, 40.0, "%")
    full = Buildup(deployed.at, "node-3 (inodes used)", 0.0, 100.0, "%")
    inc = incident(markers=(deployed,), buildups=(half,), symptoms=frozenset({"disk", "errors"}))
    some = scored(thumbs, inc)
    filled = scored(thumbs, replace(inc, buildups=(half, full)))
    assert any("filled node-3 (inodes used) to 100%" in r for r in filled.reasons)
    assert not any("filled" in r for r in some.reasons)
    assert filled.score > some.score


THROTTLE = "internal/middleware/throttle.go"


def test_code_named_for_the_failing_mechanism_and_its_message_tie_a_change() -> None:
    limiter = change(61, -700, {THROTTLE: (
        "@@ -10,3 +10,3 @@\n x\n-\tkey := tenantKey(r)\n+\tkey := r.RemoteAddr\n"
        '-\t\tlog.Warn("quota window exceeded", "key", key)\n'
        '+\t\tlog.Warn("quota window exceeded", "key", key, "limit", limit)\n')})  # fmt: skip
    other = change(62, -700, {"internal/orders/list.go": "@@ -1 +1,2 @@\n x\n+\ta := 1\n"})
    inc = incident(symptoms=frozenset({"throttling", "errors"}), primary=frozenset({"throttling"}),
                   texts=('9,120 lines "quota window exceeded"',))  # fmt: skip
    tied = scored(limiter, inc)
    assert any(r.startswith(f"changes the code of what fails: {THROTTLE}") for r in tied.reasons)
    assert any("“quota window exceeded”: it rewrote the code that writes it" in r
               for r in tied.reasons)  # fmt: skip
    assert tied.score > scored(other, inc).score + 0.2
    pooled = scored(limiter, replace(inc, symptoms=frozenset({"memory"}), primary=frozenset(),
                                     texts=("OOMKilled",)))  # fmt: skip
    assert not any("what fails" in r or "own message" in r for r in pooled.reasons)


def test_a_setting_the_pages_show_at_its_old_value_gives_no_weight() -> None:
    from agents.root_cause.facts.types import ConfigValue

    lowered = change(71, -900, {"config/production.yaml": (
        "@@ -3,3 +3,3 @@\n consumer:\n-  maxWorkers: 16\n+  maxWorkers: 4\n")})  # fmt: skip
    inc = incident(symptoms=frozenset({"queue", "latency"}), primary=frozenset({"queue"}))
    live = scored(lowered, inc)
    stale = scored(lowered, replace(inc, configs=(ConfigValue("max_workers", "16"),)))
    assert any("sets consumer.maxWorkers 16 → 4" in r for r in live.reasons)
    assert any(r.startswith("not in effect: the pages show max_workers still 16")
               for r in stale.reasons)  # fmt: skip
    assert stale.score < live.score - 0.2


def test_a_file_names_a_mechanism_only_in_whole_words() -> None:
    from agents.root_cause.score import _named_family

    assert _named_family("rate-limit") == _named_family("rateLimiter") == "rate_limit"
    assert _named_family("db_pool") == "pool" and _named_family("retries") == "retry"
    assert _named_family("verifyco") is None  # a vendor's name, not TLS verification
    assert _named_family("poolside") is None and _named_family("client") is None


def test_ties_without_a_mechanism_are_said_after_what_the_change_does() -> None:
    from agents.root_cause.logic import how_and_when

    how, when = how_and_when([
        "merged 2.0 h before the onset",
        "the failures' own message, “ledger row busy”: it added the code that raises it (a.ts:3)",
        "src/a.ts:9: the client opened here is not closed on every path (fits the symptoms 0.6)",
        "the errors fail at a line it wrote (a.ts:3): a fault that waits for its input",
    ])  # fmt: skip
    assert how[0].startswith("the client opened") and how[-1].startswith("the failures' own")
    assert any(w.startswith("the errors fail at a line it wrote") for w in when)


def test_a_file_named_for_what_fails_counts_only_beside_a_direct_tie() -> None:
    renamed = change(63, -700, {THROTTLE: (
        "@@ -10,2 +10,2 @@\n x\n-\twindow := 60 * time.Second\n"
        "+\twindow := time.Minute\n")})  # fmt: skip
    inc = incident(symptoms=frozenset({"throttling", "errors"}), primary=frozenset({"throttling"}),
                   texts=('9,120 lines "quota window exceeded"',))  # fmt: skip
    assert not any("what fails" in r for r in scored(renamed, inc).reasons)


CLIENT = {"app/vendor/client.py": (
    "@@ -40,6 +40,6 @@ class Client:\n     def send(self, doc):\n"
    "-        return self._post('/documents', json=doc, timeout=10)\n"
    "+        return self._post('/v2/documents', json=doc)\n")}  # fmt: skip


def test_a_frame_where_the_called_service_refused_the_credentials_is_only_the_call_site() -> None:
    frame = Frame("/srv/app/vendor/client.py", 42, "send")
    refused = (ErrorSignal("VendorAuthError", 'token request failed: HTTP 401 {"error":'
                           '"invalid_client"}', 40, frames=(frame,)),)  # fmt: skip
    broken = (ErrorSignal("TypeError", "send() got an unexpected keyword 'json'", 40,
                          frames=(frame,)),)  # fmt: skip
    c = change(51, -50, CLIENT)
    said = scored(c, incident(errors=refused, texts=("HTTP 401 invalid_client",)))
    bug = scored(c, incident(errors=broken, texts=("TypeError unexpected keyword",)))
    assert any("refusing the credentials" in r for r in said.reasons), said.reasons
    assert not any("refusing" in r for r in bug.reasons) and bug.score > said.score


PG_BUMP = {"package.json": '@@ -8,2 +8,2 @@\n-    "pg": "8.11.0",\n+    "pg": "8.12.0",\n'}


def test_a_reset_or_timeout_raised_inside_a_library_does_not_tie_its_upgrade() -> None:
    frame = Frame("/srv/node_modules/pg/lib/connection.js", 132)
    reset = (ErrorSignal("ECONNRESET", "read ECONNRESET", 90, frames=(frame,)),)
    broken = (ErrorSignal("TypeError", "Cannot read properties of undefined (reading 'rows')",
                          90, frames=(frame,)),)  # fmt: skip
    c = change(52, -50, PG_BUMP)
    carried = scored(c, incident(errors=reset, texts=("read ECONNRESET",)))
    thrown = scored(c, incident(errors=broken, texts=("TypeError reading 'rows'",)))
    assert not any("the errors come from" in r for r in carried.reasons), carried.reasons
    assert any(r.startswith("the errors come from pg") for r in thrown.reasons), thrown.reasons


def test_a_throttle_the_server_answers_does_not_tie_the_clients_upgrade() -> None:
    frame = Frame("/srv/node_modules/pg/lib/client.js", 88)
    throttled = (ErrorSignal("ThrottlingException", "pg: rate exceeded for the account", 40,
                             frames=(frame,)),)  # fmt: skip
    said = ("ProvisionedThroughputExceededException calling pg: throughput exceeded",)
    c = change(52, -50, PG_BUMP)
    carried = scored(c, incident(errors=throttled, texts=said))
    assert not any("which it upgrades" in r for r in carried.reasons), carried.reasons


def test_failing_records_carrying_an_upstream_build_tie_its_change() -> None:
    producer = change(61, -40, CODE, repo="corp/rates")
    own = change(62, -40, CODE)
    marker = DeployMarker(at(-30), "deploy rates", sha=producer.sha[:7])
    failing = (f'{{"level":"ERROR","msg":"decode rate","producer":"rates/{producer.sha[:7]}"}}',
               f'{{"level":"ERROR","msg":"decode rate","build":"{own.sha[:7]}"}}')  # fmt: skip
    inc = incident((marker,), upstream_repos=frozenset({"corp/rates"}), failing=failing)
    tied, mine = scored(producer, inc), scored(own, inc)
    assert any(r.startswith("the failing records carry the build") for r in tied.reasons)
    # the service's own records carry whatever build runs: no tie of their own
    assert not any(r.startswith("the failing records carry") for r in mine.reasons)
    quiet = scored(producer, incident((marker,), upstream_repos=frozenset({"corp/rates"})))
    assert tied.score > quiet.score


def test_a_false_alarm_does_not_stand_while_the_failures_go_on() -> None:
    said = CauseAnswer.model_validate(
        {
            "cause": "none",
            "category": "false_alarm",
            "explanation": "Nothing is wrong.",
            "confidence": "low",
        }
    )
    quiet = findings([])
    assert decide(said, quiet).category == "false_alarm"
    going = replace(quiet, ongoing=True)
    record = decide(said, going)
    assert record.category != "false_alarm" and "still under way" in record.decided_why
