"""Test hosts on one machine: network namespaces joined to the host by veth pairs.

Each `Host` is a namespace with its own loopback and an address 10.231.N.2 whose gateway is
the host's end, 10.231.N.1. Services on the host listen on 127.0.0.1 only, so a forwarder
on the host's end (10.231.N.1:port → 127.0.0.1:port) and one inside the namespace (its
127.0.0.1:port → 10.231.N.1:port, for URLs that name the loopback) carry the traffic across
the virtual network. Everything made is removed again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT

FORWARD = ROOT / "tests" / "fixtures" / "tcp_forward.py"


def why_not() -> str | None:
    """None when this process can make network namespaces and veth pairs, else why not."""
    name = f"igprobe{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot make a network namespace (`ip netns add`): {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def _ip(*args: str, ns: str | None = None) -> None:
    command = ["ip", "netns", "exec", ns, "ip", *args] if ns else ["ip", *args]
    subprocess.run(command, check=True, capture_output=True)


@dataclass
class Host:
    name: str
    index: int
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return f"10.231.{self.index}.1"

    @property
    def address(self) -> str:
        return f"10.231.{self.index}.2"

    def command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def spawn(self, argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                self.command(*argv), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True,
            )  # fmt: skip
        self.procs.append(proc)
        return proc


def _forwarder(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 20
    while "forwarding" not in log.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return proc


@contextlib.contextmanager
def hosts(count: int, ports: list[int], logs: Path) -> Iterator[list[Host]]:
    """`count` namespaces, each reaching the host's loopback `ports` across its veth."""
    made: list[Host] = []
    forwarders: list[subprocess.Popen[bytes]] = []
    tag = uuid.uuid4().hex[:4]
    try:
        for n in range(count):
            host = Host(f"ig{tag}w{n}", 200 + n)
            made.append(host)
            outside, inside = f"ig{tag}h{n}", f"ig{tag}n{n}"
            _ip("netns", "add", host.name)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", host.name)
            _ip("addr", "add", f"{host.gateway}/24", "dev", outside)
            _ip("link", "set", outside, "up")
            _ip("addr", "add", f"{host.address}/24", "dev", inside, ns=host.name)
            _ip("link", "set", inside, "up", ns=host.name)
            _ip("link", "set", "lo", "up", ns=host.name)
            _ip("route", "add", "default", "via", host.gateway, ns=host.name)
            out_rules = [f"{host.gateway}:{p}=127.0.0.1:{p}" for p in ports]
            forwarders.append(_forwarder([sys.executable, str(FORWARD), *out_rules],
                                         logs / f"forward-{n}-host.log"))  # fmt: skip
            in_rules = [f"127.0.0.1:{p}={host.gateway}:{p}" for p in ports]
            forwarders.append(_forwarder(host.command(sys.executable, str(FORWARD), *in_rules),
                                         logs / f"forward-{n}-ns.log"))  # fmt: skip
        yield made
    finally:
        for proc in [*forwarders, *(p for h in made for p in h.procs)]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        for host in made:
            subprocess.run(["ip", "netns", "del", host.name], capture_output=True)
