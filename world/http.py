"""Serve ASGI apps on 127.0.0.1 from a background thread (the world's stand-ins, test servers)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

LOOPBACK = "127.0.0.1"


class LoopbackServers:
    """Run several ASGI apps on free loopback ports; use as a context manager.

    `urls[i]` is the base URL (no trailing slash) of `apps[i]` once started.
    """

    def __init__(self, apps: Sequence[ASGIApp], ports: Sequence[int] | None = None) -> None:
        self._apps = list(apps)
        self._ports = list(ports) if ports else [0] * len(self._apps)
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.urls: list[str] = []

    def start(self, timeout: float = 10.0) -> LoopbackServers:
        sockets = [_bind(port) for port in self._ports]
        self.urls = [f"http://{LOOPBACK}:{s.getsockname()[1]}" for s in sockets]
        self._servers = [
            uvicorn.Server(
                uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
            )
            for app in self._apps
        ]
        self._thread = threading.Thread(
            target=self._run, args=(sockets,), name="loopback-servers", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not all(s.started for s in self._servers):
            if self._error or not self._thread.is_alive():
                raise RuntimeError(f"loopback servers failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"loopback servers did not start within {timeout} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self, sockets: list[socket.socket]) -> None:
        async def serve_all() -> None:
            await asyncio.gather(
                *(
                    srv.serve(sockets=[sock])
                    for srv, sock in zip(self._servers, sockets, strict=True)
                )
            )

        try:
            asyncio.run(serve_all())
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._error = exc
        finally:
            for sock in sockets:
                sock.close()

    def __enter__(self) -> LoopbackServers:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    return sock
