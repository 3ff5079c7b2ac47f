"""The incident graph only: its wiring (`graph`), the routing between nodes (`routing`) and
its checkpointers (`checkpoints`). The state it carries lives in `core.state`."""
