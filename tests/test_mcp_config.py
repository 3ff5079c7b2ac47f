"""`mcp_servers.yaml`: validation, `${VAR}` expansion, mutating flags, and servers that fail."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from mcphost.config import ConfigError, ServerConfig, expand, load_config, wanted
from mcphost.host import ServerStartError, ToolHost
from tests.conftest import ROOT


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mcp_servers.yaml"
    path.write_text(text)
    return path


def test_project_config_declares_its_servers() -> None:
    config = load_config(ROOT / "mcp_servers.yaml")
    assert set(config.servers) == {"playwright", "github", "slack", "prometheus", "logs",
                                   "kubernetes"}  # fmt: skip
    for name in ("prometheus", "logs", "kubernetes"):
        assert config.servers[name].requires, f"{name} starts only when its backend is set"
    kube = config.servers["kubernetes"]
    assert not kube.is_mutating("describe_deployment") and not kube.is_mutating("list_pods")
    assert all(kube.is_mutating(t) for t in ("rollout_restart", "rollout_undo", "scale"))
    assert not config.servers["prometheus"].is_mutating("query_range")
    github = config.servers["github"]
    assert not github.is_mutating("get_pull_request")
    assert github.is_mutating("revert_pull_request")
    assert config.servers["slack"].is_mutating("post_message")
    assert not config.servers["playwright"].is_mutating("browser_snapshot")


def test_unknown_tools_count_as_mutating() -> None:
    server = ServerConfig(command="x", tools={"read": ["get"]})
    assert server.is_mutating("delete_everything")
    assert not server.is_mutating("get")


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.yaml")


def test_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "servers: [unclosed\n"))


def test_unknown_key_names_server_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "servers:\n  github:\n    command: x\n    comand: y\n")
    with pytest.raises(ConfigError, match=r"server 'github', comand: Extra inputs"):
        load_config(path)


def test_stdio_server_needs_a_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="server 'slack'.*needs 'command'"):
        load_config(write(tmp_path, "servers:\n  slack:\n    args: [-m, x]\n"))


def test_no_servers_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="servers"):
        load_config(write(tmp_path, "servers: {}\n"))


def test_tool_cannot_be_both_read_and_mutating(tmp_path: Path) -> None:
    text = "servers:\n  g:\n    command: x\n    tools: {read: [a, b], mutating: [b]}\n"
    with pytest.raises(ConfigError, match="both read and mutating: b"):
        load_config(write(tmp_path, text))


def test_expansion_uses_variables_and_defaults() -> None:
    server = ServerConfig(
        command="${PYTHON}",
        args=["--url=${API:-http://default}", "${TOKEN}"],
        env={"T": "${TOKEN}"},
    )
    out = expand("g", server, {"PYTHON": "/bin/py", "TOKEN": "s3cret"})
    assert out.command == "/bin/py"
    assert out.args == ["--url=http://default", "s3cret"]
    assert out.env == {"T": "s3cret"}


def test_missing_variable_names_server_field_and_fix() -> None:
    server = ServerConfig(command="x", env={"GITHUB_TOKEN": "${GITHUB_TOKEN}"})
    with pytest.raises(ConfigError, match=r"server 'github', env.GITHUB_TOKEN: \$\{GITHUB_TOKEN\}"):
        expand("github", server, {})


@pytest.mark.integration
async def test_server_that_exits_is_named_with_its_stderr(tmp_path: Path) -> None:
    crash = "import sys; print('fatal: GITHUB_TOKEN rejected', file=sys.stderr); sys.exit(3)"
    config = load_config(
        write(
            tmp_path,
            f'servers:\n  github:\n    command: {sys.executable}\n    args: [-c, "{crash}"]\n',
        )
    )
    with pytest.raises(ServerStartError) as info:
        async with ToolHost(config, {}):
            pass
    message = str(info.value)
    assert "MCP server 'github' did not start" in message
    assert "fatal: GITHUB_TOKEN rejected" in message


@pytest.mark.integration
async def test_server_that_hangs_times_out(tmp_path: Path) -> None:
    text = (
        f"servers:\n  slow:\n    command: {sys.executable}\n"
        '    args: [-c, "import time; time.sleep(30)"]\n    startup_timeout_s: 1\n'
    )
    with pytest.raises(ServerStartError, match="'slow' did not start: no answer within 1 s"):
        async with ToolHost(load_config(write(tmp_path, text)), {}):
            pass


async def test_unknown_server_name_is_refused() -> None:
    config = load_config(ROOT / "mcp_servers.yaml")
    with pytest.raises(ServerStartError, match="no MCP server named jira"):
        ToolHost(config, {}, only=["jira"])


def test_a_server_whose_backend_is_not_configured_is_not_started() -> None:
    config = ServerConfig(command="python3", requires=["PROMETHEUS_URL"],
                          env={"PROMETHEUS_URL": "${PROMETHEUS_URL}"})  # fmt: skip
    assert not wanted(config, {})
    assert not wanted(config, {"PROMETHEUS_URL": ""})
    assert wanted(config, {"PROMETHEUS_URL": "http://127.0.0.1:9090"})
    assert wanted(ServerConfig(command="python3"), {})


def test_service_start_up_checks_only_the_servers_it_will_start(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from runtime.settings import Settings
    from service.server import check_tools

    path = write(tmp_path, "servers:\n"
                 "  prom:\n    command: x\n    requires: [PROMETHEUS_URL]\n"
                 "    env: {U: '${PROMETHEUS_URL}'}\n"
                 "  gh:\n    command: x\n    env: {T: '${GITHUB_TOKEN}'}\n")  # fmt: skip
    runtime: Any = SimpleNamespace(settings=Settings(mcp_servers_file=path),
                                   tool_env={"GITHUB_TOKEN": "t"})  # fmt: skip
    # no Prometheus configured: that server is not started, nor checked, and is named
    assert check_tools(runtime) == ["prom"]
    runtime.tool_env = {}
    with pytest.raises(ConfigError, match=r"server 'gh', env\.T: \$\{GITHUB_TOKEN\} is not set"):
        check_tools(runtime)


RENDEZVOUS = """
import os, pathlib, sys, time
from mcp.server.fastmcp import FastMCP
here, me, peer = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
(here / f"{me}.pid").write_text(str(os.getpid()))
deadline = time.monotonic() + 30
while peer and not (here / f"{peer}.pid").exists() and time.monotonic() < deadline:
    time.sleep(0.05)
server = FastMCP(me)
@server.tool()
def ping() -> str:
    return me
server.run()
"""


def rendezvous_config(tmp_path: Path, servers: dict[str, str], timeout_s: int = 20) -> Any:
    """Servers that each answer only once their peer's process is up (no peer: at once);
    the crash server exits at once."""
    script = tmp_path / "rendezvous.py"
    script.write_text(RENDEZVOUS)
    lines = ["servers:"]
    for name, peer in servers.items():
        args = ["-c", "raise SystemExit(4)"] if peer == "crash" else [str(script), str(tmp_path),
                                                                      name, peer]  # fmt: skip
        lines += [f"  {name}:", f"    command: {sys.executable}", f"    args: {args!r}",
                  f"    startup_timeout_s: {timeout_s}"]  # fmt: skip
    return load_config(write(tmp_path, "\n".join(lines) + "\n"))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.integration
async def test_servers_start_together(tmp_path: Path) -> None:
    """Each of the two answers only once the other runs: started one after the other, the
    first would wait for a server not yet launched and time out."""
    config = rendezvous_config(tmp_path, {"first": "second", "second": "first"})
    async with ToolHost(config, {}) as host:
        assert [t.qualified for t in host.tools] == ["first.ping", "second.ping"]
        assert (await host.call("second.ping", {})).text == "second"
        pids = [int((tmp_path / f"{n}.pid").read_text()) for n in ("first", "second")]
    assert not any(alive(pid) for pid in pids), "both stopped on exit"


@pytest.mark.integration
async def test_a_failed_start_stops_the_servers_that_did_start(tmp_path: Path) -> None:
    config = rendezvous_config(tmp_path, {"good": "", "broken": "crash"})
    with pytest.raises(ServerStartError, match="'broken' did not start"):
        async with ToolHost(config, {}):
            pass
    pid = int((tmp_path / "good.pid").read_text())
    assert not alive(pid), "the server that started was stopped"
