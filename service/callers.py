"""Who is calling the incident API: the service token (an integration, trusted to name the
person it answers for) or a person's own token from the roles file (docs/roles.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from policies.roles import Person, Roles
from service.auth import Credentials


@dataclass(frozen=True)
class Caller:
    person: Person | None  # None: the service token


class Refusal(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def api_caller(credentials: Credentials, roles: Roles, headers: Mapping[str, str]) -> Caller:
    """The caller, or Refusal(401) naming what is wrong with the credentials."""
    why = credentials.api(headers)
    if why is None:
        return Caller(None)
    scheme, _, given = headers.get("authorization", "").partition(" ")
    person = roles.by_token(given.strip()) if scheme.lower() == "bearer" and given else None
    if person is None:
        wrong = "wrong bearer token: neither the service token nor a person's token (roles)"
        raise Refusal(401, wrong if given else why)
    return Caller(person)


def viewer(caller: Caller, roles: Roles) -> None:
    """Refusal(403) unless the caller may see incidents."""
    if caller.person is not None and not roles.may_view(caller.person):
        raise Refusal(403, f"{caller.person.name} may not view incidents (roles: "
                      f"{roles.source})")  # fmt: skip


def answering(caller: Caller, roles: Roles, named: str | None) -> tuple[Person | None, str]:
    """Who answers an approval through the API: the token's person (the body may repeat
    the name, not change it), or for the service token the person the body names."""
    if caller.person is not None:
        if named and named != caller.person.name:
            raise Refusal(403, f"this token is {caller.person.name}'s; it cannot answer as "
                          f"{named!r}")  # fmt: skip
        return caller.person, caller.person.name
    if not named:
        raise Refusal(422, "with the service token, name the person who answers in "
                      "`approver` (or send their own token from the roles file)")  # fmt: skip
    return roles.by_name(named), named
