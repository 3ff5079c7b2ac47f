"""Correlation rules between the typed evidence: each rule is general, pure and tested on
inputs written for it (docs/diagnosis.md, "Correlations").

- a deploy marker's SHA or PR number ↔ a change (its merge commit, its number);
- the onset between two deploys points at the earlier; a change deployed or merged after
  the onset is ruled out;
- runs on the versions the deploys shipped: the first version that only failed, after the
  last that worked, is where the failures began (an onset of its own);
- a stack frame's file among a change's files;
- a changed setting whose family fits the incident's symptoms;
- a dependency bump whose library the error text names;
- an external notice (vendor, cloud, DNS, CDN) that matches the failing dependency and the
  onset means no code change is needed to explain it;
- a load series that rose several times at the onset with no change fitting is capacity.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import isclose

from agents.root_cause.facts.markers import shipped_prs
from agents.root_cause.facts.numbers import family as unit_family
from agents.root_cause.facts.onset import classify, client_side, departure
from agents.root_cause.facts.settings import FAMILIES as SETTING_FAMILIES
from agents.root_cause.facts.settings import family, key_words, number, pairs
from agents.root_cause.facts.types import (
    ChangeFacts,
    ConfigValue,
    DeployMarker,
    ErrorSignal,
    Frame,
    Line,
    Notice,
    Onset,
    Outcome,
    PageFacts,
    Series,
    SettingChange,
)
from agents.root_cause.kinds import file_kind
from core.state import CauseCategory
from core.windows import window_start

DEPLOY_SLACK = timedelta(minutes=2)  # a deploy this close after the onset may still be it
TOGETHER = timedelta(minutes=15)  # deploys this close together are one release
NOTICE_WINDOW = timedelta(minutes=45)  # a notice starting this close to the onset matches it
LOAD_WORDS = re.compile(
    r"requests?|rps|req/s|traffic|throughput|sessions|users|qps|calls|clicks?|visits|"
    r"page ?views|logins|searches|checkouts|arrivals|connections opened|messages in|fetches",
    re.I,
)
EXTERNAL_KINDS: dict[str, CauseCategory] = {
    "vendor": "external_dependency", "dns": "external_dependency",
    "cdn": "external_dependency", "cloud": "platform_failure",
}  # fmt: skip


@dataclass(frozen=True)
class Timing:
    """When a change reached production as the evidence says, and how that relates to the
    onset: `deployed_at` is the time of its deploy marker, or None when none names it."""

    merged_at: datetime
    deployed_at: datetime | None
    marker: DeployMarker | None
    after_onset: bool  # merged or deployed after the onset: it cannot have caused it
    last_before_onset: bool  # the last deploy before the onset (the onset follows it)


def marker_for(
    sha: str | None, number: int | None, markers: Sequence[DeployMarker]
) -> DeployMarker | None:
    """The deploy marker that names this change: its merge commit (prefix, 7+ hex digits)
    or its PR number; else a release that lists its PR among those it ships (`release 4.2
    (#101 ..., #104 ..., #107 ...)`)."""
    for marker in markers:
        if sha and marker.sha and len(marker.sha) >= 7 and _same_commit(sha, marker.sha):
            return marker
        if number is not None and marker.pr == number:
            return marker
    if number is None:
        return None
    return next((m for m in markers if m.pr is not None and number in shipped_prs(m.text)), None)


def timing(
    merged_at: datetime,
    marker: DeployMarker | None,
    onset: datetime,
    last_deploy: datetime | None,
) -> Timing:
    deployed = marker.at if marker else None
    effective = deployed or merged_at
    after = merged_at > onset + DEPLOY_SLACK or effective > onset + DEPLOY_SLACK
    last = deployed is not None and last_deploy is not None and deployed >= last_deploy - TOGETHER
    return Timing(merged_at, deployed, marker, after, last and not after)


def last_deploy_before(onset: datetime, markers: Iterable[DeployMarker]) -> datetime | None:
    """The time of the last deploy at or before the onset (the one the onset follows)."""
    before = [m.at for m in markers if m.at <= onset + DEPLOY_SLACK]
    return max(before, default=None)


def failures_began(
    onset: Onset,
    failures: Iterable[datetime],
    markers: Iterable[DeployMarker],
    flat_before: bool = True,
) -> datetime:
    """When the failures began, within the onset's first point: a table's row (a 5-minute
    bucket) says only that they began within it. Where a deploy falls inside that bucket
    and the first failure the pages time (an error's or an error log line's own time) came
    after it, the failures began at that first failure, after the deploy; where the pages
    time no failure inside the bucket, nothing says the failures came before the deploy (an
    hourly row at 14:00 holds a deploy at 14:22 and the rise it began), and they began with
    the first deploy inside it, when the series was flat before the bucket (a series already
    climbing for hours crossed its tolerance there by arithmetic, not because of what was
    deployed within it); else the row's time stands."""
    step = timedelta(seconds=onset.step)
    if step <= DEPLOY_SLACK:
        return onset.at
    end = onset.at + step
    first = min((at for at in failures if onset.at <= at < end), default=None)
    inside = sorted(m.at for m in markers if onset.at + DEPLOY_SLACK < m.at < (first or end))
    if first is None:
        return inside[0] if inside and flat_before else onset.at
    return first if inside else onset.at


def flat_before(onset: Onset, pages: Sequence[PageFacts]) -> bool:
    """The onset's series moved less than a tenth of its departure (baseline to peak) over
    its points before the onset (True where the pages do not show them)."""
    shown = next((s for p in pages if p.source == onset.source for s in p.series
                  if s.name == onset.series), None)  # fmt: skip
    before = [p.value for p in shown.points if p.at < onset.at] if shown else []
    if len(before) < 2:
        return True
    return max(before) - min(before) <= 0.1 * abs(onset.peak - onset.baseline)


RECOVERED_BEFORE = timedelta(minutes=30)  # a departure over this long before the alert fired


def onset_of(
    pages: Sequence[PageFacts], alert_start: datetime, clients: bool = False
) -> Onset | None:
    """The earliest onset the pages show, no later than the alert: of a problem series
    (errors, latency, saturation...) where any page shows one, of answers clients caused
    (4xx) only where no other is; a page's other series (its client connections rising when
    replicas were added) only where none does. A page's departure that was over half an
    hour before the alert fired (a lag that rose and settled in the afternoon) is not what
    an evening alert is about, where another page shows one still under way. An alert about
    answers clients caused (`clients`: its own words name a 4xx) counts them as failures."""
    found = [p.onset for p in pages if p.onset and p.onset.at <= alert_start + DEPLOY_SLACK]
    lasting = [o for o in found if o.recovered_at is None
               or o.recovered_at >= alert_start - RECOVERED_BEFORE]  # fmt: skip
    found = lasting or found  # a wobble over well before the alert is not what it is about
    problems = [o for o in found if o.problem]
    served = [o for o in problems if clients or not client_side(o.series)]
    return min(served or problems or found, key=lambda o: o.at, default=None)


def recovered(first: Onset | None, pages: Sequence[PageFacts]) -> bool:
    """The incident's onset (`onset_of`) came back to its baseline and so did every other
    problem series the pages show departing, before the alert or after it: a readiness dip
    that recovered in a minute is no recovery while the error ratio is still up (or went up
    later), nor is memory falling when the pages show processes killed for running out of it."""
    return first is not None and came_back(first, pages) and not ongoing(pages)


def came_back(onset: Onset, pages: Sequence[PageFacts]) -> bool:
    """The series came back to its baseline by itself: memory falling where the pages show
    processes killed for running out of it is the restart that emptied it."""
    return onset.recovered_at is not None and not (killed(pages) and _USAGE.search(onset.series))


_USAGE = re.compile(r"memory|\bmem\b|heap|\brss\b|working.?set|goroutines?|threads", re.I)
_KILLED = re.compile(r"OOMKilled|out of memory|Killed process|exit code 137|OutOfMemoryError", re.I)


def killed(pages: Sequence[PageFacts]) -> bool:
    """The pages show processes killed for running out of memory: a memory series falling
    back to its baseline then is the restart that emptied it, not a recovery."""
    return any(_KILLED.search(f"{e.kind} {e.message}") for p in pages for e in p.errors)


def ongoing(pages: Sequence[PageFacts]) -> bool:
    """A problem series the pages show departing has not come back to its baseline: a
    page's own onset, or any series of failures on a page that departed and is still out
    (a 15-minute failure ratio still over its baseline while the minute count of failures
    falls back between bursts)."""
    if any(p.onset.problem and p.onset.recovered_at is None for p in pages if p.onset):
        return True
    return any(_still_failing(s) for p in pages for s in p.series)


def _still_failing(s: Series) -> bool:
    """Failures still out at the series' last point; a ratio over a rolling window (`5xx
    ratio (30m)`) only once it has been out longer than its window: before that it may hold
    nothing but one burst the window has not dropped yet."""
    if classify(s.name)[0] != 1 or client_side(s.name):
        return False
    found = departure([p.value for p in s.points], 1)
    if found is None or found.recovered is not None:
        return False
    window = _WINDOW.search(s.name)
    span = number(window.group(0)) if window else None
    if span is None:
        return True
    return s.points[-1].at - s.points[found.index].at > timedelta(seconds=span)


_WINDOW = re.compile(r"(?<![\w.])(\d{1,3})\s?(m|min|h)\b", re.I)  # a rolling window: 15m, 1h


@dataclass(frozen=True)
class FirstBad:
    """The version the failures began with: runs on `good` worked, runs on `bad` (deployed
    after it) only failed; `at` is when the first failure on it was seen (or its deploy)."""

    bad: DeployMarker
    good: DeployMarker
    at: datetime
    failed: Outcome  # the first failed run on it, as the page writes it


def first_bad_version(
    outcomes: Sequence[Outcome], markers: Sequence[DeployMarker]
) -> FirstBad | None:
    """Bisect by version: the deploy markers the outcomes name, ordered by deploy time; the
    first deployed after the last version that worked whose runs all failed, when the
    latest version with runs failed too (the failures go on). None when the outcomes name
    no version that worked, or none that only failed after it."""
    good: dict[int, list[Outcome]] = {}
    bad: dict[int, list[Outcome]] = {}
    for outcome in outcomes:
        for i, marker in enumerate(markers):
            if any(_names(marker, v) for v in outcome.ids):
                (good if outcome.ok else bad).setdefault(i, []).append(outcome)
    if not good or not bad:
        return None
    seen = sorted({*good, *bad}, key=lambda i: markers[i].at)
    last_good = max(good, key=lambda i: markers[i].at)
    if seen[-1] in good:
        return None  # the latest version with runs worked: nothing bisects to a change
    after = [i for i in seen if i not in good and markers[i].at > markers[last_good].at]
    if not after:
        return None
    first = after[0]
    timed = sorted((o for o in bad[first] if o.at is not None and o.at >= markers[first].at),
                   key=lambda o: o.at or markers[first].at)  # fmt: skip
    failed = timed[0] if timed else bad[first][0]
    return FirstBad(markers[first], markers[last_good], failed.at if timed and failed.at
                    else markers[first].at, failed)  # fmt: skip


_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{7,40}(?![0-9A-Za-z])")
_UUID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.I)  # ids, not builds


def failures_carry(commits: Iterable[str | None], failing: Iterable[str]) -> str:
    """The words around the build in the first failing record (an error, an ERROR log line,
    a warning reporting a failure) that carries one of these commits as its build
    (`producer: billing/2026.03.02-1a2b3c4`, `"version":"1a2b3c4d"`): the failures were
    produced by a build holding the change, the link from another
    service's records to the change that service shipped."""
    shas = [c for c in commits if c and len(c) >= 7]
    for text in failing:
        words = _UUID.sub(" ", text)
        for m in _HEX.finditer(words):
            if any(_same_commit(sha, m.group(0)) for sha in shas):  # the words around it
                start = max(0, words.rfind(" ", 0, max(0, m.start() - 40)) + 1)
                return " ".join(words[start : m.end() + 30].split())
    return ""


def label(marker: DeployMarker) -> str:
    """What names a deploy: its short commit, PR and version, or its time."""
    names = [x for x in (marker.sha[:7] if marker.sha else None,
                         f"#{marker.pr}" if marker.pr is not None else None,
                         marker.version) if x]  # fmt: skip
    return " ".join(names) or f"the {marker.at:%H:%M} deploy"


def _names(marker: DeployMarker, version: str) -> bool:
    if marker.sha and len(version) >= 7 and re.fullmatch(r"[0-9a-f]+", version):
        return _same_commit(marker.sha, version)
    return marker.version is not None and marker.version.lstrip("v") == version.lstrip("v")


def frame_hits(files: Sequence[str], errors: Sequence[ErrorSignal]) -> list[tuple[str, Frame]]:
    """(changed file, frame) for each stack frame whose file is one of the change's files."""
    hits = []
    for error in errors:
        for frame in error.frames:
            changed = next((f for f in files if _same_file(f, frame.file)), None)
            if changed is not None:
                hits.append((changed, frame))
    return hits


def shown_line(change: ChangeFacts | None, file: str, frame: Frame) -> Line | None:
    """The line the change added that the page shows at this frame: the frame's source line
    as the page prints it holds the added line's text (whitespace aside). Line numbers move
    between releases (a later change adds lines above); the text does not. Lines shorter
    than a statement worth matching (`}`, `return None`) and comments never match."""
    if change is None or not frame.code:
        return None
    shown = " ".join(frame.code.split())
    for line in change.added:
        text = " ".join(line.text.split())
        if (line.file == file and len(text) >= _MATCHED_CODE and not _COMMENT.match(text)
                and text in shown):  # fmt: skip
            return line
    return None


def wrote_frame(change: ChangeFacts | None, frame: Frame) -> Line | None:
    """The line of the change the page shows at this frame (`shown_line` in the change's
    file of the frame), or None."""
    if change is None:
        return None
    for file in change.files:
        if _same_file(file, frame.file):
            line = shown_line(change, file, frame)
            if line is not None:
                return line
    return None


_NOT_APP = re.compile(
    r"site-packages|dist-packages|node_modules|/vendor/|^vendor/|/usr/lib|/usr/local/lib|"
    r"^<|\.m2/|gems/|^java\.|^jdk\.|^runtime/|/go/pkg/mod/|^(django|rest_framework|"
    r"flask|starlette|fastapi|werkzeug|sqlalchemy|celery|express|fastify|spring|rails)/",
    re.I,
)


def repo_paths(frame: Frame) -> list[str]:
    """The paths a frame's file may have in its repository, longest first: `/srv/billing/
    proration.py` may be `srv/billing/proration.py` or `billing/proration.py`. None for a
    library's or the runtime's file (`site-packages/`, `node_modules/`, `django/core/...`)
    or a bare file name, which names no one path."""
    path = frame.file.strip().lstrip("/")
    if "/" not in path or _NOT_APP.search(frame.file.strip()):
        return []
    parts = path.split("/")
    return ["/".join(parts[i:]) for i in range(0, min(len(parts) - 1, 3))]


_MATCHED_CODE = 16
_COMMENT = re.compile(r"(#|//|/\*|\*|--)")


def null_source(change: ChangeFacts | None, file: str, frame: Frame, code: str) -> str:
    """What was missing when a variable the frame shows as null came from the change: where
    the change sets it in that file, what it read ("`application.open_banking_summary` was
    None there (read into `summary`)"; the value the new line reads was absent, and what
    it was read from names what was missing). "" when no null variable of the frame is
    used in its line or the change does not assign it."""
    if change is None:
        return ""
    for name in frame.nulls:
        if not re.search(rf"(?<![\w.]){re.escape(name)}\b", code):
            continue
        assign = re.compile(
            rf"^\s*(?:(?:const|let|var|val|final|auto)\s+)?\$?{re.escape(name)}"
            rf"\s*(?::\s*[\w\[\]|., ]+)?\s*:?=(?!=)\s*(?P<value>\S.*?)\s*;?\s*$"
        )
        for line in change.added:
            match = assign.match(line.text) if line.file == file else None
            if match is None:
                continue
            value, null = " ".join(match["value"].split()), _null_word(frame)
            if len(value) <= _NAMED_VALUE and "`" not in value:
                return f"`{value}` was {null} there (read into `{name}`)"
            return f"`{name}` was {null} there"
    return ""


_NAMED_VALUE = 48  # longer expressions are left to the line itself


def _null_word(frame: Frame) -> str:
    """How the frame's language writes null."""
    suffix = frame.file.rsplit(".", 1)[-1]
    return {"py": "None", "rb": "nil", "go": "nil", "lua": "nil"}.get(suffix, "null")


def not_in_effect(setting: SettingChange, shown: Iterable[ConfigValue]) -> ConfigValue | None:
    """A value the pages show for the setting's key that is still what the change moved it
    from (the running service's effective configuration says `"maxBatchSize": 500` where
    the change set it 500 → 200: an override elsewhere wins, or it was never rolled out).
    Keys match on their last part's words (`maxBatchSize`, `max_batch_size`); a bare word
    such as `timeout` matches nothing, it names too many settings."""
    words = _key_words(setting.key)
    if setting.before is None or setting.after is None or (
            len(words) < 2 and len("".join(words)) < 8):  # fmt: skip
        return None
    before, after = number(setting.before, setting.family), number(setting.after, setting.family)
    for config in shown:
        if _key_words(config.key) != words:
            continue
        value = number(config.value, setting.family)
        if before is not None and after is not None and value is not None:
            if value == before != after:
                return config
        elif _bare(config.value) == _bare(setting.before) != _bare(setting.after):
            return config
    return None


def _key_words(key: str) -> list[str]:
    last = re.split(r"[.:/]", key.strip())[-1]
    return [w for w in re.split(r"[^a-z0-9]+", key_words(last)) if w]


def _bare(value: str) -> str:
    return value.strip().strip("\"'").strip().lower()


@dataclass(frozen=True)
class Emitted:
    """An added line holding a message the failures quote."""

    line: Line
    message: str
    rewritten: bool  # the change's removed lines held the message too: it moved or rewrote it
    logged: bool  # the line only logs it


_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.){12,})"|\'((?:[^\'\\\n]|\\.){12,})\'|`([^`\n]{12,})`')
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|#\{[^}]*\}|\{[^}]*\}|%[-+ #0-9.]*[sdifvrqxXeEgGp]|\\[nt]")
_STOCK = re.compile(  # what any server or client says: it names no code of its own
    r"^(internal server error|service unavailable|bad gateway|gateway time-?out|too many "
    r"requests|not found|bad request|unauthorized|forbidden|connection (refused|reset|timed "
    r"out)|request timed out|timed out|something went wrong|an error occurred|unexpected "
    r"error|unknown error)\W*$",
    re.I,
)
# A message that reports a failure seen elsewhere ("payment call failed", "will retry", "could not
# connect") is written where the failure was observed, not where it was caused.
_REPORTS = re.compile(
    r"fail|error|unable|could ?n[o']t|can ?n[o']t|timed? ?out|unavailable|refused|reset"
    r"|retr(?:y|ies|ying)|skipp|giving up|gave up|abort",
    re.I,
)
# A call that reports (logs, or wraps an error with context: `fmt.Errorf`, `.Error(`): a
# brand-new message written this way is the change's own reporting, not a failure path.
# Wider than `score.LOGGING` (where a frame's line only logs), which spares error wrapping.
_REPORTING_CALL = re.compile(
    r"\b(log|logger|logging|slog|zap|zerolog|klog|glog|console|winston|pino|bunyan|LOG|"
    r"LOGGER|Log|Logger|req\.log|request\.log|ctx\.log)\s*\.\s*\w+\s*\("
    r"|\.(debug|info|warn|warning|error|exception|critical|fatal|Debug|Info|Warn|Warning|"
    r"Error|Fatal)[fw]?\("
)


def emitted_message(change: ChangeFacts, texts: Sequence[str]) -> Emitted | None:
    """The first added line (code, not docs, tests or comments) with a string literal whose
    fixed part (placeholders aside, 12 characters and three words at least, not a stock
    phrase such as "internal server error", not a report of a failure seen elsewhere such
    as "payment call failed" or "will retry") the failures quote: the code that writes the
    failure's message. A message brand new and only logged is the change's own new logging
    (a log of slow acquires added in the morning floods the logs at noon), not a failure
    path: it is left out."""
    said = " ".join(" ".join(t.split()) for t in texts).lower()
    if not said:
        return None
    gone = " ".join(line.text for line in change.removed).lower()
    for line in change.added:
        if file_kind(line.file) == "docs_tests" or _COMMENT.match(line.text.lstrip()):
            continue
        for match in _LITERAL.finditer(line.text):
            literal = next(g for g in match.groups() if g)
            for part in _PLACEHOLDER.split(literal):
                fixed = " ".join(part.split()).strip(" :,.-")
                worded = re.search(r"[a-z]{3}", fixed, re.I)
                if (len(fixed) < 12 or len(fixed.split()) < 3 or not worded or _STOCK.match(fixed)
                        or _REPORTS.search(fixed)):  # fmt: skip
                    continue
                if fixed.lower() not in said:
                    continue
                rewritten = fixed.lower() in gone
                logged = bool(_REPORTING_CALL.search(line.text))
                if logged and not rewritten:
                    continue
                return Emitted(line, fixed, rewritten, logged)
    return None


MINOR_SHARE = 0.01  # an error counted this far below the most frequent one is a bystander


def major_errors(errors: Sequence[ErrorSignal]) -> list[ErrorSignal]:
    """The errors that make up the incident: where the pages count them, those counted at
    least `MINOR_SHARE` of the most frequent one (5 `ParseError`s beside 20,000 "connection
    refused" are a bystander's); an error shown without a count stays."""
    counted = [e.count for e in errors if e.count]
    top = max(counted, default=0)
    if top < 100:
        return list(errors)
    return [e for e in errors if e.count is None or e.count >= MINOR_SHARE * top]


def named_dependencies(change: ChangeFacts, texts: Iterable[str]) -> list[str]:
    """The dependencies the change bumps whose name the error or log text mentions: a name
    with a `/` or `.` anywhere, a plain name as a whole word or path segment (`undici/lib`,
    `requests.exceptions`, `redis@4.6`), never inside a longer one (the runtime in
    `lib/python3.12/site-packages` is no mention of a `python` base image); a base image or
    the runtime itself (`engines.node`) only where it speaks (`_runtime_speaks`), type
    declarations (`@types/node`) never."""
    texts = list(texts)
    text = " ".join(texts).lower()
    spoken = _languages(" ".join(texts))
    named = [d for d in change.dependencies if not _TYPES_ONLY.match(d.name) and (
        _runtime_speaks(d.name, texts) if _RUNTIME_FILE.search(d.file) or _RUNTIME.match(d.name)
        else any(_mentions(t, text) for t in _tokens(d.name)))
        and (not spoken or _ecosystem(d.file) in (None, *spoken))]  # fmt: skip
    direct = {d.name for d in named if not _LOCK_FILE.search(d.file)}
    # a package moved only in the lock file (pulled along, asked for by no one) first
    return list(dict.fromkeys(sorted((d.name for d in named), key=lambda n: n in direct)))


_TYPES_ONLY = re.compile(r"@types/")  # type declarations never run
# the language of a frame's source file, and of a dependency's manifest
_SOURCE = {"java": "jvm", "kt": "jvm", "scala": "jvm", "groovy": "jvm", "go": "go", "py": "python",
           "js": "node", "mjs": "node", "cjs": "node", "ts": "node", "rb": "ruby", "cs": "dotnet",
           "rs": "rust", "php": "php"}  # fmt: skip
_FRAME_FILE = re.compile(r"(?<!\bnode)\w\.(java|kt|scala|groovy|go|py|js|mjs|cjs|ts|rb|cs|rs|php)"
                         r"(?![\w.])")  # fmt: skip
_MANIFESTS = (
    (re.compile(r"(^|/)go\.(mod|sum)$"), "go"),
    (
        re.compile(
            r"(^|/)(pom\.xml|build\.gradle(\.kts)?|[\w.-]*versions\.toml|build\.sbt|"
            r"gradle\.properties)$"
        ),
        "jvm",
    ),
    (
        re.compile(
            r"(^|/)(package(-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|npm-shrinkwrap\.json)$"
        ),
        "node",
    ),
    (
        re.compile(
            r"(^|/)(requirements[\w.-]*\.txt|pyproject\.toml|poetry\.lock|Pipfile(\.lock)?|"
            r"setup\.(py|cfg)|uv\.lock)$"
        ),
        "python",
    ),
    (re.compile(r"(^|/)Gemfile(\.lock)?$|\.gemspec$"), "ruby"),
    (
        re.compile(r"\.(csproj|fsproj)$|(^|/)(packages\.config|Directory\.Packages\.props)$"),
        "dotnet",
    ),
    (re.compile(r"(^|/)Cargo\.(toml|lock)$"), "rust"),
    (re.compile(r"(^|/)composer\.(json|lock)$"), "php"),
)


_JVM_CLASS = re.compile(r"\b(?:com|org|io|net|dev|java|javax|jakarta|kotlin)\.(?:[a-z]\w*\.)+[A-Z]"
                        r"\w*(?:Exception|Error)\b")  # fmt: skip


def _languages(text: str) -> set[str]:
    """The languages of the source files the text's frames point at, and of the exception
    classes it names by their package (`com.example.pay.LedgerException` is the JVM's)."""
    found = {_SOURCE[m.group(1)] for m in _FRAME_FILE.finditer(text)}
    return found | ({"jvm"} if _JVM_CLASS.search(text) else set())


def _ecosystem(manifest: str) -> str | None:
    """The language whose packages a manifest lists (None when not known)."""
    return next((lang for pattern, lang in _MANIFESTS if pattern.search(manifest)), None)


_RUNTIME_FILE = re.compile(r"(?:^|/)(?:Dockerfile|Containerfile)[^/]*$", re.I)  # base images
_RUNTIME = re.compile(
    r"(?:node|nodejs|python|python3|ruby|java|openjdk|go|golang|php|dotnet|bun|deno|erlang|elixir)$",
    re.I,
)


def _runtime_speaks(name: str, texts: Sequence[str]) -> bool:
    """A base image or the runtime itself is named only where it speaks: a line that starts
    with its name (`python: can't open file 'app.py'`, `node: --openssl-legacy-provider is
    not allowed`). Its name is in every line about its processes (`Killed process 4242
    (node)`) and in every frame's path."""
    base = re.escape(name.split("/")[-1].split(":")[0].lower())
    return any(re.match(rf"\s*{base}[\d.]*:\s", t.lower()) for t in texts)


_LOCK_FILE = re.compile(r"(^|/)[^/]*(\.lock|-lock\.(json|yaml)|\.lockfile|\.sum|lock\.json)$")


def _mentions(token: str, text: str) -> bool:
    if "/" in token or "." in token:
        return token in text
    pattern = rf"(?<![\w-]){re.escape(token)}(?![\w]|-(?!\d))"
    return re.search(pattern, text) is not None


def matching_notices(
    notices: Sequence[Notice], onset: datetime | None, hosts: Iterable[str], texts: Iterable[str]
) -> list[Notice]:
    """Notices that started near the onset (or are ongoing over it) and name something the
    incident touches: a host or domain it calls, or a word of its errors and alert."""
    names = {h.lower() for h in hosts} | {_domain(h) for h in hosts}
    words = " ".join(texts).lower()
    out = []
    for notice in notices:
        if notice.status.lower() in ("resolved", "completed", "scheduled") and not _covers(
            notice, onset
        ):
            continue
        if "scheduled" in notice.status.lower() and notice.started is None:
            continue  # a maintenance announced with no time: not known to be under way
        if onset is not None and notice.started is not None and not _covers(notice, onset):
            continue
        by_component = any(_touches(c, names, words) for c in notice.components if c)
        if by_component or _touches(notice.provider, names, words, prefix=True):
            out.append(notice)
    return out


SEEN_BEFORE = 0.8  # load this close to its peak already came before the onset: it was served


def rising_load(
    series: Iterable[Series], onset: datetime | None, factor: float = 2.0
) -> tuple[float, str]:
    """How many times the load (requests, traffic, sessions) rose at the onset, and the name
    of what rose, as the page names it (a campaign's clicks, a client's requests): a load
    series that was zero before the onset and is not after (a new source of traffic, the
    likeliest driver) when one appeared, else the one that rose most; (0, "") when none
    rose `factor` times. Failures counted as requests (5xx, rejected, timed out) are a
    symptom, not load; nor is load the series had already reached before the onset
    (`SEEN_BEFORE` of its peak after it: a daily peak, a batch wave every half hour) and
    was served then."""
    best, name = 0.0, ""
    appeared, most = "", 0.0  # the biggest load series that came from nothing at the onset
    loads = [s for s in series if LOAD_WORDS.search(s.name) and not NOT_LOAD.search(s.name)
             and s.unit != "%" and len(s.points) >= 4 and classify(s.name)[0] != 1]  # fmt: skip
    demand = [s for s in loads if not BEHIND_CACHE.search(s.name)]
    if any(_rise(s, onset) < factor for s in demand):  # what clients sent did not rise:
        loads = demand  # more reaching the origin is the cache letting it through
    for s in loads:
        before, after = _around(s, onset)
        if not before or not after or min(before) < 0:
            continue
        base = sorted(before)[len(before) // 2]
        if max(after) > 0 and max(before) >= SEEN_BEFORE * max(after):
            continue
        if base > 0:
            rise = max(after) / base
            if rise > best:
                best, name = rise, s.name
        elif max(before) == 0 and max(after) > most:
            appeared, most = s.name, max(after)
    return (best, appeared or name) if best >= factor else (0.0, "")


def _around(s: Series, onset: datetime | None) -> tuple[list[float], list[float]]:
    """A series' values before the onset and from it (its middle point without one)."""
    cut = onset or s.points[len(s.points) // 2].at
    return [p.value for p in s.points if p.at < cut], [p.value for p in s.points if p.at >= cut]


def _rise(s: Series, onset: datetime | None) -> float:
    """How many times a series' peak after the onset is its median before (inf from 0)."""
    before, after = _around(s, onset)
    if not before or not after:
        return 0.0
    base = sorted(before)[len(before) // 2]
    return max(after) / base if base > 0 else (float("inf") if max(after) > 0 else 0.0)


# a per-request measure or a duration is no load ("DB time / request", "p99 per call")
# ...nor a queue's backlog (`<queue>.requests ready`: messages waiting, not arriving), nor
# a disk's or a database's own reads and writes (`WriteThroughput`, IOPS, WAL): what the
# service does, not what its clients ask of it
NOT_LOAD = re.compile(r"(/|\bper)\s*(request|call|query|session|user|visit)s?\b|\bp\d{2}\b|"
                      r"latency|duration|(?<!same )\btime\b|percentile|\bready\b|unacked|"
                      r"backlog|\bdepth\b|\blag\b|pending|queued|waiting|dead.?letter|\bdlq\b|"
                      r"\b(read|write)\s*-?\s*(throughput|bytes|iops|ops)\b|\biops\b|\bwal\b",
                      re.I)  # fmt: skip
# load that reaches the origin past a cache: it rises when the cache stops absorbing it
BEHIND_CACHE = re.compile(r"\borigin\b|\bmiss(es)?\b|\bpass(es)?\b|\bbypass|"
                          r"\bbackend\b|\bshield\b", re.I)  # fmt: skip


@dataclass(frozen=True)
class Ceiling:
    """A series that sat at a limit: its name as shown and the value it could not pass."""

    name: str
    value: float
    source: str = ""


PINNED_POINTS = 3  # the last points at the top, at least, for a series to sit at a limit
_LIMIT_NAME = re.compile(r"\bmax\w*|\blimit|\bcap(acity)?\b|\bsize\b|\bceiling", re.I)


def ceilings(series: Iterable[Series], onset: datetime | None) -> tuple[Ceiling, ...]:
    """The limits the pages show being reached: a series that rose after the onset to a value
    it then held for its last `PINNED_POINTS` points or more (usage at a maximum: active
    connections at the pool size, busy threads at the thread limit, replicas at the
    autoscaler's maximum), and a series named for a limit (max, limit, capacity, size) that
    holds one value throughout. Percentages are left out (100% is everybody's ceiling)."""
    out: list[Ceiling] = []
    for s in series:
        values = [p.value for p in s.points]
        if s.unit == "%" or len(values) < PINNED_POINTS + 1:
            continue
        top = max(values)
        if top <= 0:
            continue
        if _LIMIT_NAME.search(s.name) and min(values) == top:
            out.append(Ceiling(s.name, top, s.source))
            continue
        tail = 0
        for v in reversed(values):
            if v < top * 0.99:
                break
            tail += 1
        before = [p.value for p in s.points if onset is None or p.at < onset]
        rose = bool(before) and min(before) < top * 0.9
        if tail >= PINNED_POINTS and tail < len(values) and rose:
            out.append(Ceiling(s.name, top, s.source))
    return tuple(out)


@dataclass(frozen=True)
class Duration:
    """A series of durations (latency, processing time), in seconds."""

    name: str
    points: tuple[tuple[datetime, float], ...]


# a count of timeouts, or an age (how long the oldest message waited, a lag, an uptime):
# nothing a timeout cuts off
_NOT_BOUNDED = re.compile(r"timeouts?\b|timed out|\bage\b|oldest|\blag\b|uptime|since|"
                          r"\bttl\b|expir", re.I)  # fmt: skip


def durations(series: Iterable[Series]) -> tuple[Duration, ...]:
    """The series the pages show in units of time, in seconds: what a timeout bounds, when
    its name is neither a count of timeouts nor an age."""
    out: list[Duration] = []
    for s in series:
        unit = unit_family(s.unit)
        if unit is None or unit[0] != "time" or _NOT_BOUNDED.search(s.name):
            continue
        out.append(Duration(s.name, tuple((p.at, p.value * unit[1]) for p in s.points)))
    return tuple(out)


def crossed(
    durations: Iterable[Duration], value: float, since: datetime, onset: datetime
) -> tuple[Duration, datetime] | None:
    """The duration that stayed under `value` (seconds) before `since` (when a timeout set to
    `value` went live) and passed it after, by the onset; with when it first did: from then
    on the timeout cuts off what it bounds."""
    for d in durations:
        before = [v for at, v in d.points if at < since]
        over = [at for at, v in d.points if since <= at <= onset + DEPLOY_SLACK and v >= value]
        if before and max(before) < value and over:
            return d, over[0]
    return None


@dataclass(frozen=True)
class Growth:
    """A resource that filled steadily over the whole window: no step, rising from the start."""

    name: str
    hours: float
    first: float
    last: float
    unit: str
    source: str = ""


GROWTH_HOURS = 24.0  # a window at least this long
_GROWTH_STEP = 0.25  # no single step larger than this share of the whole rise
_GROWTH_RISE = 0.05  # the rise is at least this share of the last value


def steady_growth(series: Iterable[Series]) -> Growth | None:
    """A saturation series (disk, volume, memory, queue, backlog...) that rose over a window
    of a day or more without a step: every interval flat or up, none more than a quarter of
    the whole rise, and rising in the window's first third already (a leak or a change that
    started the growth mid-window shows flat before it). Data, users or traffic that grow
    fill a fixed capacity this way; a change makes a step or starts the growth. The one
    that rose most relative to its last value when several did."""
    best: Growth | None = None
    for s in series:
        tier = classify(s.name)[0]
        points = sorted(s.points, key=lambda p: p.at)
        if not _filling(s) or len(points) < 6:  # (a share named by what it is of: `broker 2` %)
            continue
        hours = (points[-1].at - points[0].at).total_seconds() / 3600
        values = [p.value for p in points]
        rise = values[-1] - values[0]
        if hours < GROWTH_HOURS or values[-1] <= 0 or rise < _GROWTH_RISE * abs(values[-1]):
            continue
        steps = [b - a for a, b in zip(values, values[1:], strict=False)]
        if min(steps) < -0.02 * rise or max(steps) > _GROWTH_STEP * rise:
            continue
        third = points[0].at + (points[-1].at - points[0].at) / 3
        early = [p.value for p in points if p.at <= third]
        if len(early) < 2 or early[-1] - early[0] < 0.1 * rise:
            continue
        found = Growth(_named(s) if tier == 0 else s.name, hours, values[0], values[-1], s.unit,
                       s.source)  # fmt: skip
        if best is None or rise / values[-1] > (best.last - best.first) / best.last:
            best = found
    return best


def _filling(s: Series) -> bool:
    """A series of something that fills: a saturation series rising is bad, or a share
    named by what it is of (`broker 2` %)."""
    tier, direction = classify(s.name)
    return (tier == 3 and direction == 1) or (tier == 0 and s.unit == "%")


@dataclass(frozen=True)
class Step:
    """A series that held one value, then another from `at` on: a count moved (servers in a
    client's list, replicas, a pool's size), what a setting looks like as it takes effect."""

    name: str
    before: float
    after: float
    at: datetime


STEP_POINTS = 2  # points at each level, at least
STEP_TRANSITION = 3  # points between the levels, at most (pods picking the change up in turn)


def steps(series: Iterable[Series]) -> tuple[Step, ...]:
    """The series that are one level and then another: their first value held for
    `STEP_POINTS` points or more, their last value held as long, and at most
    `STEP_TRANSITION` points between, each between the two levels. Rates, latencies and
    shares wobble and are no step; percentages are left out."""
    out: list[Step] = []
    for s in series:
        points = sorted(s.points, key=lambda p: p.at)
        values = [p.value for p in points]
        if s.unit == "%" or len(values) < 2 * STEP_POINTS or values[0] == values[-1]:
            continue
        first, last = values[0], values[-1]
        head = next(i for i, v in enumerate(values) if v != first)
        tail = next(i for i, v in enumerate(reversed(values)) if v != last)
        middle = values[head : len(values) - tail]
        low, high = min(first, last), max(first, last)
        if (head >= STEP_POINTS and tail >= STEP_POINTS and len(middle) <= STEP_TRANSITION
                and all(low <= v <= high for v in middle)):  # fmt: skip
            out.append(Step(s.name, first, last, points[head].at))
    return tuple(out)


def took_effect(
    settings: Iterable[SettingChange],
    shown: Iterable[Step],
    merged_at: datetime,
    onset: datetime,
) -> tuple[SettingChange, Step] | None:
    """A setting the pages show taking effect by the onset: a series that moved from its
    value before to its value after (a server count from 5 to 8, a pool's size from 30 to
    20), after the change merged. Where no deploy of the change is shown, that is when it
    went live. Values under 2 are left out (a flag's 0 → 1 is any counter's first event)."""
    shown = list(shown)
    for setting in settings:
        before = number(setting.before, setting.family)
        after = number(setting.after, setting.family)
        if before is None or after is None or before == after or max(before, after) < 2:
            continue
        for step in shown:
            if (isclose(step.before, before, rel_tol=0.01)
                    and isclose(step.after, after, rel_tol=0.01)
                    and merged_at - DEPLOY_SLACK <= step.at <= onset + DEPLOY_SLACK):  # fmt: skip
                return setting, step
    return None


@dataclass(frozen=True)
class Buildup:
    """A resource flat until a deploy and rising steadily from it: what the deploy started."""

    at: datetime  # the deploy's time
    name: str
    first: float
    last: float
    unit: str


BUILDUP_HOURS = 1.0  # a build-up this long at least before the onset (a step is no build-up)
_FLAT = 0.1  # before the deploy: within this share of its level
_QUIET = 0.05  # ...or its wobble this small a share of the rise (2,010 → 741,457 inodes)
_BUILT = 0.3  # after it: risen by this share of the level before, at least


def buildups(
    series: Iterable[Series], markers: Iterable[DeployMarker], onset: datetime
) -> tuple[Buildup, ...]:
    """Saturation series (memory, keys, disk, queue...) flat before a deploy and rising
    steadily from it until the onset: a build-up the deploy started (a cache without expiry,
    a leak, a retention change, temporary files never removed), however long it took to reach
    a limit. Flat is within a tenth of its level, or of a twentieth of the rise (from 0 %, or
    a few thousand inodes wobbling before millions were used). Every interval
    after the deploy flat or up (one dip allowed), none more than half the rise: a step at
    the deploy is a change of level, not a build-up. Nor is what the autoscaler added: where
    the pages show the workload's replicas (pods, desired, instances) rising over the same
    interval as much, the resource grew with the pods (quota used, connections), load's."""
    out: list[Buildup] = []
    series = list(series)
    deploys = sorted({m.at for m in markers if m.at <= onset - timedelta(hours=BUILDUP_HOURS)})
    for s in series:
        if not _filling(s) or _REPLICAS.search(s.name):
            continue
        tier = classify(s.name)[0]
        points = sorted((p for p in s.points if p.at <= onset), key=lambda p: p.at)
        for at in deploys:
            before = [p.value for p in points if p.at < at]
            after = [p.value for p in points if p.at >= at]
            if len(before) < 3 or len(after) < 3:
                continue
            level = sorted(before)[len(before) // 2]
            rise = after[-1] - level
            spread = max(before) - min(before)
            if (level < 0 or rise <= 0 or rise < _BUILT * level
                    or spread > max(_FLAT * level, _QUIET * rise)):  # fmt: skip
                continue
            steps = [b - a for a, b in zip([level, *after], after, strict=False)]
            if sum(1 for d in steps if d < 0) > 1 or max(steps) > 0.5 * rise:
                continue
            if _scaled_out(series, at, onset, after[-1] / level if level else None):
                continue
            out.append(Buildup(at, _named(s) if tier == 0 else s.name, level, after[-1], s.unit))
            break
    return tuple(out)


# a count of the workload's replicas (`pods created`, `HPA desired`), not a measure per pod
# (`old gen (avg/pod)`, `GCs per pod`)
_REPLICAS = re.compile(r"(?<![/\w])(?<!per )(?:replicas?|pods?|desired|instances|tasks)\b", re.I)


def _scaled_out(series: list[Series], at: datetime, onset: datetime, grew: float | None) -> bool:
    """The workload's replica count (a series named for replicas, pods, desired) rose from
    `at` to the onset by at least `_BUILT` and by about as much as the build-up did (`grew`,
    the build-up's factor): the autoscaler added pods."""
    for s in series:
        if not _REPLICAS.search(s.name):
            continue
        before = [p.value for p in s.points if p.at < at]
        after = [p.value for p in s.points if at <= p.at <= onset]
        if not before or not after or before[-1] <= 0:
            continue
        factor = max(after) / before[-1]
        if factor >= 1 + _BUILT and (grew is None or factor >= 0.5 * grew):
            return True
    return False


def changes_since(pages: Sequence[PageFacts], start: datetime) -> datetime:
    """Where the change window starts: `CHANGE_WINDOW` before the alert, or earlier: an hour
    before an older deploy at which a resource the pages show began a steady build-up up to
    the alert (a retention raised six days ago fills a disk today), or an hour before the
    oldest of the last `RECENT_ROLLOUTS` revisions in the workload's rollout history (what
    the last few rollouts shipped is what a responder reads first, `kubectl rollout
    history`, however quiet the week was), at most `LONGEST_WINDOW` back."""
    series = [s for p in pages for s in p.series]
    markers = [m for p in pages for m in p.markers]
    grew = [b.at - timedelta(hours=1) for b in buildups(series, markers, start)]
    rolled: dict[str, datetime] = {}  # each revision once, by what it shipped
    for m in markers:
        if m.source == ROLLOUT_HISTORY and m.at <= start and (m.sha or m.pr is not None):
            key = f"{m.sha}#{m.pr}"
            rolled[key] = min(m.at, rolled.get(key, m.at))
    latest = sorted(rolled.values(), reverse=True)[:RECENT_ROLLOUTS]
    if len(latest) == RECENT_ROLLOUTS:
        grew.append(latest[-1] - timedelta(hours=1))
    return window_start(start, min(grew, default=None))


ROLLOUT_HISTORY = "kubernetes"  # the evidence source that reads the cluster's workloads
RECENT_ROLLOUTS = 4  # the revisions a responder reads back through, at least


def went(onset: Onset, shown: Series | None) -> str:
    """A series' departure in words, what its table is of first: "Clock offset vs NTP
    node-7: 0.0003 → -63.3 s"."""
    caption = _caption(shown) if shown else ""
    unit = f" {shown.unit}" if shown and shown.unit else ""
    return f"{caption} {onset.series}: {onset.baseline:g} → {onset.peak:g}{unit}".strip()


def _named(s: Series) -> str:
    """A column's name with what its table is of (`broker 2 (data volume used per broker)`)."""
    caption = _caption(s)
    return f"{s.name} ({caption})" if caption else s.name


def _caption(s: Series) -> str:
    """What a series' table is of, in its first words."""
    return re.split(r"\s\(|\s{2,}| · ", s.caption.strip(), maxsplit=1)[0][:48]


# a mesh's proxy container, and the words for it killed or crash-looping
_PROXY = (
    r"\bcontainer\W{0,3}(istio-proxy|linkerd-proxy|envoy(-sidecar)?|consul-dataplane|"
    r"kuma-sidecar)\b"
)
_DOWN = r"\b(OOMKilled|CrashLoopBackOff|exit code 137|out of memory)"
PLATFORM: tuple[tuple[re.Pattern[str], CauseCategory], ...] = (  # the most telling first
    # pods evicted; not a cache's own evictions counted as none (`evictions=0`, `evicted_keys`)
    (re.compile(r"\bevict(?!ions?\W{0,3}0(?!\d|[.,]\d)|ed_keys|ion_?count)|disk\s*pressure|"
                r"memory\s*pressure|pid\s*pressure", re.I), "platform_failure"),
    (re.compile(r"\breplica\w*\b[^.]{0,60}\b(stale|behind|lag\w*|old)\b|replication\s*(lag|delay|"
                r"stall\w*|broken|stopped)|\breplay\s*(lag|stop\w*|paus\w*|stall\w*)", re.I),
     "platform_failure"),
    # a failover, not "failed over 10m" / "failed over the last hour" (a share over a window)
    (re.compile(r"fail(ed|ing)?[\s-]*over(?!\s+(the\s+)?(last|past|previous|\d))|multi-az|"
                r"hardware (issue|failure)|host (failure|replacement|retire)|instance retirement|"
                r"(availability )?zone (outage|impair)",
                re.I), "platform_failure"),
    # a node that went away; not the scheduler's "preemption: 0/N nodes are available" (it
    # only says evicting lower-priority pods would not help) nor a taint it names
    (re.compile(r"(?<![/.-])\bnode\s*not\s*ready|\bnotready\b|KubeletNotReady|node\s*lost|"
                r"\bpreempted\b|spot (instance )?interruption", re.I), "platform_failure"),
    # the autoscaler cannot read the metrics it scales on (the resource metrics API down):
    # it holds the replicas where they were, whatever the load does
    (re.compile(r"FailedGetResourceMetric|FailedComputeMetricsReplicas|FailedGet(Pods|Object|"
                r"External)Metric|unable to (get|fetch) metrics (for resource|from (the )?"
                r"resource metrics API)|metrics\.k8s\.io[^.;|]{0,60}?\b(unavailable|unable to "
                r"handle|FailedDiscoveryCheck|MissingEndpoints)|ScalingActive\W{0,3}False",
                re.I), "platform_failure"),
    # the mesh's proxy injected beside the service's container killed or crashing: the
    # platform's part, with the platform's limits, whatever the service's code does
    (re.compile(rf"{_DOWN}\b[^.;|]{{0,60}}?{_PROXY}|{_PROXY}[^.;|]{{0,60}}?{_DOWN}", re.I),
     "platform_failure"),
    # the provider upgrading the nodes under the workloads (a node pool's or group's upgrade
    # under way reschedules pods onto nodes with another kernel, runtime or cgroup version)
    (re.compile(r"\b(node ?pool|node ?group)s?\b[^.;|]{0,40}?\bupgrad\w*[^;|]{0,60}?\b(in "
                r"progress|running|under ?way|started|starting|began)\b|\bupgrade in progress\b"
                r"[^.;]{0,20}?\b(node ?pool|node ?group)|\bupgrading node ?pool\b|"
                r"\bUPGRADE_NODES\b[^\n|]{0,60}?\bRUNNING\b", re.I), "platform_failure"),
    # hosts whose clocks drifted (tokens "used before issued", TLS "not yet valid")
    (re.compile(r"\bclock (skew|drift|offset)s?\b[^;]{0,60}?(-|−|\+)?\d+(\.\d+)?\s?(ms|s)\b|"
                r"\bclocks? (is |are )?not (synchroni[sz]\w*|in sync)|not synchroni[sz]ing|"
                r"\bunsynchroni[sz]ed\b|NodeClock(Skew\w*|NotSynchroni[sz]ing)|time ?sync\w* "
                r"(lost|fail\w*|broken)|\b(ntp|chrony)\w*[^.;]{0,40}?\b(unreachable|"
                r"no (reachable )?sources?|not synchroni[sz]\w*)", re.I), "platform_failure"),
    # the provider's maintenance of a managed resource under way (it restarts, fails over or
    # empties it); not one announced for later, nor a runbook's advice about maintenance
    (re.compile(r"\bmaintenance\b[^.;|]{0,40}?\b(started|starting|began|begun|in progress|"
                r"rebooted|rebooting|restarted|restarting)\b|\b(rebooted|restarted|failed over)"
                r"\b[^.;|]{0,30}\bfor (scheduled )?maintenance\b", re.I), "platform_failure"),
    # a database stopping writes to protect itself: its transaction ids near wraparound
    # because vacuum could not freeze old rows (something held the horizon back)
    (re.compile(r"not accepting commands to avoid wraparound|wraparound data loss|must be "
                r"vacuumed within [\d,]+ transactions|(transaction ?id|xid|multixact\w*) "
                r"wrap-?around (protection|failsafe|imminent)", re.I), "platform_failure"),
    # the cloud has no capacity left for the instance type asked for (the node group cannot
    # grow, whatever its bounds): AWS, GCP and Azure's words for it, Karpenter's
    (re.compile(r"InsufficientInstanceCapacity|InsufficientCapacityError|"
                r"(do not|don't) have sufficient [\w.\- ]{0,40}capacity|insufficient capacity "
                r"(in|for) the (availability )?zone|ZONE_RESOURCE_POOL_EXHAUSTED|"
                r"resource pool exhausted|SkuNotAvailable|ZonalAllocationFailed|"
                r"OverconstrainedAllocationRequest|AllocationFailed", re.I), "platform_failure"),
    (re.compile(r"insufficient (cpu|memory|pods)|exceeded quota|quota exceeded|"
                r"resourcequota|at max(imum)? (node|size)", re.I), "capacity"),
    # a serverless platform refusing invocations: the account's (or the function's reserved)
    # concurrency used up, whoever used it; AWS answers 429 "Rate Exceeded." for it
    (re.compile(r"ConcurrentInvocationLimitExceeded|ReservedFunctionConcurrentInvocationLimit"
                r"Exceeded|\b429\b[^|;\n]{0,80}?\bRate Exceeded\b|\bRate Exceeded\b[^|;\n]{0,80}?"
                r"\b429\b|\b(lambda|functions?)\b[^.;|]{0,40}?\bthrottl\w*[^.;|]{0,20}?→|"
                r"\bthrottles\b[^.;|]{0,40}?\b(lambda|functions?)\b[^.;|]{0,40}?→|\bunreserved\W+"
                r"(account\W+)?concurren\w*[^.;|]{0,40}?\b(exhausted|used up|at (its )?(limit|max"
                r"\w*))", re.I), "capacity"),
    # a subnet out of addresses for new pods or nodes (the VPC CNI, a cloud's IP allocation)
    (re.compile(r"InsufficientFreeAddressesInSubnet|failed to assign an IP address|no (free|"
                r"available) (ip )?addresses|ip addresses? (exhausted|exhaustion)|\bsubnet\b"
                r"[^.;|]{0,60}?\b(exhausted|out of (ip )?addresses|no free)", re.I), "capacity"),
    # a NAT gateway out of source ports for new connections (SNAT port exhaustion)
    (re.compile(r"\b(nat|snat)\b[^.;|]{0,60}?\b(port (allocation|exhaust\w*)|out of (source )?"
                r"ports|OUT_OF_RESOURCES|ports? (in use|exhausted))|ErrorPortAllocation|"
                r"\bOUT_OF_RESOURCES\b[^.;|]{0,40}\bnat\b|snat port|packets dropped\W{0,3}"
                r"OUT_OF_RESOURCES", re.I), "capacity"),
)  # fmt: skip
EXPIRED = re.compile(  # a credential or certificate that expired, or is about to
    r"(?<![a-z])(key|token|credential|certificate|cert|password|secret|license|licence|"
    r"signature)s?(?:[_ -]expired\b|(?:(?!\.\s)[^\n]){0,40}?\b(?:has |have |is |was |will )?"
    r"(expired|expires|expiring)\b)|\bexpired[_ -](key|token|credential|cert|certificate|"
    r"password|secret|signature)",
    re.I,
)
"""Errors saying a credential or certificate expired: a time-based condition, not a change."""
"""Signals in the errors and logs that the platform underneath failed or ran out."""


# Voluntary disruption: the platform moving pods on purpose (consolidation, a drain, a scale
# down, an eviction through the API that a disruption budget allowed) is routine, not a failure.
ROUTINE = re.compile(r"^\s*(\d+[smhd]\s+)?Normal\b|consolidat|underutiliz|\bdrain|scal(e|ing)[ -]?"
                     r"down|\bPDB\b|disruption ?budget|minAvailable", re.I)  # fmt: skip
PROBE = re.compile(r"synthetic|\bprobe\b|blackbox|uptime[ -]?check|heartbeat check|canary check",
                   re.I)  # fmt: skip


OVER_BEFORE = timedelta(minutes=5)  # an event this long over when the alert fired had ended
_SPAN = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:-|–|→|->|to|until)\s*(\d{1,2}):(\d{2})"
                   r"(?::(\d{2}))?\b")  # fmt: skip
_OVER = re.compile(r"\b(completed?|finished|ended|resolved|recovered|restored|succeeded|back "
                   r"online|available again)\b", re.I)  # fmt: skip
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\b")


def platform_ended(
    clause: str, texts: Iterable[str], onset: datetime, fired: datetime
) -> datetime | None:
    """When the platform event a clause names ended, where it ended `OVER_BEFORE` or more
    before `fired` (the last data the pages show, or the alert's start): from the clause's
    own time span, or from what the pages say of the same kind of event (`failover window
    10:00:05 → 10:01:10`, `failover completed at 10:01:10`); None when nothing says it
    ended."""
    own = ended_before(clause, onset, fired)
    if own is not None:
        return own
    kind = next((pattern for pattern, _ in PLATFORM if pattern.search(clause)), None)
    if kind is None:
        return None
    ends = []
    for text in texts:
        for part in _BREAK.split(text):
            if not kind.search(part):
                continue
            spanned = ended_before(part, onset, fired)
            clock = _CLOCK.search(part) if _OVER.search(part) and not _SPAN.search(part) else None
            if clock is not None:  # `failover completed at 10:01:10`
                spanned = _ended_at(clock[1], clock[2], clock[3], onset, fired)
            if spanned is not None and spanned >= onset:
                ends.append(spanned)
    return max(ends, default=None)


def ended_before(text: str, onset: datetime, fired: datetime) -> datetime | None:
    """When an event a clause gives a time span for (`14:02:07-14:02:41`, `09:10 to 09:14`)
    ended, where it ended `OVER_BEFORE` or more before the alert fired (times on the onset's
    day); None when the clause gives no span or the event was still going on."""
    span = _SPAN.search(text)
    return None if span is None else _ended_at(span[4], span[5], span[6], onset, fired)


def _ended_at(
    hour: str, minute: str, second: str | None, onset: datetime, fired: datetime
) -> datetime | None:
    """An end at this time of the onset's day (or the next, past midnight), where it came
    `OVER_BEFORE` or more before the alert fired."""
    h, m, s = int(hour), int(minute), int(second or 0)
    if h > 23 or m > 59 or s > 59:
        return None
    end = onset.replace(hour=h, minute=m, second=s, microsecond=0)
    if end < onset - timedelta(hours=12):
        end += timedelta(days=1)
    return end if end <= fired - OVER_BEFORE else None


AT_ONSET = timedelta(minutes=2)
_NOT_AN_EVENT = re.compile(
    r"\bdeploy|\brelease|\broll(ed)?[ -]?out|\brollback|\balert|\bfiring\b|\bpending\b|\bresolved\b"
    r"|\bonset\b",
    re.I,
)
# a deploy tool syncing or applying what it ships (a commit, a PR), or a revision or commit
# listed with its PRs: a deploy, not an event
_SHIPS = re.compile(
    r"\b(argo ?cd|flux(cd)?|spinnaker|helm)\b[^.;|]{0,80}?([0-9a-f]{7,40}\b|#\d+)|"
    r"\bsync(ed|ing)?\b[^.;|]{0,40}?(→|->|\bto\b)\s*[0-9a-f]{7,40}\b|"
    # a revision or a commit listed with the PRs it ships (a deploy history's row)
    r"\b(rev(ision)?\s*\d+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40})\b[^|]{0,120}?#\d+\b",
    re.I,
)


OUTSIDE_BEFORE = timedelta(minutes=15)  # a change made outside the repos this long before
# What an audit log says of a change made by hand: who (an address, "changed by", through a
# console, UI or admin API) changed what (a flag, its rollout or strategy, a setting, a
# parameter group, a variable, a limit); deploys and merges are the repos' own changes.
_ACTOR = re.compile(
    r"\bby\s+[\w.+-]+@[\w-]+\.[\w.-]+|\bchanged by\b|\bvia (the )?(admin )?"
    r"(ui|console|api|cli|dashboard)\b|\b(user|actor|initiated by)\s*[:=]",
    re.I,
)
_CHANGED = re.compile(
    r"(feature[ -]?flag|\bflags?\b|toggle|strategy|rollout|\bconfig(uration)?\b|setting|"
    r"parameter|variable|\blimit\b|quota|weight|firewall|security group|route|dns record)"
    r"[^.;]{0,80}?\b(changed|updated?|edited|modified|enabled|disabled|toggled|turned (on|off)|"
    r"raised|lowered|increased|decreased|set to)\b|\b(changed|updated?|edited|modified|enabled|"
    r"disabled|toggled)\b[^.;]{0,80}?(feature[ -]?flag|\bflags?\b|strategy|rollout|setting|"
    r"parameter|variable)|\b[\w-]*(strategy|flag|feature|parameter|config|setting)[\w-]*-"
    r"(update|updated|enabled|disabled|changed)\b",
    re.I,
)
_REPO_CHANGE = re.compile(r"\bdeploy|\brelease[ds]?\b|\bmerged?\b|pull request|\bcommit\b|"
                          r"\bimage\b|argo ?cd|\bsync(ed)?\b", re.I)  # fmt: skip


def outside_change(events: Iterable[tuple[datetime, str]], onset: datetime) -> str:
    """A change someone made by hand outside the repos just before the onset, as an audit
    log shows it (who changed which flag, setting or limit, through a console, UI or API):
    the latest such event from 15 minutes before the onset to just after it; "" when none.
    The repos' changes (deploys, merges, syncs) are the ranking's business."""
    near = sorted(
        ((at, text) for at, text in events
         if onset - OUTSIDE_BEFORE <= at <= onset + DEPLOY_SLACK and _ACTOR.search(text)
         and _CHANGED.search(text) and not _REPO_CHANGE.search(text)),
        key=lambda pair: pair[0],
    )  # fmt: skip
    if not near:
        return ""
    at, text = near[-1]
    text = _NOISE.sub(" ", text)  # its time is said once, ids and asides say nothing
    return f"at {at:%H:%M:%S}, {' '.join(text.split())}"


_NOISE = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?|(?<![\w.-])\d{4,}(?![\w.-])|"
    r"\s\([^()]{0,80}\)"
)


def event_at(
    events: Iterable[tuple[datetime, str]], onset: datetime, changes: Collection[int] = ()
) -> str:
    """What the pages say happened at the onset (within 2 minutes): the first such event
    that is not a deploy (those are changes: one that names a PR among `changes` too) nor
    the alert's own state."""
    near = sorted((at, text) for at, text in events
                  if abs(at - onset) <= AT_ONSET and not _NOT_AN_EVENT.search(text)
                  and not _SHIPS.search(text) and not _names_a_change(text, changes))  # fmt: skip
    return near[0][1] if near else ""


def _names_a_change(text: str, changes: Collection[int]) -> bool:
    return any(int(n) in changes for n in re.findall(r"#(\d+)\b", text))


def platform_signals(texts: Iterable[str]) -> list[tuple[str, CauseCategory]]:
    """(the clause that matched, the category it suggests), once per category, the most
    telling kind of signal first (an eviction or node pressure before a node that went
    away); routine, voluntary disruptions are skipped."""
    said = [t for t in texts if not ROUTINE.search(t)]
    found: dict[CauseCategory, str] = {}
    for pattern, category in PLATFORM:
        if category in found:
            continue
        for text in said:
            hit = pattern.search(text)
            if hit:
                found[category] = _clause(text, hit.start(), hit.end())
                break
    return [(text, category) for category, text in found.items()]


_BREAK = re.compile(r"\.\s+(?=\S)|\s+[·|]\s+|;\s+|\n")
_COMMA = re.compile(rf",\s+|:\s+|{_BREAK.pattern}")
CLAUSE = 120


def _clause(text: str, start: int, end: int) -> str:
    """The clause of `text` the match at start:end is in (between sentence ends, `·`, `|`
    or `;`); a longer one is cut to its first words (what reported it, about what) and the
    part between commas or colons that matched, CLAUSE characters in all."""
    left = max((m.end() for m in _BREAK.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _BREAK.finditer(text, end)), len(text))
    if right - left <= CLAUSE:
        return " ".join(text[left:right].split())
    inner = max((m.end() for m in _COMMA.finditer(text, left, start)), default=left)
    stop = next((m.start() for m in _COMMA.finditer(text, end, right)), right)
    part = " ".join(text[inner:stop].split())[: CLAUSE - 8]
    room = CLAUSE - len(part) - 3
    head = " ".join(text[left:inner].split())
    if inner == left or room < 12:
        return part
    return (head if len(head) <= room else head[:room].rsplit(" ", 1)[0]) + " … " + part


EXHAUSTED = re.compile(
    r"reached (?:the )?max(?:imum)? value of sequence|sequence generator limit exceeded|"
    r"\b(?:integer|bigint|smallint|int4|int8) out of range|out of range for (?:type )?"
    r"(?:integer|int|smallint|int4)\b|out of range value for column|SQLSTATE[\s=:\[]*2200H|"
    r"\b(?:2147483647|2,147,483,647|4294967295)\b[^.;]{0,40}\b(?:reached|max|exhaust|"
    r"overflow|limit)",
    re.I,
)
"""Errors saying a fixed range of values ran out: a sequence or an id column at its maximum."""


def exhausted(texts: Iterable[str]) -> list[str]:
    """The clauses that say a fixed range of values ran out (at most two, words before bare
    codes): a sequence at its maximum, an insert past a 32-bit id; data that grew into a
    limit no change moved."""
    found = [(_clause(t, m.start(), m.end()), m.group(0)) for t in texts
             if (m := EXHAUSTED.search(t))]  # fmt: skip
    return [t for t, hit in sorted(found, key=lambda f: bool(_BARE_CODE.fullmatch(f[1])))][:2]


_BARE_CODE = re.compile(r"SQLSTATE[\s=:\[]*2200H", re.I)  # a bare code says least: last


_QUOTA = re.compile(
    r"\bquota_?exceeded\b|\b(?:monthly|daily|plan|account|api|request|usage)\s+(?:request\s+)?"
    r"(?:quota|limit)\b[^.;]{0,40}?\b(?:exceeded|exhausted|reached|used up|ran out)\b|"
    r"\bover (?:the|your) (?:plan|monthly|daily) (?:quota|limit)\b",
    re.I,
)
_CLUSTER_QUOTA = re.compile(r"resourcequota|\bnamespace\b|\bpods?\b|requested:|limited:|"
                            r"forbidden: exceeded quota", re.I)  # fmt: skip


def vendor_quota(texts: Iterable[str]) -> str:
    """The clause saying a provider's quota for the account ran out (`429 quota_exceeded`,
    `monthly request quota ... used up`): the vendor refuses until it resets or the plan is
    raised; not a cluster's ResourceQuota (a namespace's pods), which is capacity."""
    for text in texts:
        hit = _QUOTA.search(text)
        if hit and not _CLUSTER_QUOTA.search(text):
            return _clause(text, hit.start(), hit.end())
    return ""


def expiries(texts: Iterable[str]) -> list[str]:
    """The texts that say a credential or certificate expired (at most two); a caller's own
    token refused on one request (a bearer token, a JWT's claims, a session) is routine."""
    return [t for t in texts if _credential_expired(t)][:2]


def _credential_expired(text: str) -> bool:
    """Whether the text says a credential expired, other than in a sentence about what is
    normal (`Normal is 0.3%: expired tokens, refreshed`): the baseline, not the incident."""
    if _CALLERS_TOKEN.search(text):
        return False
    return any(not _BASELINE.search(_sentence(text, m.start())) for m in EXPIRED.finditer(text))


_BASELINE = re.compile(r"\b(normal(ly)?|usual(ly)?|typical(ly)?|baseline|routine(ly)?|"
                       r"as expected|every day|always)\b", re.I)  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|\n")


def _sentence(text: str, at: int) -> str:
    """The sentence of `text` that holds position `at`."""
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)
    end = _SENTENCE_END.search(text, at)
    return text[start : end.end() if end else len(text)]


EXPIRY_BEFORE = timedelta(hours=2)  # what expired this long before the onset may have set it off


def expired_at(events: Iterable[tuple[datetime, str]], onset: datetime) -> str:
    """What the pages time as expiring (a listed certificate's or secret's expiry, an event
    saying a credential expired) within two hours before the onset: a clock running out
    explains the onset's timing as a notice does; clients holding tokens or sessions from
    before it keep working until theirs run out, so the failures may start some minutes
    later. The latest such event, in its words."""
    timed = [(at, text) for at, text in events
             if onset - EXPIRY_BEFORE <= at <= onset + DEPLOY_SLACK
             and _credential_expired(text)]  # fmt: skip
    return max(timed, default=(onset, ""))[1]


REJECTED = re.compile(
    r"password authentication failed|\b28P01\b|access denied for user|login failed for user|"
    r"authentication failed for user|\bWRONGPASS\b|NOAUTH authentication required|invalid "
    r"username or password|InvalidClientTokenId|\binvalid_client\b|\bORA-01017\b",
    re.I,
)
"""A server refusing the service's own credentials (a database, a cache, a cloud API)."""
_HOLDS_CREDENTIAL = re.compile(r"password|passwd|secret|credential|\buser(name)?\b|api[_-]?key|"
                               r"access[_-]?key|\bauth\b|\bdsn\b|connection[_-]?string",
                               re.I)  # fmt: skip


def rejected_credentials(texts: Iterable[str], changes: Iterable[ChangeFacts]) -> str:
    """The clause where a server refuses the service's own credentials, when no change in
    the window touches a credential (its key or file says password, secret, user, key...):
    the credential changed outside the repos (rotated, revoked, a new password the running
    pods never read) or a client kept an old one; "" otherwise."""
    touched = any(_HOLDS_CREDENTIAL.search(st.key) for c in changes for st in c.settings) or any(
        _HOLDS_CREDENTIAL.search(f.rsplit("/", 1)[-1]) for c in changes for f in c.files
    )
    if touched:
        return ""
    for text in texts:
        hit = REJECTED.search(text)
        if hit:
            return _clause(text, hit.start(), hit.end())
    return ""


RETIRED = re.compile(
    r"\b(api|endpoint|version|v\d+)(\s+[\w.-]+){0,2}?\s+(has been|have been|was|were|is( now)?|"
    r"got)\s+(retired|sunset|decommissioned|discontinued|no longer (available|supported))\b|"
    r"\b(api|endpoint|version) (retired|sunset|decommissioned)\b|"
    r"\b\w*_?(version|api|endpoint)_(retired|sunset|removed|deprecated)\b",
    re.I,
)
"""A provider saying what the service calls is gone: an API version retired or sunset, an
endpoint decommissioned."""
GONE = re.compile(r"\b410\b[^.;\n]{0,12}\bGone\b|\bGone\b[^.;\n]{0,12}\b410\b", re.I)
# ...where the 410 is the answer to a call the service made (a service's own 410s for deleted
# resources are routine)
_OUTBOUND = re.compile(r"->|→|\bcall(ing|ed)?\b|\brequest(ing)? to\b|\bupstream\b|"
                       r"\bclient\b|https?://", re.I)  # fmt: skip
_PATH = re.compile(r"(?<![\w.])/[A-Za-z][\w.-]*(?:/[\w.{}-]+)+")


def retired_api(texts: Iterable[str], changes: Iterable[ChangeFacts]) -> str:
    """The clause where a provider answers that the API the service calls is gone (`410
    Gone`, `api_version_retired`, "v1 was sunset"): the vendor removed it, as announced or
    not; "" when none does, or when a change in the window starts calling the path the
    error names (a line it adds has it, no line it removes does): then the change called
    something that was never there."""
    changes = list(changes)
    for text in texts:
        hit = RETIRED.search(text) or (GONE.search(text) if _OUTBOUND.search(text) else None)
        if not hit:
            continue
        paths = _PATH.findall(text)
        introduced = any(_adds(c, p) for p in paths for c in changes)
        if not introduced:
            return _clause(text, hit.start(), hit.end())
    return ""


def _adds(change: ChangeFacts, text: str) -> bool:
    """Whether a line the change adds has `text` and no line it removes does."""
    return any(text in line.text for line in change.added) and not any(
        text in line.text for line in change.removed)  # fmt: skip


_CALLERS_TOKEN = re.compile(r"\bbearer\b|\bjwt\b|invalid claims|\bsession\b|access[_ ]token|"
                            r"id[_ ]token|refresh[_ ]token", re.I)  # fmt: skip


_RENEWAL = re.compile(r"renew|re-?issu|rotat|\bchallenge|\bacme\b|certificate ?request|"
                      r"\border\b[^.]{0,30}\b(failed|invalid|errored)", re.I)  # fmt: skip
_FAILED = re.compile(r"\berr(or)?\b|fail|denied|not permitted|invalid|refused|rejected|"
                     r"forbidden|unauthori[sz]ed|timed? ?out|\b[45]\d\d\b", re.I)  # fmt: skip


_ERROR_FIELD = re.compile(
    r"""\b"?(?:err|error|error_message|exception)"?\s*[=:]\s*"(?P<msg>[^"]{8,})"""
)


def renewal_failure(texts: Iterable[str]) -> str:
    """Why something that expired was not renewed: the first error the texts show from a
    renewal, rotation or re-issue (an ACME challenge that could not be presented, an order
    that failed, a rotation refused), shortened to its error part; "" when none."""
    for text in texts:
        if _RENEWAL.search(text) and _FAILED.search(text) and not EXPIRED.search(text):
            field = _ERROR_FIELD.search(text)  # a structured log's own error message
            if field and _FAILED.search(field["msg"]):
                return " ".join(field["msg"].replace("\\n", " ").replace("\\t", " ").split())[:160]
            at = _FAILED.search(text)
            start = max(0, at.start() - 40) if at else 0
            while 0 < start < len(text) and not text[start - 1].isspace():
                start -= 1  # whole words
            return " ".join(text[start:].split())[:160]
    return ""


def notice_category(notices: Sequence[Notice]) -> CauseCategory | None:
    for notice in notices:
        if notice.kind in EXTERNAL_KINDS:
            return EXTERNAL_KINDS[notice.kind]
    return None


def _same_commit(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a.startswith(b) or b.startswith(a)


def _same_file(changed: str, framed: str) -> bool:
    a, b = changed.strip("/").lower(), framed.strip("/").lower()
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return (
        "/" in shorter
        and longer.endswith("/" + shorter)
        or ("/" not in shorter and longer.rsplit("/", 1)[-1] == shorter and len(shorter) > 6)
    )


def _tokens(name: str) -> list[str]:
    """The words of a package name that identify it in error text (an npm scope alone,
    `@aws-sdk` of `@aws-sdk/lib-storage`, names a family of packages, not this one)."""
    low = name.lower()
    if low.startswith("@") and "/" in low:
        low = low.split("/", 1)[1]
    parts = [p for p in re.split(r"[/@:]", low) if len(p) >= 4]
    return list(dict.fromkeys([name.lower(), *parts]))


def _domain(host: str) -> str:
    parts = host.lower().split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else host.lower()


def _touches(component: str, names: set[str], words: str, prefix: bool = False) -> bool:
    """The component is a host the incident calls, or a word of its text (a provider's name
    may begin a longer word: `VendorError`, `vendor-sdk`)."""
    comp = component.lower().strip()
    if not comp:
        return False
    if comp in names or _domain(comp) in names or any(n.startswith(comp + ".") for n in names):
        return True
    end = "" if prefix else r"(?![\w-])"
    return len(comp) >= 4 and re.search(rf"(?<![\w-]){re.escape(comp)}{end}", words) is not None


def _covers(notice: Notice, onset: datetime | None) -> bool:
    if onset is None or notice.started is None:
        return True
    return notice.started - NOTICE_WINDOW <= onset <= notice.started + timedelta(hours=12)


@dataclass(frozen=True)
class Quoted:
    """A setting a change sets to a value the failures quote beside the setting's kind."""

    key: str
    value: str
    file: str
    line: int
    quote: str  # the failure's words around the value


QUOTE_REACH = 60  # characters before the value searched for the setting's kind


def quoted_settings(added: Iterable[Line], texts: Iterable[str]) -> list[Quoted]:
    """Settings a change's added lines set to a value the errors or logs quote next to a word
    of the setting's kind: a gateway answering `x-ratelimit-limit: 600` when the change sets
    a client's rate limit to 600, `timeout of 750ms exceeded` when it sets a timeout of 750ms.
    The value must be a number of two digits or more (with its unit, if any): `1` or `true`
    are said too often to tie anything."""
    said = [t for t in texts if t]
    out: list[Quoted] = []
    for line in added:
        for key, raw in pairs(line.text):
            value = raw.strip().strip("\"'")
            kind = family((key,))
            if kind == "other" or not _QUOTABLE.fullmatch(value):
                continue
            number = re.compile(rf"(?<![\w.]){re.escape(value)}(?![\w.]|\.\d)", re.I)
            quote = next((q for text in said if (q := _quote(text, number, _KIND[kind]))), None)
            if quote:
                out.append(Quoted(key, value, line.file, line.line, " ".join(quote.split())))
    return out


_KIND = dict(SETTING_FAMILIES)  # a setting family's words, as its keys are read
QUOTE_AFTER = 20  # characters after the value searched for the setting's kind


def _quote(text: str, number: re.Pattern[str], kind: re.Pattern[str]) -> str | None:
    """The words around the first time `text` says the number with a word of the kind."""
    for m in number.finditer(text):
        window = text[max(0, m.start() - QUOTE_REACH) : m.end() + QUOTE_AFTER]
        if kind.search(_words_of(window)):
            return window
    return None


_QUOTABLE = re.compile(r"\d{2,}(?:\.\d+)?\s?(?:ms|s|m|h|mi|gi|mb|gb|k|rps|/s)?|\d+\.\d+\s?\w{0,2}",
                       re.I)  # fmt: skip


def _words_of(text: str) -> str:
    """Text as the setting families read keys: lower case, words joined by underscores."""
    return re.sub(r"[\s\-./:\"']+", "_", text.lower())


_GONE = (  # a schema object a migration removes or renames, by the forms migrations write
    re.compile(r"\b(?P<verb>drop|rename)\s+(?:column|table|index|view)\s+(?:if\s+exists\s+)?"
               r"[`\"\[]?(?:\w+\.)?(?P<name>\w+)", re.I),
    re.compile(r"\b(?P<verb>Remove|Rename)Field\s*\([^)]*?\b(?:old_)?name\s*=\s*[\"'](?P<name>\w+)",
               re.S),
    re.compile(r"\b(?P<verb>remove|rename)_column\s*\(?\s*:\w+\s*,\s*:(?P<name>\w+)"),
    re.compile(r"\b(?P<verb>drop|rename)Column\s*\(\s*[\"'](?P<name>\w+)"),
    re.compile(r"\bop\.(?P<verb>drop|alter)_column\s*\(\s*[\"']\w+[\"']\s*,\s*[\"'](?P<name>\w+)"),
)  # fmt: skip


def gone_names(facts: ChangeFacts) -> list[tuple[str, str]]:
    """(name, how) of the columns, tables, indexes and views a change's migrations drop or
    rename (`DROP COLUMN`, `RENAME COLUMN`, Django's `RemoveField`/`RenameField`, Rails'
    `remove_column`, knex's `dropColumn`, Alembic's `op.drop_column`)."""
    by_file: dict[str, list[str]] = {}
    for line in facts.added:
        by_file.setdefault(line.file, []).append(line.text)
    out: dict[str, str] = {}
    for file, lines in by_file.items():
        text = "\n".join(lines)
        if not (file_kind(file, facts.patches.get(file, "")) == "schema" or _DDL.search(text)):
            continue
        for pattern in _GONE:
            for m in pattern.finditer(text):
                verb = m["verb"].lower()
                out.setdefault(m["name"], "renames" if verb.startswith("rename") or
                               verb == "alter" else "drops")  # fmt: skip
    return list(out.items())


_DDL = re.compile(r"\b(?:alter\s+table|drop\s+(?:column|table|index))\b", re.I)


def errors_name_gone(facts: ChangeFacts, texts: Iterable[str]) -> tuple[str, str] | None:
    """A column, table or index the change's migration drops or renames that the errors name
    (`column s.delivery_notes does not exist` after a rename of `delivery_notes`): the old
    code, or another service, still uses what the migration took away. Names shorter than 4
    characters, or plain words without `_` shorter than 8, are said too often to tell."""
    gone = [(n, how) for n, how in gone_names(facts) if len(n) >= 8 or ("_" in n and len(n) >= 4)]
    if not gone:
        return None
    said = "\n".join(texts)
    for name, how in gone:
        if re.search(rf"(?<![\w]){re.escape(name)}(?!\w)", said, re.I):
            return name, how
    return None
