"""The Slack outbox: timeline events become the incident's Slack thread, after the fact.

Runs beside the workers. Once triage has named the owning channel, the incident's root
message is posted (Block Kit, `service.slack_ui`) and every event since becomes a
reply in its thread; events that change what the root shows (a stage, an approval asked
or answered, completion, resolution) also update it. Posting goes through the Slack MCP
server of `mcp_servers.yaml`, in a session of its own. Events are marked posted only once
Slack took them, so a restart posts what was left; a post that keeps failing is dropped
after `TRIES` with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from mcphost.threaded import ThreadedToolHost
from observability.logs import log
from service import slack_ui
from service.inbox import Inbox
from service.metrics import Metrics
from service.queries import Queries

TRIES = 3
POLL_S = 1.0


class Outbox:
    def __init__(
        self,
        inbox: Inbox,
        tools: ThreadedToolHost,
        metrics: Metrics,
        links: frozenset[str] = frozenset(),
    ) -> None:
        self._links = links  # hosts a message may link to (the policy's `links`)
        self._inbox = inbox
        self._queries = Queries(inbox)
        self._tools = tools
        self._metrics = metrics
        self._failures: dict[str, int] = defaultdict(int)
        self._wake: asyncio.Event | None = None

    def nudge(self) -> None:
        """Called on the outbox's own loop (the workers'): post soon."""
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            await self.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_S)

    async def drain(self) -> None:
        backlog = await asyncio.to_thread(self._queries.unposted)
        by_incident: dict[str, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
        for seq, incident_id, kind, detail in backlog:
            by_incident[incident_id].append((seq, kind, detail))
        for incident_id, events in by_incident.items():
            try:
                await self._post(incident_id, events)
            except Exception as exc:  # Slack down or refusing: counted, retried, then dropped
                self._failed(incident_id, [seq for seq, _, _ in events], exc)

    async def _post(
        self, incident_id: str, events: Sequence[tuple[int, str, dict[str, Any]]]
    ) -> None:
        incident = await asyncio.to_thread(self._queries.for_slack, incident_id)
        if incident is None:
            return
        channel, ts = incident["channel"], incident["slack_ts"]
        text, blocks = slack_ui.message(incident, self._links)
        if ts is None:
            posted = await self._call(
                "slack.post_message", {"channel": channel, "text": text, "blocks": blocks}
            )
            ts = str(posted["ts"])
            await self._inbox.writer.run(
                lambda conn: conn.execute(
                    self._inbox.sql("UPDATE ig_incidents SET slack_ts = ? WHERE id = ?"),
                    (ts, incident_id),
                )
            )
        elif any(kind in slack_ui.UPDATES_ROOT for _, kind, _ in events):
            await self._call(
                "slack.update_message",
                {"channel": channel, "ts": ts, "text": text, "blocks": blocks},
            )
        for seq, kind, detail in events:
            line = slack_ui.reply(kind, detail, self._links)
            if line is not None:
                await self._call(
                    "slack.post_message", {"channel": channel, "text": line, "thread_ts": ts}
                )
            await self._mark([seq])
        self._failures.pop(incident_id, None)

    async def _call(self, tool: str, args: Mapping[str, Any]) -> dict[str, Any]:
        result = await self._tools.call(tool, args)
        if result.status != "success":
            self._metrics.slack.labels("error").inc()
            raise RuntimeError(f"{tool} failed: {result.text[:300]}")
        self._metrics.slack.labels("ok").inc()
        return dict(result.data or {})

    async def _mark(self, seqs: list[int]) -> None:
        def write(conn: Any) -> None:
            for seq in seqs:
                conn.execute(
                    self._inbox.sql("UPDATE ig_events SET posted = 1 WHERE seq = ?"), (seq,)
                )

        await self._inbox.writer.run(write)

    def _failed(self, incident_id: str, seqs: list[int], exc: Exception) -> None:
        self._failures[incident_id] += 1
        tries = self._failures[incident_id]
        log().warning(
            "slack thread update failed",
            incident_id=incident_id,
            tries=tries,
            error=f"{type(exc).__name__}: {exc}",
        )
        if tries >= TRIES:
            self._failures.pop(incident_id, None)
            log().warning("slack thread updates dropped", incident_id=incident_id, events=seqs)
            self._inbox.writer.submit(
                lambda conn: [
                    conn.execute(
                        self._inbox.sql("UPDATE ig_events SET posted = 2 WHERE seq = ?"), (s,)
                    )
                    for s in seqs
                ]
            )
