"""OpenTelemetry traces (GenAI conventions), the per-node meter (`meter.metered`), token and
cost counters, and structured logs stamped with the trace id."""
