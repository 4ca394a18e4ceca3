"""Rota tables: rotas (one per tier of a Party), their rotations, member changes and overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from common.db import UTCDateTime, db


class RotaRecord(db.Model):
    """One duty line of a Party with its escalation tier (1 = call first)."""

    __tablename__ = "rota"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    tier: Mapped[int]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Optimistic concurrency for the rota and its rotations (one ETag covers both): every
    #: UPDATE says `WHERE version = <the one read>` (issue 12).
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    rotations: Mapped[list[RotationRecord]] = relationship(
        back_populates="rota", order_by="RotationRecord.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("party_id", "tier"),
        sa.CheckConstraint("tier >= 1 AND tier <= 9", name="tier"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Rota {self.id} {self.name!r} tier {self.tier}>"


class RotationRecord(db.Model):
    """A layer of a rota: members in turn, handing off at a local wall-clock time."""

    __tablename__ = "rotation"

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rota.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str | None] = mapped_column(sa.String(120))
    start_local: Mapped[datetime] = mapped_column(sa.DateTime(timezone=False))
    shift_length: Mapped[str] = mapped_column(sa.String(32))
    members: Mapped[list[int]] = mapped_column(sa.JSON)
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    rota: Mapped[RotaRecord] = relationship(back_populates="rotations")
    member_changes: Mapped[list[MemberChangeRecord]] = relationship(
        back_populates="rotation",
        order_by="MemberChangeRecord.effective_at",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Rotation {self.id} of rota {self.rota_id} {self.shift_length}>"


class MemberChangeRecord(db.Model):
    """From `effective_at` on, the rotation's members are these (past shifts keep theirs)."""

    __tablename__ = "rotation_member_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rotation.id", ondelete="CASCADE"), index=True
    )
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    members: Mapped[list[int]] = mapped_column(sa.JSON)

    rotation: Mapped[RotationRecord] = relationship(back_populates="member_changes")

    def __repr__(self) -> str:
        return f"<MemberChange rotation {self.rotation_id} at {self.effective_at}>"


class OverrideRecord(db.Model):
    """Person X covers the rota from start to end, whatever the rotations say."""

    __tablename__ = "override"

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rota.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_override_rota_start", "rota_id", "start_at"),
        sa.Index("ix_override_rota_end", "rota_id", "end_at"),
        sa.CheckConstraint("end_at > start_at", name="positive"),
    )

    def __repr__(self) -> str:
        return f"<Override {self.id} person {self.person_id} {self.start_at}–{self.end_at}>"


#: Two overrides of one rota never overlap: held by the database, not by a check in Python.
#: PostgreSQL: an exclusion constraint over half-open ranges (btree_gist for `rota_id WITH =`).
#: SQLite: triggers refusing the INSERT or UPDATE. The migration creates the same objects;
#: these listeners give them to a schema made with `create_all` too.
OVERRIDE_NO_OVERLAP = "ex_override_no_overlap"

PG_OVERRIDE_NO_OVERLAP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"ALTER TABLE override ADD CONSTRAINT {OVERRIDE_NO_OVERLAP} EXCLUDE USING gist "
    "(rota_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)",
]

_SQLITE_CLASH = (
    "SELECT 1 FROM override AS o WHERE o.rota_id = NEW.rota_id "
    "AND o.start_at < NEW.end_at AND o.end_at > NEW.start_at"
)
SQLITE_OVERRIDE_NO_OVERLAP = [
    "CREATE TRIGGER tr_override_no_overlap_insert BEFORE INSERT ON override "
    f"WHEN EXISTS ({_SQLITE_CLASH}) "
    f"BEGIN SELECT RAISE(ABORT, '{OVERRIDE_NO_OVERLAP}'); END",
    "CREATE TRIGGER tr_override_no_overlap_update "
    "BEFORE UPDATE OF rota_id, start_at, end_at ON override "
    f"WHEN EXISTS ({_SQLITE_CLASH} AND o.id <> NEW.id) "
    f"BEGIN SELECT RAISE(ABORT, '{OVERRIDE_NO_OVERLAP}'); END",
]

for _statement in PG_OVERRIDE_NO_OVERLAP:
    sa.event.listen(
        OverrideRecord.__table__,
        "after_create",
        sa.DDL(_statement).execute_if(dialect="postgresql"),
    )
for _statement in SQLITE_OVERRIDE_NO_OVERLAP:
    sa.event.listen(
        OverrideRecord.__table__,
        "after_create",
        sa.DDL(_statement).execute_if(dialect="sqlite"),
    )


#: Longest problem text kept (checked_rota_spec names at most three problems).
PROBLEM_MAX = 1000


class RotaProblemRecord(db.Model):
    """A rota whose stored data the resolution core refuses, as any process met it (rota.integrity).

    Shared by every worker and instance, so /readyz says the same wherever it is answered; the
    row goes when the rota is next written (or deleted), and comes back if it is still broken.
    """

    __tablename__ = "rota_problem"

    rota_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rota.id", ondelete="CASCADE"), primary_key=True
    )
    problem: Mapped[str] = mapped_column(sa.String(PROBLEM_MAX))
    #: First met since the rota was last written (moves when the problem's text changes).
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<RotaProblem rota {self.rota_id}: {self.problem!r}>"
