"""Triage: severity from rules over the alert and the service catalog (the model advises),
category, owning service and channel."""
