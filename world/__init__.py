"""The replay world: the scenario contract (`scenario`, `signals_spec`), its loader with
file:line errors (`loader`), and the loopback stand-ins (dashboards, a GitHub REST/GraphQL
stand-in, a Slack Web API stand-in). Used by replays, evaluation, fine-tuning data and tests
only; the product never imports it.
"""
