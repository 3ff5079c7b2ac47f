"""The MCP tool layer: `mcp_servers.yaml` (`config`), one session per server per run with
typed results (`host`, `core.tools.ToolResult`), and a thread that holds the sessions for
callers on any event loop (`threaded`). Which tools mutate is declared in the file."""
