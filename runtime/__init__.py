"""The runtime the nodes run on: settings, model providers and structured calls
(`models`, `llm.ModelPool`), and the MCP tool session of a run (`toolset`, `tools`).

It implements `core.ports.Models` and `core.ports.Tools`; it knows nothing of the graph,
the agents or the gate.
"""
