"""Pricing local models by compute time, run results' `cost_usd`, and `graph cost`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from cli import cost as cost_cmd
from cli.errors import CliError
from cli.main import build_parser
from core.state import NodeUsage
from observability import cost_report
from observability.pricing import Pricing, PricingError, UnknownModelError, load_pricing
from replay.result import costs
from replay.run import Replay, RunOptions
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS
from world.loader import load

SHIPPED = ROOT / "observability" / "pricing.yaml"
HOSTED = """
models:
  small: {usd_per_1m_input_tokens: 1, usd_per_1m_output_tokens: 2}
  large: {usd_per_1m_input_tokens: 10, usd_per_1m_output_tokens: 20}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pricing.yaml"
    path.write_text(text)
    return path


def hosted(tmp_path: Path, extra: str = "") -> Pricing:
    return load_pricing(write(tmp_path, HOSTED + extra))


def usage(node: str, model: str | None, tin: int = 0, tout: int = 0) -> NodeUsage:
    return NodeUsage(node=node, model=model, input_tokens=tin, output_tokens=tout,
                     started_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip


# --- pricing ----------------------------------------------------------------------------


def test_an_hour_of_a_local_model_costs_the_machines_hour() -> None:
    pricing = load_pricing(SHIPPED)
    large = pricing.price("qwen2.5-coder-1.5b")
    assert large.usd_per_hour == pytest.approx(0.08925)
    assert pricing.cost("qwen2.5-coder-1.5b", 97 * 3600, 0) == pytest.approx(0.08925)
    assert pricing.cost("qwen2.5-coder-1.5b", 0, 32 * 3600) == pytest.approx(0.08925)
    per_in, per_out = pricing.price("qwen2.5-coder-0.5b").per_token()
    assert per_in == pytest.approx(0.08925 / 3600 / 240)
    assert per_out == pytest.approx(0.08925 / 3600 / 51)
    assert pricing.cost("smollm2-135m", 310, 126) == pytest.approx(2 * 0.08925 / 3600)


def test_the_small_model_is_cheaper_per_token_than_the_large_one() -> None:
    pricing = load_pricing(SHIPPED)
    assert pricing.cost("qwen2.5-coder-0.5b", 1000, 100) < pricing.cost(
        "qwen2.5-coder-1.5b", 1000, 100
    )


def test_hosted_models_are_priced_per_million_tokens(tmp_path: Path) -> None:
    pricing = hosted(tmp_path)
    assert pricing.cost("large", 1_000_000, 500_000) == pytest.approx(10 + 10)


def test_unknown_model_without_default_names_the_file_and_the_priced_models(
    tmp_path: Path,
) -> None:
    pricing = hosted(tmp_path)
    with pytest.raises(UnknownModelError) as err:
        pricing.cost("gpt-9", 1, 1)
    message = str(err.value)
    assert str(tmp_path / "pricing.yaml") in message and "'gpt-9'" in message
    assert "large, small" in message


def test_unknown_model_uses_the_default_entry_and_says_so(tmp_path: Path) -> None:
    pricing = hosted(tmp_path, "default: {usd_per_1m_input_tokens: 5, usd_per_1m_output_tokens: 5}")
    assert pricing.cost("my-finetune.gguf", 1_000_000, 0) == pytest.approx(5)
    assert pricing.priced_by("my-finetune.gguf") == "default"
    assert pricing.priced_by("small") == "small"


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("{usd_per_hour: -1, prompt_tokens_per_s: 1, output_tokens_per_s: 1}",
         "model 'm', field usd_per_hour: Input should be greater than 0"),
        ("{usd_per_hour: 1, prompt_tokens_per_s: 1}", "model 'm': Value error, missing "
         "output_tokens_per_s"),
        ("{usd_per_hour: 1, prompt_tokens_per_s: 1, output_tokens_per_s: 1, "
         "usd_per_1m_input_tokens: 1}", "not both"),
        ("{usd_per_token: 1}", "model 'm', field usd_per_token: Extra inputs are not permitted"),
        ("{usd_per_hour: fast, prompt_tokens_per_s: 1, output_tokens_per_s: 1}",
         "field usd_per_hour: Input should be a valid number"),
    ],
)  # fmt: skip
def test_invalid_entries_name_the_file_the_model_and_the_field(
    tmp_path: Path, entry: str, said: str
) -> None:
    path = write(tmp_path, f"models:\n  m: {entry}\n")
    with pytest.raises(PricingError) as err:
        load_pricing(path)
    assert str(err.value).startswith(f"{path}: ")
    assert said in str(err.value)


def test_missing_or_broken_file_is_a_pricing_error(tmp_path: Path) -> None:
    with pytest.raises(PricingError, match="cannot read the pricing file"):
        load_pricing(tmp_path / "absent.yaml")
    with pytest.raises(PricingError, match="not valid YAML"):
        load_pricing(write(tmp_path, "models: [unclosed"))
    with pytest.raises(PricingError, match="models: Field required"):
        load_pricing(write(tmp_path, "default: {usd_per_1m_input_tokens: 1}\n"))


# --- cost_usd in the run result -----------------------------------------------------------


def test_run_result_prices_each_node_by_its_own_model(tmp_path: Path) -> None:
    state: Any = {"usage": [usage("ingest", None), usage("triage", "small", 1_000_000, 0),
                            usage("root_cause", "large", 0, 1_000_000)]}  # fmt: skip
    run = Replay(loaded=None,  # type: ignore[arg-type]
                 incident_id="i", state=state, messages=[], writes=[],
                 duration_s=1.0, trace_id="0" * 32, checks={})  # fmt: skip
    assert costs(run, hosted(tmp_path)) == {"ingest": 0.0, "triage": 1.0, "root_cause": 20.0}


# --- graph cost: aggregation --------------------------------------------------------------


def graph_cost(*args: str) -> tuple[int, str]:
    """`graph cost ARGS` in process: exit code and the error line `graph.cli.main` prints.

    Not through `main`: its logging set-up would keep capsys's stream past the test."""
    parsed = build_parser().parse_args(["cost", *args])
    try:
        return parsed.handler(parsed, Settings()), ""
    except CliError as exc:
        return exc.code, f"graph cost: {exc}"


def lines() -> list[cost_report.Line]:
    return [
        cost_report.Line("db-pool", "triage", "small", 1_000_000, 100_000),
        cost_report.Line("db-pool", "root_cause", "large", 500_000, 50_000),
        cost_report.Line("ssl-cert", "triage", "small", 1_000_000, 100_000),
    ]


def test_report_sums_per_node_and_model_and_prices_the_all_large_alternative(
    tmp_path: Path,
) -> None:
    report = cost_report.build(lines(), hosted(tmp_path), "large")
    triage, cause = report["rows"]
    assert (triage["node"], triage["model"]) == ("triage", "small")
    assert (triage["input_tokens"], triage["output_tokens"]) == (2_000_000, 200_000)
    assert triage["cost_usd"] == pytest.approx(2 * (1 + 0.2))
    assert cause["cost_usd"] == pytest.approx(5 + 1)
    assert report["total"]["cost_usd"] == pytest.approx(8.4)
    assert report["total"]["all_large_usd"] == pytest.approx(2 * (10 + 2) + 6)
    assert report["saving"] == pytest.approx(1 - 8.4 / 30)
    assert [i["scenario"] for i in report["incidents"]] == ["db-pool", "ssl-cert"]
    assert report["incidents"][1] == {"scenario": "ssl-cert", "cost_usd": 1.2,
                                      "all_large_usd": 12.0}  # fmt: skip
    json.dumps(report)  # `--json` prints it as is


def test_no_model_calls_means_no_saving_ratio(tmp_path: Path) -> None:
    report = cost_report.build([], hosted(tmp_path), "large")
    assert report["saving"] is None
    assert "saving from routing: n/a" in cost_cmd.table(report)


def test_table_shows_nodes_totals_saving_and_the_competitors_claim(tmp_path: Path) -> None:
    text = cost_cmd.table(cost_report.build(lines(), hosted(tmp_path), "large"))
    rows = [line.split() for line in text.splitlines()]
    assert ["triage", "small", "2000000", "200000", "2.400000"] in rows
    assert ["root_cause", "large", "500000", "50000", "6.000000"] in rows
    assert ["ssl-cert", "1.200000", "12.000000"] in rows
    assert "saving from routing: 72.0% (the competing product claims 96%)" in text
    assert "8.400000 USD with routing" in text and "30.000000 USD if every model call" in text


def test_nodes_without_a_model_call_are_left_out() -> None:
    got = cost_report.usage_lines("s", [usage("ingest", None), usage("triage", "small", 3, 4)])
    assert got == [cost_report.Line("s", "triage", "small", 3, 4)]


# --- graph cost: the command --------------------------------------------------------------


def test_bad_pricing_file_stops_graph_cost_before_any_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "models:\n  m: {usd_per_hour: 0}\n")
    monkeypatch.setenv("INCIDENT_GRAPH_PRICING_FILE", str(path))
    code, err = graph_cost("--scenarios", str(SCENARIOS))
    assert code == 2 and f"graph cost: {path}: model 'm', field usd_per_hour" in err


def test_unpriced_large_model_is_refused_when_there_is_no_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCIDENT_GRAPH_PRICING_FILE", str(write(tmp_path, HOSTED)))
    code, err = graph_cost("--scenarios", str(SCENARIOS), "--model-small", "small",
                           "--model-large", "gpt-9")  # fmt: skip
    assert code == 2 and "no price for model 'gpt-9'" in err


def test_folder_without_scenarios_is_exit_2(tmp_path: Path) -> None:
    code, err = graph_cost("--scenarios", str(tmp_path))
    assert code == 2 and "no scenario.yaml under" in err


@pytest.mark.integration
def test_replayed_scenario_is_costed_by_the_models_it_used(tmp_path: Path) -> None:
    """The real world, MCP servers and graph; scripted models that report token usage."""
    triage = {"severity": "high", "category": "saturation", "confidence": "high"}
    cause = {"cause": "PR #847", "category": "code_change",
             "explanation": "An N+1 query holds connections.", "confidence": "high"}  # fmt: skip
    models = {"small": _answering(triage, 1000, 50), "large": _answering(cause, 2000, 100)}
    opts = RunOptions(model_small="small", model_large="large", chat_models=models)
    settings = Settings(checkpoint_db=tmp_path / "checkpoints.sqlite")
    found = cost_cmd.collect([load("db-pool-exhaustion", SCENARIOS)], settings, opts)
    report = cost_report.build(found, hosted(tmp_path), "large")
    assert {(r["node"], r["model"]) for r in report["rows"]} == {
        ("triage", "small"), ("root_cause", "large")}  # fmt: skip
    assert report["total"]["cost_usd"] == pytest.approx(1000e-6 + 50 * 2e-6 + 0.02 + 0.002)
    assert 0 < report["saving"] < 1


def _answering(answer: dict[str, str], tin: int, tout: int) -> GenericFakeChatModel:
    reply = AIMessage(content=json.dumps(answer), usage_metadata={
        "input_tokens": tin, "output_tokens": tout, "total_tokens": tin + tout})  # fmt: skip
    return GenericFakeChatModel(messages=iter([reply]))
