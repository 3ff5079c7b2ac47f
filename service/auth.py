"""Who may talk to the service: webhook senders, API callers, Slack.

- Webhooks: `Authorization: Bearer <service_token>`, or an HMAC-SHA256 signature of the
  body with `service_hmac_secret`, in Grafana's `X-Grafana-Alerting-Signature` (hex) or
  `X-Signature-256: sha256=<hex>`. With a timestamp header (`X-Signature-Timestamp`, or
  Grafana's `X-Grafana-Alerting-Signature-Timestamp`) the signed text is
  `<timestamp>:<body>` and the timestamp must be within 5 minutes.
- The incident API: the bearer token only.
- Slack: its signing secret and timestamp (slack_sdk's `SignatureVerifier`), and each
  signature is accepted once (a replay within the 5 minutes is refused too).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping

from slack_sdk.signature import Clock, SignatureVerifier

SKEW_S = 300
SIGNATURE_HEADERS = ("x-grafana-alerting-signature", "x-signature-256")
TIMESTAMP_HEADERS = ("x-signature-timestamp", "x-grafana-alerting-signature-timestamp")
HOW = "send `Authorization: Bearer <token>` or an HMAC signature (see docs/service.md)"


class Credentials:
    """The configured secrets; `webhook` and `api` return None when allowed, else why not."""

    def __init__(
        self, token: str | None, hmac_secret: str | None, clock: Callable[[], float] = time.time
    ) -> None:
        self._token = token.encode() if token else None
        self._secret = hmac_secret.encode() if hmac_secret else None
        self._clock = clock

    def webhook(self, headers: Mapping[str, str], body: bytes) -> str | None:
        bearer = self._bearer(headers)
        if bearer is True:
            return None
        signature = next((headers[h] for h in SIGNATURE_HEADERS if h in headers), None)
        if signature is not None:
            return self._signed(signature, headers, body)
        if bearer is False:
            return "wrong bearer token"
        return f"no credentials: {HOW}"

    def api(self, headers: Mapping[str, str]) -> str | None:
        if self._token is None:
            return "the incident API needs INCIDENT_GRAPH_SERVICE_TOKEN to be set"
        bearer = self._bearer(headers)
        if bearer is True:
            return None
        return "wrong bearer token" if bearer is False else "send `Authorization: Bearer <token>`"

    def _bearer(self, headers: Mapping[str, str]) -> bool | None:
        """True: the right token; False: a wrong one; None: none given (or none configured)."""
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given or self._token is None:
            return None
        return hmac.compare_digest(given.strip().encode(), self._token)

    def _signed(self, signature: str, headers: Mapping[str, str], body: bytes) -> str | None:
        if self._secret is None:
            return "signed webhooks are not configured (INCIDENT_GRAPH_SERVICE_HMAC_SECRET)"
        stamp = next((headers[h] for h in TIMESTAMP_HEADERS if h in headers), None)
        signed = body
        if stamp is not None:
            if not stamp.isdigit() or abs(self._clock() - int(stamp)) > SKEW_S:
                return f"signature timestamp {stamp[:20]!r} is not within {SKEW_S} s of now"
            signed = stamp.encode() + b":" + body
        expected = hmac.new(self._secret, signed, hashlib.sha256).hexdigest()
        given = signature.strip().removeprefix("sha256=").lower()
        return None if hmac.compare_digest(given.encode(), expected.encode()) else "bad signature"


class SlackVerifier:
    """Slack's request signature, its timestamp, and no signature accepted twice."""

    def __init__(self, signing_secret: str, clock: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_SlackClock(clock))
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, headers: Mapping[str, str], body: bytes) -> str | None:
        stamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not stamp or not signature:
            return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
        if not stamp.isdigit() or not self._verifier.is_valid(body, stamp, signature):
            return "invalid Slack signature or timestamp older than 5 minutes"
        now = self._clock()
        with self._lock:
            self._seen = {s: t for s, t in self._seen.items() if t > now}
            if signature in self._seen:
                return "replayed Slack request"
            self._seen[signature] = now + 2 * SKEW_S
        return None


class _SlackClock(Clock):
    """slack_sdk's verifier asks its clock for `now()`: ours, so tests can move time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock()
