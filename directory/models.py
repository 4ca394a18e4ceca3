"""Directory tables: Parties, contact points (with designation history), people, users, audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from common.db import UTCDateTime, db

PARTY_STATUSES = ("party", "signatory", "invited", "observer")
CONTACT_POINT_KINDS = ("police", "prosecution", "interpol_ncb", "other")
ROLES = ("secretariat", "party_admin", "member")
LANGUAGE_LEVELS = ("native", "fluent", "working", "basic")
PHONE_KINDS = (
    "mobile",
    "fixed_line",
    "fixed_line_or_mobile",
    "toll_free",
    "voip",
    "pager",
    "uan",
    "personal_number",
    "other",
)


class Party(db.Model):
    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    iso2: Mapped[str] = mapped_column(sa.String(2), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(16))
    signed_date: Mapped[date | None]
    ratified_date: Mapped[date | None]
    in_force_date: Mapped[date | None]
    source: Mapped[str | None] = mapped_column(sa.String(1000))
    notes: Mapped[str | None] = mapped_column(sa.String(2000))
    #: Country calling codes this Party's calls may reach besides its own; set by the secretariat.
    allowed_calling_codes: Mapped[list[int]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Optimistic concurrency: every UPDATE says `WHERE version = <the one read>` (issue 12).
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    contact_points: Mapped[list[ContactPoint]] = relationship(
        back_populates="party", order_by="ContactPoint.effective_from", cascade="all, delete-orphan"
    )
    people: Mapped[list[Person]] = relationship(
        back_populates="party", order_by="Person.id", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint(f"status IN {PARTY_STATUSES!r}", name="status"),)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def contact_point_at(self, at: datetime) -> ContactPoint | None:
        """The designation in force at `at` (aware): the open one, unless it is announced for a
        later instant, in which case the one it replaces (closed on that day) until then."""
        current = [cp for cp in self.contact_points if cp.effective_to is None]
        if current and current[-1].effective_at is not None and current[-1].effective_at > at:
            replaced = [cp for cp in self.contact_points if cp.effective_to is not None]
            return replaced[-1] if replaced else None
        return current[-1] if current else None

    def announced_contact_point_at(self, at: datetime) -> ContactPoint | None:
        """A designation recorded ahead, not yet in force at `at` (aware); None when none is."""
        current = [cp for cp in self.contact_points if cp.effective_to is None]
        if current and current[-1].effective_at is not None and current[-1].effective_at > at:
            return current[-1]
        return None

    def __repr__(self) -> str:
        return f"<Party {self.iso2} {self.name!r} {self.status}>"


class ContactPoint(db.Model):
    """One designation of a Party's 24/7 unit; `effective_to` is None for the current one."""

    __tablename__ = "contact_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    unit_name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(16))
    address: Mapped[str | None] = mapped_column(sa.String(1000))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    desk_phone: Mapped[str | None] = mapped_column(sa.String(20))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    office_hours: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    can_order_preservation: Mapped[bool] = mapped_column(default=False)
    mla_authority_name: Mapped[str | None] = mapped_column(sa.String(300))
    mla_authority_phone: Mapped[str | None] = mapped_column(sa.String(20))
    mla_authority_email: Mapped[str | None] = mapped_column(sa.String(320))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    #: The instant a designation recorded ahead takes effect (None: from `effective_from`).
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    party: Mapped[Party] = relationship(back_populates="contact_points")

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {CONTACT_POINT_KINDS!r}", name="kind"),
        # One current designation per Party, whatever two writers do at once.
        sa.Index(
            "uq_contact_point_current",
            "party_id",
            unique=True,
            postgresql_where=sa.text("effective_to IS NULL"),
            sqlite_where=sa.text("effective_to IS NULL"),
        ),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<ContactPoint {self.id} {self.unit_name!r} from {self.effective_from}>"


class Person(db.Model):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    last_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    party: Mapped[Party] = relationship(back_populates="people")
    phones: Mapped[list[Phone]] = relationship(
        back_populates="person", order_by="Phone.position", cascade="all, delete-orphan"
    )
    languages: Mapped[list[PersonLanguage]] = relationship(
        back_populates="person", order_by="PersonLanguage.position", cascade="all, delete-orphan"
    )

    @property
    def primary_phone(self) -> Phone | None:
        for phone in self.phones:
            if phone.primary:
                return phone
        return self.phones[0] if self.phones else None

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.full_name!r}>"


class Phone(db.Model):
    __tablename__ = "phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    e164: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[str] = mapped_column(sa.String(24))
    label: Mapped[str | None] = mapped_column(sa.String(100))
    primary: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    person: Mapped[Person] = relationship(back_populates="phones")

    def __repr__(self) -> str:
        return f"<Phone {self.e164} {self.kind}{' primary' if self.primary else ''}>"


class PersonLanguage(db.Model):
    __tablename__ = "person_language"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    tag: Mapped[str] = mapped_column(sa.String(35), index=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    position: Mapped[int] = mapped_column(default=0)

    person: Mapped[Person] = relationship(back_populates="languages")

    def __repr__(self) -> str:
        return f"<PersonLanguage {self.tag} {self.level}>"


class User(db.Model):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party.id", ondelete="SET NULL"))
    password_hash: Mapped[str | None] = mapped_column(sa.String(300))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: RFC 6238 shared secret (base32) once TOTP is confirmed; the last time step accepted.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))  # sealed: common/sealing.py
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    party: Mapped[Party | None] = relationship()

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} of user {self.user_id}>"


class AuditEntry(db.Model):
    """Who changed what, when, with the record before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(sa.String(320))
    action: Mapped[str] = mapped_column(sa.String(16))
    entity: Mapped[str] = mapped_column(sa.String(32), index=True)
    entity_id: Mapped[int | None]
    party_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.entity} {self.entity_id} by {self.actor_email}>"


class PartyConfirmation(db.Model):
    """A Party's entries reviewed and confirmed true, by whom, and until when (issue 15)."""

    __tablename__ = "party_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    confirmed_by: Mapped[str] = mapped_column(sa.String(320))  # e-mail, kept if the user goes
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The newest audit entry of this Party the confirmer saw: "changed since" starts after it.
    audit_id: Mapped[int | None]

    __table_args__ = (sa.Index("ix_party_confirmation_party_id_id", "party_id", "id"),)

    def __repr__(self) -> str:
        return f"<PartyConfirmation party {self.party_id} at {self.confirmed_at}>"


class NetworkSetting(db.Model):
    """One network-wide setting the secretariat may change (e.g. the confirmation validity)."""

    __tablename__ = "network_setting"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(sa.String(320))

    def __repr__(self) -> str:
        return f"<NetworkSetting {self.key}={self.value!r}>"


class NetworkSettingsVersion(db.Model):
    """The one row counting changes to the network settings: a write names the version it read
    (`UPDATE … WHERE version = :read`), so of two writers from one version only one wins."""

    __tablename__ = "network_settings_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    def __repr__(self) -> str:
        return f"<NetworkSettingsVersion {self.version}>"


class NumberState(db.Model):
    """What the test calls say of one E.164 number (kept by number, so editing phones keeps it)."""

    __tablename__ = "number_state"

    e164: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    #: Failed test calls since the last success: 0 confirmed, 1 failed once, 2+ unreachable.
    failures_in_row: Mapped[int] = mapped_column(default=0)
    last_outcome: Mapped[str] = mapped_column(sa.String(16))
    last_result_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<NumberState {self.e164} {self.failures_in_row} in a row>"


class UserSession(db.Model):
    """A signed-in browser, held by the server so that it can be ended from anywhere."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    address: Mapped[str | None] = mapped_column(sa.String(45))
    browser: Mapped[str | None] = mapped_column(sa.String(200))
    #: How the second step was passed ("totp", "recovery", "passkey"), None without one.
    second_factor: Mapped[str | None] = mapped_column(sa.String(16))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(sa.String(32))
    ended_by_id: Mapped[int | None]

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class LoginThrottle(db.Model):
    """Sign-in attempts of one source (an address, or an account from an address) in a window."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.key} {self.count}>"


class RecoveryCode(db.Model):
    """A one-time second-factor code for when the authenticator is lost (only its hash)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} of user {self.user_id}>"


class Passkey(db.Model):
    """A WebAuthn credential: the phishing-resistant second factor."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[str] = mapped_column(sa.String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Passkey {self.id} {self.name!r} of user {self.user_id}>"


class PasswordLink(db.Model):
    """A one-time link to set one's own password (new accounts, resets); only its hash."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<PasswordLink {self.id} of user {self.user_id}>"
