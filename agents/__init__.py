"""The pipeline's agents, one package per node: ingest, triage, root_cause, guardian,
approval, execute, notify. Each has a short `node.py` (`node(state, deps, runtime)`), pure
`logic.py` and its prompt template. Agents never import each other: what several need lives
in `agents.shared`. They use the run through `core.ports.Deps` only."""
