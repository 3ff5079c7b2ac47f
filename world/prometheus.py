"""A real Prometheus serving a scenario's `metrics`, backfilled with `promtool`.

`PrometheusServer(metrics, now).start()` writes the series as OpenMetrics, backfills them
with `promtool tsdb create-blocks-from openmetrics` into a temporary storage path, writes
the scenario's alerting rules and starts `prometheus` on a free loopback port (Debian
package `prometheus`). `url` is its base URL.

Without `shift`, samples keep the scenario's times: ask with an explicit `time=` (or
`start=`/`end=`), e.g. the scenario's `now`. With `shift=True`, every sample moves so that
the scenario's `now` is the wall-clock time at `start()` (`server.now`): Prometheus then
evaluates the rules on the data and, given `alertmanager_url`, sends what fires there.
Alerts whose condition already held at `now` keep the time they became pending (their
`ALERTS_FOR_STATE` is backfilled, as a Prometheus that ran through the incident would have
it), so a rule with `for: 10m` fires within seconds of the start, not ten minutes later.
With an Alertmanager, `start()` returns once Prometheus has discovered it (up to ~5 s), and
firing alerts are re-sent every `resend_delay` (2 s), so none is lost to that wait.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import httpx

from world.prometheus_data import (
    active_since,
    alert_labels,
    config_yaml,
    for_state_openmetrics,
    hold,
    openmetrics,
    rules_yaml,
)
from world.signals_spec import AlertRule, MetricsSpec

LOOPBACK = "127.0.0.1"
PACKAGE_HINT = "install the Debian package `prometheus` (apt-get install -y prometheus)"
_STEP_S = 15.0  # resolution of the query that finds when a pending alert became active


class PrometheusMissing(RuntimeError):
    """`prometheus` or `promtool` is not installed."""


class PrometheusServer:
    """A scenario's Prometheus on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        metrics: MetricsSpec,
        now: datetime,
        *,
        shift: bool = False,
        alertmanager_url: str | None = None,
        evaluation_interval: str = "1s",
        resend_delay: str = "2s",
        port: int = 0,
        prometheus_bin: str = "prometheus",
        promtool_bin: str = "promtool",
    ) -> None:
        self.metrics = metrics
        self.scenario_now = now
        self.shift = shift
        self.alertmanager_url = alertmanager_url
        self.evaluation_interval = evaluation_interval
        self.resend_delay = resend_delay
        self._port = port
        self._bins = (prometheus_bin, promtool_bin)
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        self.offset = timedelta(0)

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("Prometheus is not started")
        return self._url

    @property
    def now(self) -> datetime:
        """The time that stands for the scenario's `now` in this Prometheus."""
        return self.scenario_now + self.offset

    def start(self, timeout: float = 30.0) -> PrometheusServer:
        prometheus, promtool = (_binary(b) for b in self._bins)
        self._dir = Path(tempfile.mkdtemp(prefix="world-prometheus-"))
        try:
            self._prepare(prometheus, promtool, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _prepare(self, prometheus: str, promtool: str, timeout: float) -> None:
        assert self._dir is not None
        if self.shift:
            wall = datetime.now(UTC).replace(microsecond=0)
            self.offset = wall - self.scenario_now.replace(microsecond=0)
        series = self._dir / "series.om"
        series.write_text(openmetrics(self.metrics.series, self.offset), encoding="utf-8")
        _backfill(promtool, series, self._dir / "data")
        rules = self._dir / "rules.yml"
        rules.write_text(rules_yaml(self.metrics.rules, self.evaluation_interval), "utf-8")
        pending = [r for r in self.metrics.rules if hold(r) > timedelta(0)]
        if self.shift and pending:
            self._launch(prometheus, None, timeout)
            states = self._for_states(pending)
            self._halt()
            if states:
                restore = self._dir / "for_state.om"
                restore.write_text(for_state_openmetrics(states, time.time()), "utf-8")
                _backfill(promtool, restore, self._dir / "data")
        self._launch(prometheus, rules if self.metrics.rules else None, timeout)
        if self.alertmanager_url:
            self._wait_alertmanager(timeout)

    def _launch(self, prometheus: str, rules: Path | None, timeout: float) -> None:
        assert self._dir is not None
        config = self._dir / "prometheus.yml"
        rule_file = str(rules) if rules else None
        config.write_text(config_yaml(self.evaluation_interval, rule_file, self.alertmanager_url))
        port = self._port or _free_port()
        log = (self._dir / "prometheus.log").open("wb")
        args = [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={self._dir / 'data'}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address={LOOPBACK}:{port}",
            "--rules.alert.for-grace-period=1s",
            f"--rules.alert.resend-delay={self.resend_delay}",
            "--log.level=warn",
        ]
        with log:
            self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self._url = f"http://{LOOPBACK}:{port}"
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"prometheus exited ({self._proc.returncode}): {self._log()}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"prometheus not ready within {timeout} s: {self._log()}")

    def _wait_alertmanager(self, timeout: float) -> None:
        """Until Prometheus has discovered the Alertmanager (it does so every 5 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = httpx.get(f"{self.url}/api/v1/alertmanagers", timeout=5.0)
            if reply.json()["data"]["activeAlertmanagers"]:
                return
            time.sleep(0.1)
        raise TimeoutError(f"prometheus did not pick up {self.alertmanager_url} in {timeout} s")

    def _for_states(self, rules: list[AlertRule]) -> list[tuple[dict[str, str], float]]:
        """For each alert whose condition holds now: its labels and when it became pending."""
        end = float(int(time.time()))
        states: list[tuple[dict[str, str], float]] = []
        for rule in rules:
            window = hold(rule).total_seconds() + 900
            params: dict[str, str | float] = {"query": rule.expr, "step": _STEP_S}
            params |= {"start": end - window, "end": end}
            reply = httpx.get(f"{self.url}/api/v1/query_range", params=params, timeout=30.0)
            if reply.status_code != 200:
                raise RuntimeError(f"rule {rule.alert}: {rule.expr!r}: {reply.text}")
            for result in reply.json()["data"]["result"]:
                since = active_since(result["values"], end, _STEP_S)
                labels = alert_labels(rule, result["metric"])
                if since is not None and labels is not None:
                    states.append((labels, since))
        return states

    def _log(self) -> str:
        path = self._dir / "prometheus.log" if self._dir else None
        if path is None or not path.exists():
            return ""
        return path.read_text("utf-8", "replace")[-2000:].strip()

    def _halt(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def stop(self) -> None:
        self._halt()
        self._url = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PrometheusMissing(f"{name!r} is not installed (not on PATH): {PACKAGE_HINT}")
    return path


def _backfill(promtool: str, source: Path, data: Path) -> None:
    args = [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()[-2000:]
        raise RuntimeError(f"promtool could not backfill {source.name}: {detail}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port
