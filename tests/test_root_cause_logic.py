"""Root-cause logic without models: snapshot text, patch patterns, ranking, the final record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.root_cause.logic import Findings, answer_schema, decide, key_signals, propose
from agents.root_cause.patterns import added_lines, findings
from agents.root_cause.ranking import Change, keywords, rank
from agents.root_cause.snapshot import page_lines, signal_lines
from core.state import Alert
from tests.conftest import SCENARIOS
from world.loader import load

START = datetime(2026, 3, 10, 10, 12, tzinfo=UTC)

SNAPSHOT = """### Page
```yaml
- generic [ref=e1]:
  - heading "Orders DB" [level=1] [ref=e2]
  - generic [ref=e3]: Pool utilisation 95% · threshold 80%
  - table [ref=e4]:
    - rowgroup [ref=e5]:
      - row "10:12 95%" [ref=e6]:
        - cell "10:12" [ref=e7]
        - cell "95%" [ref=e8]
  - generic [ref=e9]: "2026-03-10T10:11:03Z ERROR QueuePool limit reached"
```"""


def changes(scenario: str) -> list[Change]:
    spec = load(scenario, SCENARIOS).spec
    out = []
    for repo, pr in spec.all_pulls():
        if pr.merged_at is None:
            continue
        out.append(Change(
            kind="pr", repo=repo, ref=f"PR #{pr.number}", number=pr.number,
            sha=pr.merge_commit_sha, title=pr.title, author=pr.user,
            merged_at=datetime.fromisoformat(pr.merged_at.replace("Z", "+00:00")),
            files=tuple(f.filename for f in pr.files),
            patches={f.filename: f.patch for f in pr.files},
        ))  # fmt: skip
    return out


def test_snapshot_becomes_lines_with_rows_joined() -> None:
    lines = page_lines(SNAPSHOT)
    assert "Orders DB" in lines
    assert "10:12 | 95%" in lines
    assert signal_lines(lines)[0] == "Pool utilisation 95% · threshold 80%"


def test_added_lines_carry_new_file_line_numbers() -> None:
    patch = "@@ -10,2 +20,3 @@ def f():\n context\n-old\n+new one\n+new two\n"
    assert added_lines(patch) == [(21, "new one"), (22, "new two")]


def test_patterns_flag_the_culprits_and_nothing_else() -> None:
    flagged = {
        (c.ref, f.kind, f.file, f.line)
        for scenario in ("db-pool-exhaustion", "worker-memory-leak", "ssl-cert-expiry")
        for c in changes(scenario)
        for name, patch in c.patches.items()
        for f in findings(name, patch)
    }
    assert flagged == {
        ("PR #847", "n_plus_one", "app/orders/history.py", 26),
        ("PR #851", "unclosed_client", "src/jobs/settleInvoice.ts", 27),
    }


def test_client_closed_in_finally_is_fine() -> None:
    patch = (
        "@@ -1,0 +1,6 @@\n+c = createClient()\n+try {\n+  if (x) return\n"
        "+} finally {\n+  await c.quit()\n+}\n"
    )
    assert findings("a.ts", patch) == []


def test_ranking_puts_the_culprit_first_and_excludes_later_merges() -> None:
    found = changes("db-pool-exhaustion")
    kw = keywords(["DBConnectionPoolHigh orders-db connection pool orders history"])
    late = Change(
        kind="pr",
        repo="acme/orders-api",
        ref="PR #900",
        number=900,
        sha=None,
        title="after",
        author="x",
        merged_at=START + timedelta(minutes=1),
        files=(),
    )
    ranked = rank([*found, late], START, "acme/orders-api", "deploy 9f1c2e7 (#847)", kw)
    assert ranked[0].ref == "PR #847"
    assert "PR #900" not in {c.ref for c in ranked}
    assert ranked[0].score > 0.7
    other_repo = next(c for c in ranked if c.repo != "acme/orders-api")
    assert any("not the service's repo" in r for r in other_repo.reasons)


def test_no_change_scores_low_when_nothing_is_recent_or_related() -> None:
    start = datetime(2026, 3, 12, 8, 2, tzinfo=UTC)
    ranked = rank(changes("ssl-cert-expiry"), start, "acme/platform-infra", "", set())
    assert ranked[0].score < 0.35


def test_model_answer_is_an_enum_of_the_candidates() -> None:
    schema = answer_schema(["PR #847", "none"])
    assert schema.model_json_schema()["properties"]["cause"]["enum"] == ["PR #847", "none"]
    assert schema.model_validate(
        {"cause": "none", "category": "capacity", "explanation": "x", "confidence": "low"}
    )


def test_fallback_to_ranking_and_revert_proposal() -> None:
    found = changes("db-pool-exhaustion")
    ranked = rank(found, START, "acme/orders-api", "(#847)", keywords(["orders history pool"]))
    alert = Alert(source="alertmanager", fingerprint="f", name="DBConnectionPoolHigh",
                  status="firing", starts_at=START, labels={},
                  annotations={"summary": "orders-db connection pool at 95%"})  # fmt: skip
    findings_ = Findings.split(
        ranked, alert=alert, changes={c.ref: c for c in found}, signals=[], partial=False
    )
    cause = decide(None, findings_)
    assert (cause.kind, cause.pr, cause.decided_by) == ("pr", 847, "ranking")
    assert (cause.file, cause.line) == ("app/orders/history.py", 26)
    assert "N+1" in cause.summary and "connection pool" in cause.summary
    [action] = propose("inc-1", cause)
    assert (action.tool, action.args) == (
        "revert_pull_request",
        {"pr": 847, "repo": "acme/orders-api"},
    )
    assert propose("inc-1", cause)[0].id == action.id, "the idempotency key is stable"


def test_key_signals_cover_distinct_failures() -> None:
    lines = ["error: failed to change record", "error: failed again", "CNAME MISSING (NXDOMAIN)"]
    assert key_signals(lines) == ["error: failed to change record", "CNAME MISSING (NXDOMAIN)"]


def test_implausible_changes_are_never_options() -> None:
    start = datetime(2026, 3, 12, 8, 2, tzinfo=UTC)
    ranked = rank(changes("ssl-cert-expiry"), start, "acme/platform-infra", "", set())
    alert = Alert(source="grafana", fingerprint="f", name="TLSCertificateExpiringSoon",
                  status="firing", starts_at=start, labels={}, annotations={})  # fmt: skip
    found = Findings.split(
        ranked, alert=alert, changes={}, signals=["CNAME MISSING"], partial=False
    )
    assert found.top == [] and found.ruled_out, "shown to the model, but not as options"
    assert answer_schema([c.ref for c in found.top] + ["none"]).model_json_schema()["properties"][
        "cause"
    ]["enum"] == ["none"]
    assert decide(None, found).kind == "none"
