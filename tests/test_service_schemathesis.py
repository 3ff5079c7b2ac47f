"""Schemathesis against the running service's own OpenAPI document (from /openapi.json, so
nothing is fetched from the internet): thousands of generated requests, valid and invalid,
to every operation; no 5xx, documented status codes, content types and response schemas,
and no operation that ignores authentication.

Left out: `positive_data_acceptance` (the alert formats have rules JSON schema cannot say,
such as the zero start time) and `negative_data_rejection` (unknown query parameters are
ignored, as HTTP APIs do)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.service_support import TOKEN, Running, kill_all, service_env, start_service

pytestmark = pytest.mark.integration

ST = Path(sys.executable).parent / "st"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Running]:
    env = service_env(tmp_path, INCIDENT_GRAPH_SLACK_SIGNING_SECRET="fuzz",
                      INCIDENT_GRAPH_APPROVERS="dana")  # fmt: skip
    catalog = str(ROOT / "scenarios" / "db-pool-exhaustion" / "scenario.yaml")
    running = start_service(tmp_path / "serve.log", ["--catalog", catalog, "--workers", "0"], env)
    try:
        yield running
        assert running.stop() == 0
    finally:
        kill_all()


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    service: Running, tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(ST), "run", f"{service.url}/openapi.json",
         "--header", f"Authorization: Bearer {TOKEN}",
         "--exclude-checks", "positive_data_acceptance,negative_data_rejection",
         "--max-examples", "30", "--workers", "1", "--seed", "20260314", "--request-timeout", "10"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Tested: 13" in done.stdout, done.stdout[-3000:]  # 9 + 4 generic mapping routes
    assert "5xx" not in done.stdout.split("SUMMARY")[-1]
