"""Deploys, releases and rollouts a page shows, with the commit, pull request and version.

Read from annotation strips (`11:20 deploy <service> <sha> (#<pr> ...) · 11:31 alert ...`),
annotation cells of time tables (the row's time unless the cell writes its own), tables about
deploys (a caption or header saying deploy, release, rollout, revision, sync or change events;
each row with a time and an identifier) and text lines (`rollout history`, `image <sha> since
Mon 11:20`). A clause needs a time close to a deploy word (`image`, `sync`, `apply`, `merge`,
`bump` and a deploy tool's name (Argo CD, Flux, Spinnaker, Helm) only count beside a commit, PR or
version); a deploy word without a time is no marker.
One marker per commit (or PR, or version): the one that says deploy rather than only naming an
image, with a time of day rather than a day, the earliest of equals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from agents.root_cause.facts.tables import TimeTable, is_time_table, row_time
from agents.root_cause.facts.text import clauses, records, shorten
from agents.root_cause.facts.times import Clock, Found, all_times
from agents.root_cause.facts.tree import Page, Table
from agents.root_cause.facts.types import DeployMarker

_STRONG = re.compile(
    r"\b(?:re)?deploy(?:s|ed|ing|ment|ments)?\b(?!/)|\breleas(?:e|es|ed|ing)\b"
    r"|\broll(?:ed)?[ -]?outs?\b(?! (?:history|status))|\brolled back\b|\brollback\b"
    r"|\bupgrade[ds]?\b",
    re.IGNORECASE,
)
_WEAK = re.compile(
    r"(?<![-=])\bimage\b|\brevision\b|\brev \d+\b|\bsync(?:ed)?\b|\bappl(?:y|ied)\b"
    r"|\bmerged?\b|\bbump(?:ed)?\b|\bpromot(?:e|ed|ion)\b|\bcanary\b"
    r"|\bargo ?cd\b|\bflux(?:cd)?\b|\bspinnaker\b|\bhelm\b",  # deploy tools, beside what they ship
    re.IGNORECASE,
)
_TABLE_CONTEXT = re.compile(
    r"deploy|release|rollout|revision|\bsync|recent changes|change events?", re.IGNORECASE
)
_SHA = re.compile(r"(?<![\w-])[0-9a-f]{7,40}(?![\w-])")
_PR = re.compile(
    r"(?:(?<![\w&])#|(?<=[A-Za-z])#|\b(?:PR|MR|pull request|pull/)\s?#?|(?<![\w!])!)"
    r"(\d{1,6})\b(?!\])",
    re.IGNORECASE,
)
_VERSION = re.compile(
    r"(?<![\w.-])(?P<v>v\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?)(?![\w.])"  # v1.2.3
    r"|\b(?:release|version|ver|tag)\s*[:=]?\s*(?P<n>v?\d+(?:\.\d+){1,3})(?![\w.])"
    r"|\brev(?:ision)?\.?:?\s*#?(?P<rev>\d+)\b",
    re.IGNORECASE,
)
_BARE_VERSION = re.compile(r"(?<![\w.-])\d+\.\d+\.\d+(?![\w.])")
_POD_HASH = re.compile(r"^[bcdfghjklmnpqrstvwxz2456789]{8,10}$")  # a pod-template-hash
_SHORT = 200  # a clause this long is read whole...
_NEAR = 60  # ...a longer one only this close around its deploy word and time
_BARE_NEAR = 25  # a deploy word naming no commit, PR or version: this close to its time
_SAME_TIME = timedelta(minutes=2)  # a marker naming nothing, this close to one naming something


@dataclass(frozen=True)
class Ids:
    sha: str | None
    pr: int | None
    version: str | None

    def any(self) -> bool:
        return bool(self.sha or self.pr is not None or self.version)


@dataclass(frozen=True)
class _Found:
    marker: DeployMarker
    rank: int  # 2: says deploy, 1: names an image or a sync; +2 with a time of day


def markers(page: Page, tables: list[TimeTable], clock: Clock, source: str) -> list[DeployMarker]:
    found: list[_Found] = []
    for line in page.texts:
        found += _from_text(line, clock)
    for timed in tables:
        found += _from_time_table(timed, clock)
    for table in page.tables:
        if not is_time_table(table, clock):
            found += _from_deploy_table(table, clock)
    return [replace(m, source=source) for m in _dedupe(found)]


def identifiers(text: str) -> Ids:
    """The commit SHA, pull request number and version a piece of text names."""
    sha = next((m.group(0) for m in _SHA.finditer(text) if is_sha(m.group(0))), None)
    pr_match = _PR.search(text)
    return Ids(sha, int(pr_match.group(1)) if pr_match else None, _version(text, sha))


def shipped_prs(text: str) -> set[int]:
    """Every pull request a deploy's text names (a release listing what it ships)."""
    return {int(m.group(1)) for m in _PR.finditer(text)}


def is_sha(word: str) -> bool:
    """7-40 lowercase hex digits with at least one letter and one digit (not a pod hash)."""
    return (
        bool(re.fullmatch(r"[0-9a-f]{7,40}", word))
        and any(c.isalpha() for c in word)
        and any(c.isdigit() for c in word)
        and not _POD_HASH.match(word)
    )


def _version(text: str, sha: str | None) -> str | None:
    """`v1.2.3` or `release 1.2.3`; else `1.2.3` right after a deploy word (or with no
    commit named); else `rev 12`."""
    found = list(_VERSION.finditer(text))
    named = next((m["v"] or m["n"] for m in found if m["v"] or m["n"]), None)
    if named:
        return named
    bare = _BARE_VERSION.search(text)
    if bare is not None:
        words = [m.end() for m in _STRONG.finditer(text[: bare.start()])]
        close = bool(words) and len(text[words[-1] : bare.start()].split()) <= 2
        if sha is None or close:
            return bare.group(0)
    rev = next((m["rev"] for m in found if m["rev"]), None)
    return f"rev {rev}" if rev else None


def _deploy_words(text: str, ids: Ids) -> list[re.Match[str]]:
    """Where text says deploy (a weak word only beside a commit, PR or version)."""
    found = list(_STRONG.finditer(text)) + (list(_WEAK.finditer(text)) if ids.any() else [])
    return sorted(found, key=lambda m: m.start())


def _from_text(line: str, clock: Clock, anchor: date | None = None) -> list[_Found]:
    out: list[_Found] = []
    for record in records(line):
        listing = False  # "Deployments: <time> <sha> · <time> <sha>": the label covers the list
        for clause in clauses(record):
            ids = identifiers(clause)
            words = _deploy_words(clause, ids)
            times = all_times(clause, clock, anchor)
            if words and not times:
                listing = True
            if not times:
                continue
            if words:
                listing = listing or words[0].start() < times[0].start
                out += _clause_markers(clause, times, words)
            elif listing and ids.any():
                out.append(_found(times[0].at, clause, ids, 1))
    return out


def _clause_markers(clause: str, times: list[Found], words: list[re.Match[str]]) -> list[_Found]:
    """The time nearest a deploy word (close by, in a long clause); a clause listing several
    commits (`rollout history`) gives one marker per commit, at the time nearest it."""
    shas = [m for m in _SHA.finditer(clause) if is_sha(m.group(0))]
    if len(times) >= 2 and len(shas) >= 2:
        return [_nearest(clause, times, sha) for sha in shas]
    word, at = min(((w, t) for w in words for t in times), key=lambda p: _gap(p[0], p[1]))
    if len(clause) > _SHORT and _gap(word, at) > _NEAR:
        return []
    lo, hi = min(word.start(), at.start), max(word.end(), at.end)
    text = clause if len(clause) <= _SHORT else clause[max(0, lo - _NEAR) : hi + _NEAR]
    ids = identifiers(text)
    if not ids.any() and _gap(word, at) > _BARE_NEAR:
        return []
    return [_found(at.at, text, ids, 2 if _STRONG.search(text) else 1)]


def _nearest(clause: str, times: list[Found], sha: re.Match[str]) -> _Found:
    near = min(times, key=lambda f: _gap(sha, f))
    lo, hi = min(near.start, sha.start()), max(near.end, sha.end())
    part = clause[max(0, lo - 40) : hi + 40]
    ids = replace(identifiers(part), sha=sha.group(0))
    return _found(near.at, part, ids, 2 if _STRONG.search(part) else 1)


def _gap(match: re.Match[str], at: Found) -> int:
    return max(0, at.start - match.end(), match.start() - at.end)


def _found(at: datetime, text: str, ids: Ids, rank: int, timed: bool = True) -> _Found:
    marker = DeployMarker(at=at, text=shorten(text), sha=ids.sha, pr=ids.pr, version=ids.version)
    return _Found(marker, rank + (2 if timed else 0))


def _from_time_table(table: TimeTable, clock: Clock) -> list[_Found]:
    """Annotation cells: a deploy clause at the time it writes, else at the row's time. In a
    table about deploys, every row naming a commit, PR or version is one."""
    about = bool(_TABLE_CONTEXT.search(" ".join([table.caption, *table.header])))
    out: list[_Found] = []
    for at, row in table.rows:
        timed = all_times(row[0], clock) != []
        found = [f for cell in row[1:] for f in _cell_markers(cell, at, timed, clock)]
        ids = identifiers(" · ".join(row[1:]))
        if about and not found and ids.any():
            found = [_found(at, " · ".join(c for c in row if c), ids, 2, timed)]
        out += found
    return out


def _cell_markers(cell: str, at: datetime, timed: bool, clock: Clock) -> list[_Found]:
    out: list[_Found] = []
    for clause in clauses(cell):
        ids = identifiers(clause)
        if not _deploy_words(clause, ids):
            continue
        times = all_times(clause, clock, at.date())
        rank = 2 if _STRONG.search(clause) else 1
        out.append(_found(times[0].at if times else at, clause, ids, rank, timed or bool(times)))
    return out


def _from_deploy_table(table: Table, clock: Clock) -> list[_Found]:
    """A table about deploys: each row with a time and a commit, PR, version or deploy word."""
    if not _TABLE_CONTEXT.search(" ".join([table.caption, *table.header])):
        return []
    out: list[_Found] = []
    for row in table.rows:
        text = " · ".join(c for c in row if c)
        ids = identifiers(text)
        at = next((t for c in row if (t := row_time(c, clock)) is not None), None)
        if at is not None and (ids.any() or _STRONG.search(text)):
            timed = any(all_times(c, clock) for c in row)
            out.append(_found(at, text, ids, 2, timed))
    return out


def _dedupe(found: list[_Found]) -> list[DeployMarker]:
    """One marker per commit (or PR, or version): the best ranked, then the earliest."""
    kept: list[_Found] = []
    for f in sorted(found, key=lambda f: (-f.rank, f.marker.at)):
        i = next((i for i, k in enumerate(kept) if _same(k.marker, f.marker)), None)
        if i is None:
            kept.append(f)
        else:
            kept[i] = replace(kept[i], marker=_merge(kept[i].marker, f.marker))
    out = sorted((k.marker for k in kept), key=lambda m: m.at)
    named = [m.at for m in out if _named(m)]
    return [m for m in out if _named(m) or all(abs(m.at - at) > _SAME_TIME for at in named)]


def _merge(keep: DeployMarker, other: DeployMarker) -> DeployMarker:
    return replace(
        keep,
        sha=keep.sha or other.sha,
        pr=keep.pr if keep.pr is not None else other.pr,
        version=keep.version or other.version,
    )


def _same(a: DeployMarker, b: DeployMarker) -> bool:
    if a.sha and b.sha:
        return a.sha.startswith(b.sha) or b.sha.startswith(a.sha)
    if a.pr is not None and b.pr is not None:
        return a.pr == b.pr
    if a.version and b.version:
        return a.version == b.version
    if _named(a) or _named(b):
        return False
    return a.at == b.at


def _named(m: DeployMarker) -> bool:
    return bool(m.sha or m.pr is not None or m.version)
