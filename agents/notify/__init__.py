"""Notify: one Slack message (Block Kit and a text fallback) to the owning team's channel."""
