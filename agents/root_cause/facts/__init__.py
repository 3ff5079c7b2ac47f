"""Typed evidence, extracted deterministically and generally (no names from any incident):
what the pages show (`pages`: time series and the onset, deploy markers, errors and stack
frames, log lines, configuration values, dependencies, status notices) and what each change
does (`changes`: its kind, the settings it changes before → after, dependency versions,
DDL). Correlation and the decision read these, never raw text."""
