"""Graph wiring, state, settings and the `graph` command line."""
