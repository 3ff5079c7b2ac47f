"""The project's own stdio MCP servers (GitHub on PyGithub, Slack on slack_sdk)."""
