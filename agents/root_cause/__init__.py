"""Root cause: gather evidence through MCP read tools, rank candidate changes
deterministically, let the large model explain and choose, propose typed actions."""
