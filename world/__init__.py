"""The replay world: the scenario contract, its loader, and the loopback stand-ins.

Dashboards, a GitHub REST/GraphQL stand-in and a Slack Web API stand-in, on 127.0.0.1.
"""
