"""What the pages remember per user: the Parties pinned on top of their board."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime, db


class Favourite(db.Model):
    """A Party a user calls often ("my usual Parties"), shown first on their board."""

    __tablename__ = "web_favourite"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[int] = mapped_column(
        sa.ForeignKey("party.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Favourite user {self.user_id} party {self.party_id}>"
