"""The product's own vocabulary, shared by every layer above it and importing none of them.

- `state`: the incident's state (`IncidentState`) and its frozen records.
- `catalog`: the service catalog's entry (`Service`).
- `actions`: the typed actions, their argument types, the MCP tool that carries each out,
  and the idempotency key of a proposed action.
- `context`: per-run choices (`Context`), plain values only.
- `ports`: what a node may use during a run (`Deps`: models, tools, the gate, the catalog,
  the clock), as protocols the runtime and the gate implement.
- `tools`: a tool call's typed result and the replies the pipeline reads.
- `structured`: typed model answers and their errors.
- `prompting`: rendering prompt templates; quoting untrusted text.
- `windows`: how far back a change counts as part of an incident.
"""
