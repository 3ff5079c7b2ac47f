"""Approval: a human answers each `needs_approval` verdict through LangGraph's `interrupt()`."""
