"""The pipeline's agents, one package each (node, prompt template, pure logic).

Triage, root cause, the security guardian and notify land here with the incident graph.
"""
