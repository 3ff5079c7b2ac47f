"""The run engine that replays and the service share: a run's dependencies built by an
explicit factory that fails loudly at start-up (`deps`), the options of a run (`options`),
and the loop that drives the graph through interrupts (`drive`).
"""
