"""`graph serve`: the webhook service that turns alerts into incidents and runs the graph.

    POST /alerts/{source} ─► auth ─► parse (agents.ingest) ─► inbox (one durable insert) ─► 202
                                                                 │
    workers (own thread and event loop) ◄── claim ───────────────┘
       └─ the incident graph (engine: deps, drive) ─► checkpoints, timeline, Slack thread

What lives where: the acknowledgement path (`intake`), authentication (`auth`), grouping
and deduplication (`incidents`), the durable inbox on SQLite or PostgreSQL (`db`,
`writer`, `inbox`, `jobs`, `queries`), the workers (`workers`, `runner`, `summary`), the
Slack thread and its buttons (`slack_ui`, `outbox`, `approvals`), metrics (`metrics`),
the HTTP app and its OpenAPI shapes (`app`, `api`), the catalog file (`catalog`) and
start-up (`server`). docs/service.md is the user's guide.
"""
