"""Secrets out of training data: tokens, keys and passwords become `[REDACTED:<kind>]`.

Incidents carry whatever people pasted: tokens in PR bodies, credentials in URLs, keys in
logs. A fine-tuned model can repeat what it was trained on, so every message of every
example goes through `redact` before it is written. The patterns are the well-known token
formats plus `name = value` assignments of secret-looking names; redaction is counted per
kind so the dataset statistics show what was removed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private-key",
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    ),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("api-key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("bearer-token", re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/-]{16,}=*")),
    ("url-credentials", re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)")),
)
# `password = hunter2`, `api_key: "..."`: the name stays, the value goes
_ASSIGNMENT = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|client_secret|api[_-]?key|access[_-]?key|"
    r"auth[_-]?token|token)\b(\s*[:=]\s*)([\"']?)([^\s\"',;]{8,})"
)


def redact(text: str, counts: Counter[str] | None = None) -> str:
    """`text` with every secret replaced; `counts` (if given) gains one per replacement."""
    for kind, pattern in _PATTERNS:
        text = pattern.sub(_replacer(kind, counts), text)
    return _ASSIGNMENT.sub(_assignment(counts), text)


def _replacer(kind: str, counts: Counter[str] | None) -> Callable[[re.Match[str]], str]:
    def replace(_match: re.Match[str]) -> str:
        if counts is not None:
            counts[kind] += 1
        return f"[REDACTED:{kind}]"

    return replace


def _assignment(counts: Counter[str] | None) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        name, sep, quote, value = match.groups()
        if value.startswith("[REDACTED"):
            return match.group(0)
        if counts is not None:
            counts["secret-assignment"] += 1
        return f"{name}{sep}{quote}[REDACTED:secret]"

    return replace
