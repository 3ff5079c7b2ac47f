"""OpenTelemetry traces, token and cost counters, and structured logs for every node."""
