"""`start()` / `stop()` / `url` for a stand-in that serves its own Starlette `app`.

The log API and the Kubernetes API stand-ins run on their own loopback port this way; the
world may instead serve their `app` with its other stand-ins in one `LoopbackServers`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from starlette.applications import Starlette

from world.http import LoopbackServers


class ServedApp:
    """A stand-in whose `app` is served on 127.0.0.1:`port` (0: a free one) once started."""

    app: Starlette
    label = "the stand-in"

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._servers: LoopbackServers | None = None

    @property
    def url(self) -> str:
        """The base URL, no trailing slash."""
        if self._servers is None:
            raise RuntimeError(f"{self.label} is not started")
        return self._servers.urls[0]

    def start(self) -> Self:
        self._servers = LoopbackServers([self.app], [self._port]).start()
        return self

    def stop(self) -> None:
        if self._servers is not None:
            self._servers.stop()
            self._servers = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
