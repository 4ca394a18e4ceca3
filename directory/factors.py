"""Second factors: TOTP (RFC 6238), one-time recovery codes, passkeys (WebAuthn)."""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
import sqlalchemy as sa
import webauthn
from flask import current_app
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from common.auth import hash_secret
from common.db import db
from common.sealing import reseal, seal, unseal
from directory.models import Passkey, RecoveryCode, User

ISSUER = "Art35"
RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed by hand
#: One step either side: a phone clock 30 s off still works (RFC 6238 §5.2).
TOTP_WINDOW = 1
#: What the TOTP seeds' sealing key is derived for (common/sealing.py).
TOTP_SEAL = "totp secret"


class FactorError(ValueError):
    """A code or a passkey answer that does not prove the factor; the message says why."""


# --- TOTP -------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226 §4 recommends 160 bits)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(text: str) -> str:
    """The QR code of `text` as an SVG document (no PIL), for a data: image under the strict CSP."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


def qr_data_url(text: str) -> str:
    """A data: URL the page may show (the CSP allows img-src data:)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text).encode()).decode()


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a code belongs to within the window, or None."""
    totp = pyotp.TOTP(secret)
    here = totp.timecode(now)
    for step in range(here - TOTP_WINDOW, here + TOTP_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_new_totp(secret: str, code: str, now: datetime) -> int:
    """The step of a first code from a new authenticator; FactorError when it does not match."""
    step = _totp_step(secret, _digits(code), now)
    if step is None:
        raise FactorError("this code does not match: check the phone's clock and try again")
    return step


def _keys() -> list[str]:
    """The session key and its fallbacks: the TOTP seeds' sealing keys derive from them."""
    config = current_app.config
    return [str(config["SECRET_KEY"]), *map(str, config.get("SECRET_KEY_FALLBACKS") or ())]


def enable_totp(user: User, secret: str, code: str, now: datetime) -> None:
    """Keep the secret, sealed, once the user proved their app has it."""
    user.totp_last_step = check_new_totp(secret, code, now)
    user.totp_secret = seal(secret, _keys(), TOTP_SEAL)


def disable_totp(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None


def _digits(code: str) -> str:
    return "".join(c for c in code if not c.isspace())


def use_totp(user: User, code: str, now: datetime) -> bool:
    """True for a current code not used before (each time step is accepted once: no replay)."""
    if not user.totp_secret:
        return False
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return False
    keys = _keys()
    step = _totp_step(unseal(user.totp_secret, keys, TOTP_SEAL), code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    # A seed stored before sealing, or under a retired key, moves under the current key.
    user.totp_secret = reseal(user.totp_secret, keys, TOTP_SEAL)
    # Conditional: of two parallel requests with the same code, one wins.
    done = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


# --- recovery codes ---------------------------------------------------------------------------


def _normalise_code(code: str) -> str:
    return "".join(c for c in code.casefold() if c.isalnum())


def new_recovery_codes(user: User, now: datetime) -> list[str]:
    """Replace a user's recovery codes; the codes are shown once, only their hashes kept."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
        db.session.add(
            RecoveryCode(
                user_id=user.id, code_hash=hash_secret(_normalise_code(raw)), created_at=now
            )
        )
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str, now: datetime) -> bool:
    """True once for each unused recovery code (a conditional update: never twice)."""
    normal = _normalise_code(code)
    if len(normal) != 12:
        return False
    done = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_secret(normal),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def recovery_codes_left(user: User) -> int:
    query = sa.select(sa.func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
    )
    return db.session.scalar(query) or 0


def clear_recovery_codes(user: User) -> None:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# --- passkeys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the site's host name and its origin (scheme://host[:port])."""

    rp_id: str
    origin: str
    name: str = ISSUER


def passkeys_of(user: User) -> list[Passkey]:
    query = sa.select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)
    return list(db.session.scalars(query))


def registration_options(user: User, rp: RelyingParty) -> tuple[str, bytes]:
    """Options for navigator.credentials.create (JSON) and the challenge to keep meanwhile."""
    options = webauthn.generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=f"art35-user-{user.id}".encode(),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id))
            for p in passkeys_of(user)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return webauthn.options_to_json(options), options.challenge


def add_passkey(
    user: User,
    answer: dict[str, Any] | str,
    challenge: bytes,
    rp: RelyingParty,
    name: str,
    now: datetime,
) -> Passkey:
    """Verify the browser's answer to the registration options and keep the credential."""
    try:
        verified = webauthn.verify_registration_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
        )
    except Exception as exc:  # the library raises several kinds for a bad answer
        raise FactorError(f"the passkey could not be registered: {exc}") from None
    passkey = Passkey(
        user_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=(name.strip() or "passkey")[:100],
        created_at=now,
    )
    db.session.add(passkey)
    db.session.flush()
    return passkey


def authentication_options(user: User, rp: RelyingParty) -> tuple[str, bytes]:
    """Options for navigator.credentials.get, limited to this user's passkeys."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id))
            for p in passkeys_of(user)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return webauthn.options_to_json(options), options.challenge


def use_passkey(
    user: User, answer: dict[str, Any], challenge: bytes, rp: RelyingParty, now: datetime
) -> Passkey:
    """Verify a sign-in assertion by one of this user's passkeys; FactorError otherwise."""
    raw_id = str(answer.get("id") or answer.get("rawId") or "")
    passkey = db.session.scalar(
        sa.select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == raw_id)
    )
    if passkey is None:
        raise FactorError("this passkey is not registered for this account")
    try:
        verified = webauthn.verify_authentication_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except Exception as exc:  # the library raises several kinds for a bad answer
        raise FactorError(f"the passkey answer is not valid: {exc}") from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    return passkey


def remove_passkey(user: User, passkey_id: int) -> Passkey | None:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        return None
    db.session.delete(passkey)
    return passkey


def has_second_factor(user: User) -> bool:
    """True when the user enrolled TOTP or at least one passkey."""
    if user.totp_secret:
        return True
    return bool(db.session.scalar(sa.select(Passkey.id).where(Passkey.user_id == user.id).limit(1)))


def reset_factors(user: User) -> None:
    """Forget every second factor of a user (the secretariat, for a lost phone)."""
    disable_totp(user)
    clear_recovery_codes(user)
    db.session.execute(sa.delete(Passkey).where(Passkey.user_id == user.id))
