"""The MCP tool layer: `mcp_servers.yaml`, one session per server per run, mutating flags."""
