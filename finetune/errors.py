"""The one error type of the fine-tuning steps: the CLI prints it (what, where, what to do)."""

from __future__ import annotations


class FinetuneError(Exception):
    """Bad input or state for a fine-tuning step; the message says what to do."""
