"""Who may do what: plain predicates over a user, raising 403 problems for the API."""

from __future__ import annotations

from common.errors import Problem
from directory.models import User


def can_edit_party(user: User, party_id: int) -> bool:
    """The secretariat edits every Party; a party_admin only its own."""
    return user.role == "secretariat" or (user.role == "party_admin" and user.party_id == party_id)


def require_party_editor(user: User, party_id: int) -> None:
    if not can_edit_party(user, party_id):
        raise Problem(403, "you may change only your own Party's entries")


def require_secretariat(user: User) -> None:
    if user.role != "secretariat":
        raise Problem(403, "only the network secretariat may do this")


def audit_party_scope(user: User, asked_party_id: int | None) -> int | None:
    """Whose audit entries a user may read: all (None) for the secretariat, else their Party's."""
    if user.role == "secretariat":
        return asked_party_id
    if user.role == "party_admin" and user.party_id is not None:
        if asked_party_id not in (None, user.party_id):
            raise Problem(403, "you may read only your own Party's audit entries")
        return user.party_id
    raise Problem(403, "only the secretariat and Party administrators may read the audit")
