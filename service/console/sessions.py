"""Console sessions: a signed cookie naming who logged in, and the CSRF token of its forms.

The cookie is `<payload>.<HMAC-SHA256>` with a key made when the service starts (a restart
logs everyone out); it is HttpOnly and SameSite=Strict. Each session's CSRF token is an
HMAC of the cookie, so a form from another site cannot carry it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "ig_session"
TTL_S = 8 * 3600


@dataclass(frozen=True)
class Session:
    user: str | None  # a person in the roles; None: the service token without a name
    kind: str  # "service" | "person"
    expires: float
    cookie: str

    @property
    def shown(self) -> str:
        return self.user or "service token"


class Sessions:
    def __init__(self, key: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._key = key or secrets.token_bytes(32)
        self._clock = clock

    def issue(self, user: str | None, kind: str) -> str:
        body = json.dumps({"u": user, "k": kind, "e": self._clock() + TTL_S,
                           "n": secrets.token_hex(8)}).encode()  # fmt: skip
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}"

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie holds; None when it is missing, forged or expired."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict) or float(data.get("e", 0)) < self._clock():
            return None
        return Session(data.get("u"), str(data.get("k")), float(data["e"]), cookie)

    def csrf(self, session: Session) -> str:
        return self._sign("csrf:" + session.cookie)

    def csrf_ok(self, session: Session, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.csrf(session))

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()
