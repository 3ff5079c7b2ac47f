"""The guardian node: a thin caller of the gate in `policies` (its decisions only)."""
