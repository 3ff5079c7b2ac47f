"""Security guardian: every proposed mutation through the dual-LLM policy gate (policies/)."""
