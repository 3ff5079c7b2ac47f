"""Known phrasings of planted instructions, found in text by deterministic code.

A hit makes the quarantined reader's answer "yes" whatever the small model said: code may
only make the gate stricter, and small models miss plain injections often.
"""

from __future__ import annotations

import re

# Phrasings of planted instructions (from agentdojo's attack templates and common jailbreaks).
# A hit makes the reader's answer "yes" whatever the small model said: code may only make
# the gate stricter, and small models miss plain injections often.
MARKERS: dict[str, re.Pattern[str]] = {
    "ignore-instructions": re.compile(
        r"\b(ignore|disregard|forget)\b.{0,30}\b(previous|prior|above|all)\b.{0,20}"
        r"\b(instructions|rules|prompts?)\b", re.I | re.S),
    "information-block": re.compile(r"</?INFORMATION>", re.I),
    "message-to-the-ai": re.compile(
        r"\b(message|note|instructions?)\b.{0,40}\bto you,? the (ai|assistant|model|agent|bot)\b"
        r"|\b(ai|llm) (agents?|assistants?|models?|reviewers?)\s*[:,]", re.I | re.S),
    "before-the-task": re.compile(r"before you (can )?(solve|do|complete|continue)", re.I),
    "pre-approved": re.compile(
        r"\b(pre-?approved|already approved|approve (it|this) yourself|approved:\s*true)\b",
        re.I),
    "system-prompt": re.compile(r"(^|\n)\s*(system|assistant)\s*:", re.I),
    "urgent-override": re.compile(r"IMPORTANT!{2,}|\bnew instructions?\b|\byou are now\b", re.I),
}  # fmt: skip


def markers(text: str) -> list[str]:
    """The names of the planted-instruction phrasings found in `text`."""
    return [name for name, pattern in MARKERS.items() if pattern.search(text)]
