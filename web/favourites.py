"""Favourites: the Parties a user calls often, pinned on top of their board (works without JS)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from directory import service as directory
from directory.models import Party, User
from web import bp
from web.models import Favourite
from web.session import current_user


def favourite_iso2s(user: User | None) -> set[str]:
    """The ISO codes of the Parties `user` pinned (none for nobody)."""
    if user is None:
        return set()
    query = (
        sa.select(Party.iso2)
        .join(Favourite, Favourite.party_id == Party.id)
        .where(Favourite.user_id == user.id)
    )
    return set(db.session.scalars(query))


def set_favourite(user: User, party_id: int, pinned: bool, at: datetime) -> None:
    """Pin or unpin one Party for one user; doing it twice changes nothing (at is UTC)."""
    existing = db.session.get(Favourite, (user.id, party_id))
    if pinned and existing is None:
        db.session.add(Favourite(user_id=user.id, party_id=party_id, created_at=at))
    elif not pinned and existing is not None:
        db.session.delete(existing)
    db.session.flush()


@bp.post("/favourites/<iso2>")
def toggle_favourite(iso2: str) -> Response:
    """Pin (`pin=1`) or unpin (`pin=0`) a Party, then back to the board with its filters."""
    party = directory.get_party(iso2)
    set_favourite(current_user(), party.id, request.form.get("pin") == "1", now())
    db.session.commit()
    args = {k: v for k in ("q", "speaks") if (v := (request.form.get(k) or "").strip())}
    if request.headers.get("X-Fragment"):
        return Response(status=204)
    return redirect(url_for("web.board", _anchor=f"row-{party.iso2}", **args))  # type: ignore[arg-type]
