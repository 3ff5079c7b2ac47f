"""Ingest: turn a webhook body (Alertmanager, Grafana, generic) into one typed `Alert`."""
