"""Score each recent change by how well the evidence ties it to this incident, and weigh the
evidence that no change did (docs/diagnosis.md, "Ranking").

A change earns its score from facts, each recorded as a reason: it reached production
before the onset (the last deploy before it weighs most; a change deployed or merged after
the onset is ruled out), runs on its version failed where runs on the version before
worked, a stack frame is in one of its files, a setting it changes or a
risk a detector found in it fits the incident's symptoms, the error text names a library it
bumps, it is in the alerting service's repo. Time alone counts little. The evidence for
"none" is a matching external notice, every change ruled out, or load that rose at the
onset with no change fitting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agents.root_cause import correlate, kinds
from agents.root_cause.change import Change
from agents.root_cause.detectors import detect
from agents.root_cause.facts.settings import FAMILIES as SETTING_FAMILIES
from agents.root_cause.facts.settings import key_words as setting_words
from agents.root_cause.facts.types import (
    ChangeFacts,
    ConfigValue,
    DeployMarker,
    ErrorSignal,
    Finding,
    Frame,
    Notice,
    SettingChange,
    SettingFamily,
)
from agents.root_cause.symptoms import (
    CPU_REQUEST_RAISED,
    KIND_SYMPTOMS,
    RAISED_SYMPTOMS,
    SETTING_SYMPTOMS,
    WORDS,
    fit,
)
from core.state import CauseCategory

PLAUSIBLE = 0.3  # a change scoring less is shown as unlikely, never offered as an option
OFF_PATH = re.compile(
    r"(^|/)(admin|scripts?|tools?|backfills?|cli|maintenance|one_?off|seeds?|devtools)(/|_|\.)",
    re.I,
)  # code users' requests rarely run: a risk found there weighs half
STRONG = 0.6
FIRST_BAD = 0.3  # runs on its version failed where runs on the version before worked
NEAR_LINES = 3  # a stack frame this close to a changed line points at that change
# Risks that lie in wait: a leak builds up for hours or days after the deploy; the others
# show only when something sets them off (a failure to retry, a load rise to scale out for).
GROWS = frozenset({"unbounded_collection", "unclosed_client", "unbounded_metric_labels",
                   "goroutine_blocked_send", "maintenance_disabled", "cookie_grows"})  # fmt: skip
TRIGGERED = frozenset({"retry_without_backoff", "scaling_bounds_changed", "query_in_loop",
                       "regex_backtracking", "pool_or_workers_lowered",
                       "bound_removed", "blocking_server_command",
                       "shutdown_drain_removed", "expiry_synchronized",
                       "concurrency_model_changed", "probe_or_port_changed",
                       "runtime_sizing_removed", "key_spread_collapsed"})  # fmt: skip
LATENT_HOURS = 72.0  # a leak (or configuration read at start-up) live this long, at most
TRIGGER_HOURS = 168.0  # a risk that waits for its trigger may wait a week
AT_LIMIT = 0.3  # a lowered limit that the pages show being reached
FILLS = 0.2  # ...and what the change set governs how much of that resource is held
LATENT_TIMING = 0.2  # the timing a latent risk keeps when it was live long before the onset
APP_CONFIG = {"timeout", "keepalive", "retry", "backoff", "pool", "workers", "ttl", "cache_key",
              "cache_size", "batch", "log_level", "sampling", "flag", "tls", "rate_limit",
              "retention", "breaker"}  # fmt: skip
# a memory setting of the runtime inside the container (the JVM's heap), not the container's
_RUNTIME_KEY = re.compile(r"heap|xmx|xms|jvm|java_?(tool_)?opts|max_?ram|gomemlimit|"
                          r"max[_-]old[_-]space", re.I)  # fmt: skip
NAMED_FOR = 0.1  # ...and a changed code file is named for the mechanism that fails
WRITES_MESSAGE = 0.3  # the failures quote a message that code the change added raises
QUOTED = 0.3  # the failures quote what a change sets or takes away (a limit, a column)
# a setting of the infrastructure in front of or under the service, whatever its family: a
# load balancer's or an ingress's idle timeout is not the application's
_INFRA_KEY = re.compile(r"ingress|load.?balancer|(?<![a-z])[aen]lb(?![a-z])|annotations|"
                        r"istio|service.?mesh|target.?group|cron.?job|concurrency.?policy",
                        re.I)  # fmt: skip

# infrastructure as code: what it sets are the cloud resources' attributes (a queue's
# visibility timeout, a database's parameters), not the application's configuration
_IAC_FILE = re.compile(r"\.(tf|tfvars|hcl)$|(^|/)(cloudformation|pulumi)/|\.cfn\.ya?ml$", re.I)


@dataclass(frozen=True)
class Incident:
    """The incident as the evidence shows it."""

    start: datetime  # the alert's
    onset: datetime  # the data's, or the alert's when no page shows one
    symptoms: frozenset[str]
    markers: tuple[DeployMarker, ...]
    errors: tuple[ErrorSignal, ...]
    texts: tuple[str, ...]  # alert text, error messages, log lines: what names libraries
    service_repo: str
    upstream_repos: frozenset[str] = frozenset()
    primary: frozenset[str] = frozenset()  # what the alert itself is about
    explained: bool = False  # an external or platform signal explains the onset's timing
    trigger: str = ""  # what happened at the onset that could set off a latent risk
    first_bad: correlate.FirstBad | None = None  # the version the failures began with
    abrupt: bool = False  # the onset is a step, not a slow growth
    ceilings: tuple[correlate.Ceiling, ...] = ()  # limits the pages show being reached
    buildups: tuple[correlate.Buildup, ...] = ()  # resources a deploy started filling
    configs: tuple[ConfigValue, ...] = ()  # settings the pages show in effect
    durations: tuple[correlate.Duration, ...] = ()  # latencies and processing times
    steps: tuple[correlate.Step, ...] = ()  # series that moved from one level to another
    failing: tuple[str, ...] = ()  # the errors and ERROR log lines, as the pages show them


@dataclass(frozen=True)
class Scored:
    change: Change
    facts: ChangeFacts | None
    score: float
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...]
    category: CauseCategory
    timing: correlate.Timing
    ruled_out: str = ""  # why it cannot be the cause

    @property
    def plausible(self) -> bool:
        return not self.ruled_out and self.score >= PLAUSIBLE


@dataclass(frozen=True)
class NoneEvidence:
    strength: float  # 0..1
    category: CauseCategory | None
    reasons: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = field(default_factory=tuple)


def score(change: Change, facts: ChangeFacts | None, incident: Incident) -> Scored:
    marker = correlate.marker_for(change.sha, change.number, incident.markers)
    effect = None
    if marker is None or marker.source == IN_EFFECT:
        effect = _in_effect(change, facts, incident)
        marker = _effect_marker(change, effect[1]) if effect else None
    shown = (*incident.markers, marker) if effect and marker else incident.markers
    last = correlate.last_deploy_before(incident.onset, shown)
    when = correlate.timing(change.merged_at, marker, incident.onset, last)
    reasons = [_when(change, when, incident.onset)]
    found = tuple(detect(facts)) if facts else ()
    category = change_category(change, facts)
    if when.after_onset:
        why = "reached production after the onset" if marker else "merged after the onset"
        bad = incident.first_bad
        if bad is not None and incident.onset == bad.at:
            why += f" (the failures began with {correlate.label(bad.bad)}, deployed before it)"
        return Scored(change, facts, 0.0, (*reasons, why), found, category, when, why)
    gap = hours_before(when, change, incident.onset)
    total = _timing_score(when, change, incident.onset)
    after_another = _after_another(when, last, incident)
    # a fault waiting for its input, unless a sudden onset came right after another deploy:
    # what that deploy changed (the input the line now gets, from a caller or a callee) is
    # the likelier trigger, and it is scored on its own
    waited = "" if incident.abrupt and gap > 1 and after_another else _wrote_failing(
        facts, incident)  # fmt: skip
    latent = waited or _latent(found, incident, gap, facts, after_another)
    live = marker.at if marker is not None else change.merged_at
    limit = (
        _at_limit(facts, incident)
        or _passed_timeout(facts, incident, live)
        or _built_up(marker, incident)
    )
    if limit:
        total += AT_LIMIT
        latent = latent or limit
    if latent and total < LATENT_TIMING:
        total = LATENT_TIMING
        if latent != limit:
            reasons.append(latent)
    if limit:
        reasons.append(limit)
    fills = _fills(facts, marker, incident) or _filled_up(marker, incident)
    if fills:
        total += FILLS
        reasons.append(fills)
    places: list[tuple[float, str]] = []
    if effect is not None:
        setting, step = effect
        total += QUOTED
        places.append((QUOTED, setting.file))
        name = " ".join(step.name.split())[:50]
        reasons.append(f"the pages show what it sets take effect: {name} {step.before:g} → "
                       f"{step.after:g} at {step.at:%H:%M}, as its "
                       f"{setting.key} {setting.before} → {setting.after}")  # fmt: skip
    bad = incident.first_bad
    if bad is not None and marker is not None and marker == bad.bad:
        total += FIRST_BAD
        good, failed = correlate.label(bad.good), correlate.label(bad.bad)
        reasons.append(f"the failures began with its version: runs on {good} worked, runs on "
                       f"{failed} failed")  # fmt: skip
    carried = "" if change.repo == incident.service_repo else correlate.failures_carry(
        (change.sha, marker.sha if marker else None), incident.failing)  # fmt: skip
    if carried:  # the service's own records carry its running build, whatever failed
        total += FIRST_BAD
        reasons.append(f"the failing records carry the build that shipped it: “{carried[:80]}”")
    total += _evidence(change, facts, found, incident, reasons, places)
    category = _category_where(places, facts) or category
    total *= _repo_weight(change, incident, reasons)
    if incident.explained and gap > 1 and not latent:
        total *= 0.5
        reasons.append(f"live {gap:.0f} h before the onset, which an external or platform "
                       "signal explains")  # fmt: skip
    elif incident.abrupt and gap > 1 and not latent and _after_another(when, last, incident):
        total *= 0.5
        reasons.append(f"live {gap:.0f} h before a sudden onset that came right after "
                       "another deploy")  # fmt: skip
    elif gap > LATENT_HOURS and not latent:  # read because the rollout history goes back so far
        total *= 0.5
        reasons.append(f"live {gap / 24:.1f} d before the onset, with nothing at the onset to "
                       "set it off")  # fmt: skip
    if change.files and all(kinds.file_kind(f) == "docs_tests" for f in change.files):
        total *= 0.2
        reasons.append("touches only docs, tests or CI")
    elif facts and not found and _release_only(facts):
        total *= 0.3
        reasons.append("only moves an image tag: it releases changes listed on their own")
    return Scored(change, facts, round(min(total, 1.0), 3), tuple(reasons), found, category, when)


# a change's reason saying it changed how much load the service absorbs: a capacity setting
# (CPU, memory, replicas, autoscaling, pool, workers, a cache's size, a rate limit) that fits
# the symptoms well, or a risk that a load rise sets off
_ABSORBS = re.compile(
    r"\((?:cpu|memory|replicas|autoscaling|pool|workers|cache_size|rate_limit); fits the "
    r"symptoms (?:0\.[5-9]|1\.0)\)|^a latent risk that load rising"
)
LOAD_TRIGGER = 0.3  # a load rise beside such a change: its trigger


IN_EFFECT = "the pages, showing what it sets in effect"  # a marker no page shows as a deploy


def in_effect(change: Change, facts: ChangeFacts | None, incident: Incident) -> DeployMarker | None:
    """When a change no page shows deployed went live, as the pages show what it sets in
    effect (a count that moved from its value before to its value after): a deploy for the
    other changes too (the last one before the onset is then not theirs)."""
    effect = _in_effect(change, facts, incident)
    return _effect_marker(change, effect[1]) if effect else None


def _effect_marker(change: Change, step: correlate.Step) -> DeployMarker:
    return DeployMarker(step.at, f"{step.name} {step.before:g} → {step.after:g}",
                        sha=change.sha, pr=change.number, source=IN_EFFECT)  # fmt: skip


def _in_effect(
    change: Change, facts: ChangeFacts | None, incident: Incident
) -> tuple[SettingChange, correlate.Step] | None:
    shown = [m for m in incident.markers if m.source != IN_EFFECT]
    if facts is None or correlate.marker_for(change.sha, change.number, shown):
        return None
    return correlate.took_effect(facts.settings, incident.steps, change.merged_at, incident.onset)


def none_evidence(
    scored: Sequence[Scored],
    notices: Sequence[Notice],
    load_rise: float,
    recovered: bool,
    platform: Sequence[tuple[str, CauseCategory]] = (),
    blip: bool = False,
    expired: Sequence[str] = (),
    probe: bool = False,
    load_signal: str = "",
    at_onset: str = "",
    platform_over: tuple[str, datetime] | None = None,
    growth: correlate.Growth | None = None,
    not_renewed: str = "",
    outside: str = "",
    exhausted: Sequence[str] = (),
    quota: str = "",
    rejected: str = "",
    retired: str = "",
) -> NoneEvidence:
    """How strongly the evidence says no listed change did it, and what kind of cause;
    `at_onset` is what the pages say happened at the onset (not a deploy), named second
    when anything else speaks for no change: what set it off is what a responder asks;
    `platform_over` is a platform event (its clause, its end) over well before the alert
    fired while the signal had not recovered: a brief event that failures outlast set
    them off at most (a retry storm, a cold cache), so it speaks less for no change;
    `growth` is a resource that filled steadily over a day or more, already rising before
    every change in it: capacity, unless a change with a leak explains the growth;
    `not_renewed` is the error that kept an expired certificate or credential from being
    renewed, named right after the expiry; `outside` is a change someone made by hand
    outside the repos just before the onset (a flag's rollout raised in its service's UI),
    as its audit log shows it: a change, not in any repo, that explains the timing;
    `exhausted` are errors saying a fixed range of values ran out (a sequence at its maximum,
    an id past 2^31 - 1): data that grew into a limit, capacity, unless a change is strongly
    tied to the failures; `quota` is a provider saying the account's quota ran out: the
    vendor refuses until it resets (external), unless a change is strongly tied; `rejected`
    is a server refusing the service's own credentials with no change touching one: the
    credential changed outside the repos (rotated, revoked), a change of configuration;
    `retired` is a provider answering that the API the service calls is gone (410 Gone, a
    version retired or sunset), where no change started calling it: the vendor removed it,
    which its own answer says as plainly as a status page (external)."""
    reasons: list[str] = []
    strength = 0.0
    category: CauseCategory | None = None
    if outside:
        strength, category = 0.6, "config_change"
        reasons.append(f"changed by hand outside the repos {outside[:170]}")
    if notices:
        strength, category = 0.8, correlate.notice_category(notices)
        reasons += [f"{n.provider} ({n.kind}) {n.status}: {n.text[:120]}" for n in notices[:2]]
    for text, kind in platform[:2]:
        end = platform_over[1] if platform_over and platform_over[0] == text else None
        strength, category = max(strength, 0.4 if end else 0.6), category or kind
        reasons.append(f"the platform: {text[:120]}")
        if end:  # a trigger, not what keeps it going: something made it self-sustaining
            reasons.append(f"the platform event was over at {end:%H:%M:%S} but the failures "
                           "went on: it may have set them off, not kept them going")  # fmt: skip
    best = max((s.score for s in scored if not s.ruled_out), default=0.0)
    if quota and best < STRONG:
        strength = max(strength, 0.6)
        category = category or "external_dependency"
        reasons.append(f"the provider's quota ran out: {' '.join(quota.split())[:120]}")
    if retired:
        strength = max(strength, 0.8)
        category = category or "external_dependency"
        reasons.append(f"the provider says what the service calls is gone: "
                       f"{' '.join(retired.split())[:120]}")  # fmt: skip
    if expired:
        strength = max(strength, 0.6)
        # a credential only the synthetic check uses: the check fails, not the service
        category = category or ("false_alarm" if probe else "infrastructure_change")
        if not_renewed:  # why it was not renewed in time: what a responder fixes, said first
            reasons.append(f"not renewed: {not_renewed}")
        reasons.append(f"something expired: {expired[0][:120]}")
        if probe:
            reasons.append("the alert comes from a synthetic probe, whose own credential expired")
    if rejected:
        strength = max(strength, 0.6)
        category = category or "config_change"
        said = " ".join(rejected.split())[:100]
        reasons.append(f"the server refuses the service's credentials ({said}) and no change "
                       "in the window touches one: changed outside the repos")  # fmt: skip
    if blip:
        strength = max(strength, 0.7)
        category = category or "false_alarm"
        reasons.append("a short excursion that recovered by itself, with no deploy just before")
    if scored and all(s.ruled_out for s in scored):
        strength = max(strength, 0.6)
        reasons.append("every recent change reached production after the onset")
    elif not scored:
        strength = max(strength, 0.5)
        reasons.append("no change in the window")
    if load_rise and best < STRONG:
        # a load rise is what a change that cut the load the service absorbs waits for: it
        # sets that change off, it does not explain the onset as well
        cut = any(_ABSORBS.search(r) for s in scored if s.score == best for r in s.reasons)
        strength = max(strength, 0.7 if load_rise >= 5 else LOAD_TRIGGER if cut else 0.5)
        category = category or "capacity"
        what = f" ({' '.join(load_signal.split())[:80]})" if load_signal else ""
        reasons.append(f"load rose {load_rise:.1f}x at the onset{what}")
    leak = any(r.startswith("a leak builds up") for s in scored for r in s.reasons)
    if growth is not None and not leak and best < STRONG:
        strength = max(strength, 0.5)
        category = category or "capacity"
        unit = growth.unit if growth.unit in ("%", "") else f" {growth.unit}"
        reasons.append(f"steady growth: {' '.join(growth.name.split())[:40]} rose from "
                       f"{growth.first:g}{unit} to {growth.last:g}{unit} over "
                       f"{growth.hours:.0f} h, rising from the window's start, with no step "
                       "at any deploy")  # fmt: skip
    if exhausted and best < STRONG:
        strength = max(strength, 0.6)
        category = category or "capacity"
        reasons.append(f"a fixed range of values ran out: {' '.join(exhausted[0].split())[:120]}")
    if recovered:
        strength = max(strength, 0.3)
        reasons.append(
            "it recovered on its own: the signal was back to its baseline before the "
            "alert was looked at"
        )
    if at_onset and reasons:
        second = 2 if reasons[0].startswith("not renewed") else 1
        reasons.insert(second, f"at the onset: {' '.join(at_onset.split())[:100]}")
    return NoneEvidence(strength, category, tuple(reasons), tuple(notices))


def change_category(change: Change, facts: ChangeFacts | None) -> CauseCategory:
    """The change's category from its kind; a config or manifest change by what it sets
    (an application setting such as a timeout is a config change wherever it lives)."""
    kind = kinds.change_kind(change.files, facts.patches if facts else {})
    if facts and kind in ("config", "infrastructure", "feature_flag", "scheduled_job"):
        found = _config_or_infra(facts.settings)
        if found:
            return found
    return kinds.category(kind)


def _config_or_infra(settings: Iterable[SettingChange]) -> CauseCategory | None:
    """A config change when most of the recognised settings are the application's (its
    timeouts, pools, flags...), else an infrastructure change (replicas, limits, the load
    balancer's and the ingress's own settings, whatever Terraform or CloudFormation sets);
    None when none is recognised."""
    given = list(settings)
    infra = [s for s in given if _INFRA_KEY.search(s.key) or _IAC_FILE.search(s.file)]
    own = [s for s in given if s.family != "other" and s not in infra]
    if not own and not infra:
        return None
    app = sum(s.family in APP_CONFIG or _RUNTIME_KEY.search(s.key) is not None for s in own)
    return "config_change" if app * 2 >= len(own) + len(infra) else "infrastructure_change"


def hours_before(when: correlate.Timing, change: Change, onset: datetime) -> float:
    """How long the change had been live (deployed, else merged) when the onset came."""
    live = when.deployed_at or change.merged_at
    return max((onset - live).total_seconds() / 3600, 0.0)


def proximity(hours: float) -> float:
    """1 within the hour before the onset, then halving every 6 hours: what reached
    production just before a sharp onset is its likeliest trigger."""
    return 1.0 if hours <= 1 else float(0.5 ** ((hours - 1) / 6))


def _timing_score(when: correlate.Timing, change: Change, onset: datetime) -> float:
    near = proximity(hours_before(when, change, onset))
    if when.last_before_onset:
        return 0.35 * near
    if when.deployed_at is not None:
        return 0.2 * near
    return 0.15 * near


def _evidence(
    change: Change,
    facts: ChangeFacts | None,
    found: tuple[Finding, ...],
    incident: Incident,
    reasons: list[str],
    places: list[tuple[float, str]],
) -> float:
    """The evidence tying the change to the incident; `places` gets (weight, file) for each
    piece that points at a file."""
    total = 0.0
    hits = correlate.frame_hits(change.files, incident.errors)
    if hits:
        changed = _changed_lines(facts)
        lines = {(f, fr): correlate.shown_line(facts, f, fr) for f, fr in hits}
        shown = [hit for hit in hits if lines[hit] is not None]
        near = shown or [(f, fr) for f, fr in hits if fr.line and any(
            abs(fr.line - n) <= NEAR_LINES for n in changed.get(f, ()))]  # fmt: skip
        file, frame = (near or hits)[0]
        weight = 0.35 if near else 0.15
        added = lines[(file, frame)]
        code = "" if not near else (
            _short_code(added.text) if added else _code_at(facts, file, frame.line))  # fmt: skip
        call_site = _call_site_only(frame, incident.errors) or (
            "logged" if code and LOGGING.search(code) else "")  # fmt: skip
        weight *= 0.3 if call_site else 1.0
        total += weight
        places.append((weight, file))
        where = "at a line it changed" if near else "in a file it changed"
        code = "" if call_site else code
        null = correlate.null_source(facts, file, frame, code) if code else ""
        reasons.append(f"a stack frame of the errors is {where}: {file}:{frame.line}"
                       + (f", which now reads `{code}`" if code else "")
                       + (f"; {null}" if null else "")
                       + (f" ({_CALL_SITE[call_site]})" if call_site else ""))  # fmt: skip
    if facts is None:
        return total
    said = correlate.emitted_message(facts, incident.texts)
    if said is not None:
        weight = WRITES_MESSAGE * (0.5 if said.rewritten else 1.0)
        total += weight
        places.append((weight, said.line.file))
        did = (
            "rewrote the code that writes it" if said.rewritten else "added the code that raises it"
        )
        reasons.append(f"the failures' own message, “{said.message[:60]}”: it {did} "
                       f"({said.line.file}:{said.line.line})")  # fmt: skip
    named_for = _code_named_for(facts, incident) if said is not None or hits else None
    if named_for:  # a file's name only corroborates a direct tie to the failures
        file, how = named_for
        total += NAMED_FOR * how
        reasons.append(f"changes the code of what fails: {file} (fits the symptoms {how:.1f})")
    stale = [(s, c) for s in facts.settings if (c := correlate.not_in_effect(s, incident.configs))]
    settings = [
        (s, fit(setting_symptoms(s), set(incident.symptoms), incident.primary)
         * (1.0 if s.direction in ("lowered", "raised", "changed") else 0.5))
        for s in facts.settings
        if s.family != "other" and all(s is not x for x, _ in stale)
    ]  # fmt: skip
    if stale:
        x, c = stale[0]
        reasons.append(f"not in effect: the pages show {c.key} still {c.value}, where it sets "
                       f"{x.key} {x.before} → {x.after}")  # fmt: skip
    if settings:
        best, how = max(settings, key=lambda pair: pair[1])
        if how:
            total += 0.3 * how
            places.append((0.3 * how, best.file))
            reasons.append(f"sets {best.key} {best.before or '∅'} → {best.after or '∅'} "
                           f"({best.family}; fits the symptoms {how:.1f})")  # fmt: skip
    quoted = [q for q in correlate.quoted_settings(facts.added, incident.texts)
              if _quote_fits(q, facts.settings, incident)]  # fmt: skip
    if quoted:
        q = quoted[0]
        total += QUOTED
        places.append((QUOTED, q.file))
        reasons.append(f"the failures quote the value it sets, {q.key} = {q.value}: "
                       f"“{q.quote}”")  # fmt: skip
    gone = correlate.errors_name_gone(facts, incident.texts)
    if gone:
        total += QUOTED
        places.append((QUOTED, next((st.file for st in facts.statements), facts.files[0])))
        reasons.append(f"the errors name `{gone[0]}`, which its migration {gone[1]}")
    major = correlate.major_errors(incident.errors)
    # a connection reset or a timeout surfaces inside the client library whatever its version
    origin = [f"{e.kind} {' '.join(fr.file for fr in e.frames)}" for e in major
              if not _carried(f"{e.kind} {e.message}")]  # fmt: skip
    minor = {f"{e.kind} {e.message}" for e in incident.errors if e not in major}
    thrown = correlate.named_dependencies(facts, origin)
    named = thrown or correlate.named_dependencies(
        facts, [t for t in incident.texts if t not in minor and not _carried(t)]
    )
    if named:
        total += 0.3 if thrown else 0.1
        where = "the errors come from" if thrown else "the error text names"
        reasons.append(f"{where} {', '.join(named[:2])}, which it upgrades")
    weighed = [
        (f, f.strength * fit(f.symptoms, set(incident.symptoms), incident.primary)
         * (0.5 if OFF_PATH.search(f.file) else 1.0))
        for f in found
    ]  # fmt: skip
    if weighed:
        finding, how = max(weighed, key=lambda pair: pair[1])
        if how:
            total += 0.35 * how
            places.append((0.35 * how, finding.file))
            reasons.append(f"{finding.file}:{finding.line}: {finding.message} "
                           f"(fits the symptoms {how:.1f})")  # fmt: skip
    kind_fit = fit(KIND_SYMPTOMS.get(facts.kind, ()), set(incident.symptoms), incident.primary)
    if kind_fit and facts.kind in KIND_SYMPTOMS:
        total += 0.1 * kind_fit
        reasons.append(f"a {facts.kind.replace('_', ' ')} change (fits the symptoms "
                       f"{kind_fit:.1f})")  # fmt: skip
    return total


def _code_named_for(facts: ChangeFacts, incident: Incident) -> tuple[str, float] | None:
    """The changed code file named for the mechanism that fails (`middleware/throttle.go`
    when the service's own answers are 429s, `db/pool.go` when connections run out), with
    how well that mechanism's symptoms fit the incident's; None when no file is so named."""
    best: tuple[str, float] | None = None
    for file in facts.files:
        if kinds.file_kind(file) != "code":
            continue
        parts = [p for p in re.split(r"/", file) if p][-2:]
        stem = re.sub(r"\.\w+$", "", parts[-1])
        named = _named_family(stem) or _named_family(parts[0] if len(parts) > 1 else "")
        if named is None:
            continue
        how = fit(SETTING_SYMPTOMS[named], set(incident.symptoms), incident.primary)
        if how and (best is None or how > best[1]):
            best = (file, how)
    return best


def _named_family(name: str) -> SettingFamily | None:
    """The setting family a file or folder name names in whole words (`rate-limit`,
    `ratelimiter`, `db_pool`, `retries`), None for names that only contain one
    (`verifyco` is a vendor's name, not TLS verification)."""
    words = f"_{setting_words(name)}_"
    for family, pattern in SETTING_FAMILIES:
        for m in pattern.finditer(words):
            before, after = words[m.start() - 1], words[m.end() :]
            if not before.isalpha() and re.match(r"(?:e|er|ers|es|ing|s)?(?![a-z])", after):
                return family if family != "other" else None
    return None


def _category_where(
    places: list[tuple[float, str]], facts: ChangeFacts | None
) -> CauseCategory | None:
    """The category of the part of the change the strongest evidence points at (a change
    that adds a log line and turns DEBUG on in the config is a config change when the
    symptoms fit the log level)."""
    if not places or facts is None:
        return None
    file = max(places)[1]
    kind = kinds.file_kind(file, facts.patches.get(file, ""))
    if kind in ("config", "infrastructure", "feature_flag", "scheduled_job"):
        found = _config_or_infra(s for s in facts.settings if s.file == file)
        if found:
            return found
    if kind == "docs_tests":
        return None
    return kinds.category(kind)


def _latent(
    found: Sequence[Finding],
    incident: Incident,
    gap: float,
    facts: ChangeFacts | None = None,
    restarted: bool = False,
) -> str:
    """Why a risk found in the change can show long after it went live ("" when none can):
    a leak within `LATENT_HOURS` (not behind a sudden step: a leak builds up), a risk that
    waits for a trigger the incident shows (within `TRIGGER_HOURS`), or configuration that
    processes read at start-up when the incident is a crash right after another deploy
    restarted them (a ConfigMap or env value changes nothing in running pods until they
    restart)."""
    if gap <= 1 or gap > TRIGGER_HOURS:
        return ""
    fitting = [f for f in found
               if fit(f.symptoms, set(incident.symptoms), incident.primary) >= 0.5]  # fmt: skip
    if gap > LATENT_HOURS:
        triggered = incident.trigger and any(f.detector in TRIGGERED for f in fitting)
        return f"a latent risk that {incident.trigger} at the onset could set off" if (
            triggered) else ""  # fmt: skip
    if restarted and "crash" in incident.symptoms and _startup_config(facts):
        return (f"configuration read at start-up: the restart at the onset is the first to "
                f"read it, {gap:.0f} h after it went live")  # fmt: skip
    if any(f.detector in GROWS for f in fitting) and not incident.abrupt:
        return f"a leak builds up after the deploy: {gap:.0f} h live before the onset fits it"
    if incident.trigger and any(f.detector in TRIGGERED for f in fitting):
        return f"a latent risk that {incident.trigger} at the onset could set off"
    return ""


def _wrote_failing(facts: ChangeFacts | None, incident: Incident) -> str:
    """The errors fail at a line the change wrote (the page shows that very line at a frame,
    not where a timeout ran out or a call failed, not a line that only logs): a fault that
    waits for its input (a date, a value, a path) shows whenever that input first comes,
    however long after the change went live."""
    for error in correlate.major_errors(incident.errors):
        for frame in error.frames:
            line = correlate.wrote_frame(facts, frame)
            if line is None or _call_site_only(frame, incident.errors) or LOGGING.search(
                    line.text):  # fmt: skip
                continue
            return (f"the errors fail at a line it wrote ({line.file}:{line.line}): a fault "
                    "that waits for its input shows when that input first comes, however "
                    "long after it went live")  # fmt: skip
    return ""


# The series a limit of each family bounds, by the words of their names.
_BOUNDS: dict[str, re.Pattern[str]] = {
    "pool": re.compile(r"pool|connection|\bconns?\b|acquire", re.I),
    "workers": re.compile(r"worker|thread|process|concurren|busy|slots?\b|in flight", re.I),
    "replicas": re.compile(r"replica|pods?\b|instances?|tasks?\b|desired", re.I),
    "autoscaling": re.compile(r"replica|pods?\b|instances?|tasks?\b|desired|nodes?\b", re.I),
    "rate_limit": re.compile(r"rate|req|throughput|quota|allowed|admitted", re.I),
    "batch": re.compile(r"batch", re.I),
}


def _built_up(marker: DeployMarker | None, incident: Incident) -> str:
    """A resource the pages show flat until this change's deploy and rising steadily from
    it until the onset: a build-up it started, however long it took to reach a limit."""
    grew = _buildup_at(marker, incident)
    if grew is None:
        return ""
    unit = grew.unit if grew.unit in ("%", "") else f" {grew.unit}"
    name = " ".join(grew.name.split())[:60]
    return (f"{name} rose steadily from {grew.first:g}{unit} to {grew.last:g}{unit} from its "
            "deploy on, flat before: a build-up it started")  # fmt: skip


def _buildup_at(marker: DeployMarker | None, incident: Incident) -> correlate.Buildup | None:
    """The build-up the pages show starting at this deploy, if any: one that filled its
    resource first, then the steepest."""
    grew = [b for b in incident.buildups
            if marker is not None and abs(b.at - marker.at) <= SAME_DEPLOY]  # fmt: skip
    return max(grew, key=lambda b: (_full(b), b.last / max(b.first, 1e-9)), default=None)


# one deploy as two sources time it (a dashboard's annotation to the minute, the cluster's
# rollout to the second)
SAME_DEPLOY = timedelta(minutes=2)
FULL = 95.0  # a share of a resource this high is all of it that can be used


def _full(grew: correlate.Buildup) -> bool:
    return grew.unit == "%" and grew.last >= FULL


def _filled_up(marker: DeployMarker | None, incident: Incident) -> str:
    """A build-up from this change's deploy that filled its resource (disk, inodes, memory,
    a queue shown in %): what ran out was filled by what the deploy started."""
    grew = _buildup_at(marker, incident)
    if grew is None or not _full(grew):
        return ""
    return f"it filled {' '.join(grew.name.split())[:60]} to {grew.last:g}%: what ran out"


_HOLDS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"disk|volume|storage|filesystem|\bfs\b|inode|pvc", re.I),
     frozenset({"retention", "log_level", "sampling"})),
    (re.compile(r"memory|heap|\brss\b|working set|\bkeys\b|cache", re.I),
     frozenset({"ttl", "cache_size", "cache_key", "memory"})),
)  # fmt: skip


def _fills(facts: ChangeFacts | None, marker: DeployMarker | None, incident: Incident) -> str:
    """A build-up from this change's deploy of a resource its settings govern how much of is
    held: a retention raised before a disk filled, a TTL dropped before keys piled up."""
    grew = _buildup_at(marker, incident)
    if grew is None or facts is None:
        return ""
    for pattern, families in _HOLDS:
        if pattern.search(grew.name):
            held = next((st for st in facts.settings if st.family in families), None)
            if held is not None:
                return (f"its {held.key} {held.before or '∅'} → {held.after or '∅'} sets how "
                        f"much {' '.join(grew.name.split())[:40]} holds")  # fmt: skip
    return ""


def _at_limit(facts: ChangeFacts | None, incident: Incident) -> str:
    """A limit the change lowered that a page shows being reached: a pool, worker, replica
    or rate limit set to N where a series of what it bounds sat at N. A lowered limit shows
    only when demand reaches it, however long after it went live."""
    if facts is None or not incident.ceilings:
        return ""
    for s in facts.settings:
        bounds = _BOUNDS.get(s.family)
        if bounds is None or s.direction != "lowered" or not s.after_number:
            continue
        for c in incident.ceilings:
            if abs(c.value - s.after_number) <= 0.02 * s.after_number and bounds.search(c.name):
                shown = f"{c.value:g}"
                return (f"demand reached the limit it set: {' '.join(c.name.split())[:40]} held "
                        f"at {shown}, its {s.key} {s.before} → {s.after}")  # fmt: skip
    return ""


def _passed_timeout(facts: ChangeFacts | None, incident: Incident, live: datetime) -> str:
    """A timeout the change lowered that what it bounds passed at the onset: a latency or a
    processing time under the new value before, over it from then on. A shortened timeout
    shows only when the time it bounds grows past it (a daily peak, a slow dependency),
    however long after it went live."""
    if facts is None or not incident.durations:
        return ""
    for s in facts.settings:
        if s.family != "timeout" or s.direction != "lowered" or not s.after_number:
            continue
        if _LIFETIME_KEY.search(setting_words(s.key)):
            continue  # an idle connection's lifetime bounds no call
        hit = correlate.crossed(incident.durations, s.after_number, live, incident.onset)
        if hit is not None:
            d, at = hit
            return (f"what it bounds passed the value it set: {' '.join(d.name.split())[:40]} "
                    f"over {s.after} from {at:%H:%M}, under it before (its {s.key} "
                    f"{s.before} → {s.after})")  # fmt: skip
    return ""


def _startup_config(facts: ChangeFacts | None) -> bool:
    """The change sets application settings in configuration files (values, ConfigMaps,
    env files, properties), and nothing else that runs."""
    if facts is None or facts.kind not in ("config", "infrastructure"):
        return False
    return any(s.family in APP_CONFIG and kinds.file_kind(s.file) in ("config", "infrastructure")
               for s in facts.settings)  # fmt: skip


def _after_another(when: correlate.Timing, last: datetime | None, incident: Incident) -> bool:
    """Another change's deploy came within the hour before the onset (the onset follows it)."""
    return (not when.last_before_onset and last is not None
            and -correlate.DEPLOY_SLACK <= incident.onset - last <= timedelta(hours=1))  # fmt: skip


TIMEOUT = re.compile(r"time ?out|timed out|deadline|took too long|cancell?ed|ran for longer", re.I)


TRANSPORT = re.compile(
    r"\bssl|\btls\b|certificate|x509|handshake|connection (refused|reset)|econnrefused|"
    r"econnreset|eai_again|enotfound|name resolution|name or service not known|no such host|"
    r"getaddrinfo|broken pipe|epipe|(host|network) (is )?unreachable",
    re.I,
)
PROGRAMMING = re.compile(
    r"TypeError|KeyError|AttributeError|NameError|ValueError|IndexError|NoMethodError|"
    r"NullPointer|NoSuchElement|ClassCast|IllegalArgument|IllegalState|ArgumentError|"
    r"UnboundLocal|ZeroDivision|AssertionError|SyntaxError|JSONDecodeError|ValidationError|"
    r"undefined (method|is not)|is not a function|cannot read propert|NilClass|nil pointer|"
    r"index out of range|panic: runtime error|unmarshal|deserializ",
    re.I,
)
_CALL_SITE = {
    "timeout": "of a timeout: where the time ran out, not why",
    "transport": "of a failed connection: where the call was made, not why it failed",
    "upstream": "of the called service's own failure: where the call was made, not why it failed",
    "refused": "of the called service refusing the credentials: where the call was made, not "
    "why they were refused",
    "logged": "a line that only logs the error: where it was reported, not why it happened",
}
# a logging call (or an argument of one): it reports an error, it does not raise it
LOGGING = re.compile(
    r"\b(log|logger|logging|slog|zap|zerolog|klog|glog|console|winston|pino|bunyan|LOG|LOGGER|"
    r"Log|Logger)\s*\.\s*\w+\s*\("
    r"|(?<!fmt)(?<!errors)(?<!xerrors)\.(debug|info|warn|warning|error|exception|critical|"
    r"fatal|Debug|Info|Warn|Warning|Error|Fatal)[fw]?\(\s*[\"'`f]"
    r"|\bzap\.(String|Int\d*|Error|Any|Duration|Bool|Stringer|Strings)\("
    r"|\bfmt\.(Print|Fprint)|\bSystem\.(out|err)\.print"
    r"|\bprint(ln)?\s*\(\s*[\"'f]|\bputs\s+[\"']|\.log\(\s*[\"'`]"
)
UPSTREAM = re.compile(  # the called service failed: its answer, not the caller's request
    r"ServiceUnavailable|Service Unavailable|InternalError|InternalServerError|Internal Server "
    r"Error|Bad Gateway|Gateway Time-?out|\bHTTP 50[0234]\b|SlowDown|Throttl|TooManyRequests|"
    r"Too Many Requests|\bHTTP 429\b|overloaded",
    re.I,
)


REFUSED = re.compile(  # the called service refused the credentials the call presented
    r"\bHTTP 401\b|\b401 Unauthorized|\binvalid_client\b|\binvalid_grant\b|\bunauthorized_client"
    r"\b|client authentication failed|authentication failed",
    re.I,
)


def _call_site_only(frame: Frame, errors: Sequence[ErrorSignal]) -> str:
    """What the errors whose stack holds this frame say of it: "timeout" when they are all
    timeouts (a request killed by a deadline shows where it happened to be, not why it was
    slow); "transport" when one is a failed connection (TLS verification, refused, reset,
    a name that did not resolve: raised where the call is made, whatever the call sends)
    and none is a programming error that line could have made; "upstream" when each is the
    called service's own failure (unavailable, internal error, 5xx, throttled), a timeout
    or a failed connection; "refused" when each is the called service refusing the
    credentials presented (401, `invalid_client`): what it refused is the credential, which
    the code that sends it only carries; else "" (the frame counts)."""
    holding = [f"{e.kind} {e.message}" for e in errors if frame in e.frames]
    if not holding:
        return ""
    if all(TIMEOUT.search(text) for text in holding):
        return "timeout"
    broken = any(PROGRAMMING.search(text) for text in holding)
    if broken:
        return ""
    if any(TRANSPORT.search(t) for t in holding):
        return "transport"
    if all(REFUSED.search(t) for t in holding):
        return "refused"
    remote = all(UPSTREAM.search(t) or TIMEOUT.search(t) for t in holding)
    return "upstream" if remote and any(UPSTREAM.search(t) for t in holding) else ""


def setting_symptoms(setting: SettingChange) -> tuple[str, ...]:
    """The symptoms a changed setting can produce, by the way it moved: a timeout raised
    cannot make calls time out, nor can a container's memory or CPU raised kill or throttle
    it (`RAISED_SYMPTOMS`); a runtime's heap raised inside the container is not the
    container's own resource (a heap grown past the limit gets the container killed), nor is
    a connection's idle lifetime a call's deadline; a queue's visibility timeout (an ack
    deadline, a poll interval) cut below the processing time redelivers messages; a CPU
    request raised holds back an autoscaler that targets utilisation (`CPU_REQUEST_RAISED`)."""
    if (
        setting.family == "cpu"
        and setting.direction == "raised"
        and _REQUEST_KEY.search(setting.key)
    ):
        return CPU_REQUEST_RAISED
    if (
        setting.direction == "raised"
        and setting.family in RAISED_SYMPTOMS
        and not (
            setting.family in ("memory", "cpu")
            and _RUNTIME_KEY.search(setting.key)
            or _LIFETIME_KEY.search(setting_words(setting.key))
        )
    ):
        return RAISED_SYMPTOMS[setting.family]
    if setting.family == "timeout" and _DELIVERY_KEY.search(setting_words(setting.key)):
        return (*SETTING_SYMPTOMS["timeout"], "data", "queue")
    return SETTING_SYMPTOMS[setting.family]


# a container's requested resources (what a utilisation-based autoscaler divides use by)
_REQUEST_KEY = re.compile(r"(?<![a-z])requests?(?![a-z])", re.I)
# how long a consumer holds a message before the queue hands it to another: cut below the
# time processing takes, each message is delivered again and again (duplicates, a backlog)
_DELIVERY_KEY = re.compile(r"visibility|ack_?deadline|max_?poll_?interval|lease_?(duration|time)|"
                           r"lock_?duration|redeliver|unacked")  # fmt: skip
# how long an idle connection is kept: raised on one side past the other's, it reuses a
# connection the other side already closed (resets, 502s), so it keeps every symptom
_LIFETIME_KEY = re.compile(r"idle|keep_?alive|linger|max_?age|lifetime|max_?conn(ection)?_?age")


def _quote_fits(
    quoted: correlate.Quoted, settings: Sequence[SettingChange], incident: Incident
) -> bool:
    """A value the failures quote ties the change only where the setting, moved the way the
    change moved it, can produce the symptoms: a pod's raised memory request listed beside
    a crash is its configuration, shown, not what crashed it."""
    moved = [s for s in settings if s.file == quoted.file and s.key.endswith(quoted.key)]
    return not moved or any(
        fit(setting_symptoms(s), set(incident.symptoms), incident.primary) for s in moved
    )


def _carried(text: str) -> bool:
    """An error the library only carried: a failed connection or a timeout, raised where
    the socket or the deadline ran out, or the server's refusal for a quota or throughput
    (a 429, a throttle), not a programming error the library made."""
    return bool(TRANSPORT.search(text) or TIMEOUT.search(text) or THROTTLED.search(text)) and (
        not PROGRAMMING.search(text))  # fmt: skip


# a server refusing for a rate, quota or throughput (the throttling symptom's words, and a
# client's own wording of it): its answer, whichever client carries it
THROTTLED = re.compile(rf"{WORDS['throttling']}|rate ?exceeded|slow ?down", re.I)


def _release_only(facts: ChangeFacts) -> bool:
    """A change whose only effect is to point at a new build (a deploy record)."""
    real = [s for s in facts.settings if s.family != "other"]
    return bool(real) and all(s.family == "image" for s in real) and not facts.dependencies


def _code_at(facts: ChangeFacts | None, file: str, line: int | None) -> str:
    """The added line nearest to a frame's line in that file (what the frame points at, as
    the change wrote it), shortened; "" when the change added no code line near it."""
    if facts is None or line is None:
        return ""
    near = [a for a in facts.added if a.file == file and abs(a.line - line) <= NEAR_LINES
            and not _NOT_CODE.search(a.text)]  # fmt: skip
    if not near:
        return ""
    return _short_code(min(near, key=lambda a: (abs(a.line - line), a.line)).text)


def _short_code(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 100 else text[:99] + "…"


# What a frame cannot point at, or must not be repeated: comments, blank lines, and lines
# holding a long opaque string (a token or key someone committed).
_NOT_CODE = re.compile(r"^\s*(#|//|/\*|\*|--|$)|[A-Za-z0-9_+/=-]{28,}")


def _changed_lines(facts: ChangeFacts | None) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for line in facts.added if facts else ():
        out.setdefault(line.file, set()).add(line.line)
    return out


def _repo_weight(change: Change, incident: Incident, reasons: list[str]) -> float:
    if change.repo == incident.service_repo:
        return 1.0
    if change.repo in incident.upstream_repos:
        reasons.append(f"in {change.repo}, a service it depends on")
        return 0.85
    reasons.append(f"in {change.repo}, not the service's repo")
    return 0.3


def _when(change: Change, when: correlate.Timing, onset: datetime) -> str:
    merged = _minutes(onset - change.merged_at)
    text = f"merged {merged} before the onset" if change.merged_at <= onset else (
        f"merged {_minutes(change.merged_at - onset)} after the onset"
    )  # fmt: skip
    if when.deployed_at is not None:
        deploy = when.deployed_at
        if abs(deploy - onset) < timedelta(seconds=90):  # within the onset's own minute
            text += ", deployed at the onset"
        else:
            rel = f"{_minutes(onset - deploy)} before" if deploy <= onset else (
                f"{_minutes(deploy - onset)} after"
            )  # fmt: skip
            text += f", deployed {rel} the onset"
        if when.last_before_onset:
            text += " (the last deploy before it)" if deploy <= onset else " (the last deploy)"
    return text


def _minutes(delta: timedelta) -> str:
    seconds = abs(delta.total_seconds())
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
