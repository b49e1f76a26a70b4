"""Row-level scope: which records a caller may see and act on, whatever the route.

- ``auditor``, ``finance`` and ``admin`` see every record their routes reach.
- A ``manager`` sees the records of the teams named in the token's ``teams`` claim, their
  own, and those not routed to any team yet (the pool managers triage).
- A ``rep`` sees the records they own, and the unassigned ones waiting in a team they
  belong to (the token's ``teams``).

A record out of scope is answered as if it did not exist (404), so its existence does not
leak. Pure: the HTTP edge builds the scope from the verified token (``kernel.access``).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from kernel.errors import NotFound

SEES_EVERYTHING = frozenset({"auditor", "finance", "admin", "migration"})


@dataclass(frozen=True)
class Scope:
    everything: bool
    subject: str = ""
    managed_teams: frozenset[str] = frozenset()
    member_teams: frozenset[str] = frozenset()
    manager: bool = False

    def allows(self, owner: str | None, team: str | None = None) -> bool:
        if self.everything:
            return True
        if owner and owner == self.subject:
            return True
        if team and team in self.managed_teams:
            return True
        if not owner and not team:
            return self.manager  # not routed yet: the managers' pool
        return not owner and bool(team) and team in self.member_teams

    def require(self, owner: str | None, team: str | None, what: str) -> None:
        """``NotFound`` for a record out of scope, worded as for a missing one."""
        if not self.allows(owner, team):
            raise NotFound(f"{what} not found")


EVERYTHING = Scope(everything=True)


def scope_of(subject: str, roles: frozenset[str], teams: tuple[str, ...]) -> Scope:
    if roles & SEES_EVERYTHING or "integration" in roles:
        return EVERYTHING
    team_set = frozenset(teams)
    return Scope(
        everything=False,
        subject=subject,
        managed_teams=team_set if "manager" in roles else frozenset(),
        member_teams=team_set,
        manager="manager" in roles,
    )


# Internal callers (policies, clocks, tests of the application layer) act in full scope;
# the HTTP edge narrows it per request.
_scope: ContextVar[Scope] = ContextVar("l2c_scope", default=EVERYTHING)


def current_scope() -> Scope:
    return _scope.get()


def narrow_to(scope: Scope) -> None:
    """Set the scope of the current request (its context ends with the request)."""
    _scope.set(scope)


class OutOfScope(Exception):
    """A read-model question about records the caller may not see (HTTP 403)."""


def narrow_filters(params: dict[str, str], scope: Scope) -> dict[str, str]:
    """A read-model question (its ``team``/``rep`` filters) narrowed to the caller's scope:
    a rep's answers cover their own records; a manager's one of their teams (named with
    ``team`` when they have several). Asking outside the scope is refused, not emptied."""
    if scope.everything:
        return params
    if not scope.managed_teams:
        if params.get("rep") not in (None, "", scope.subject):
            raise OutOfScope("a rep's read models cover their own records only")
        return {**params, "rep": scope.subject}
    team = params.get("team")
    if team:
        if team not in scope.managed_teams:
            raise OutOfScope(f"team {team!r} is not one of the caller's teams")
        return params
    if len(scope.managed_teams) == 1:
        return {**params, "team": next(iter(scope.managed_teams))}
    raise OutOfScope(
        f"name one of your teams with ?team= ({', '.join(sorted(scope.managed_teams))})"
    )
