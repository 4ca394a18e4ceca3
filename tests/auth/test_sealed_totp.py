"""TOTP seeds are sealed at rest: a copy of the database gives no working second factor, a
rotated SECRET_KEY keeps them readable, and seeds stored before sealing move under the key."""

from __future__ import annotations

import pyotp
import pytest

from common.db import db
from common.sealing import SealError, is_current, reseal, seal, unseal
from directory import factors
from directory.models import User
from tests.auth.conftest import user_with_password

OLD = "the-retired-session-key-" + "o" * 20
NEW = "the-current-session-key-" + "n" * 20


def test_a_sealed_value_opens_only_with_a_configured_key():
    sealed = seal("JBSWY3DPEHPK3PXP", [OLD], "totp secret")
    assert sealed.startswith("s1:") and "JBSWY3DPEHPK3PXP" not in sealed
    assert unseal(sealed, [OLD], "totp secret") == "JBSWY3DPEHPK3PXP"
    assert unseal(sealed, [NEW, OLD], "totp secret") == "JBSWY3DPEHPK3PXP"  # OLD as fallback
    with pytest.raises(SealError):
        unseal(sealed, [NEW], "totp secret")  # the key it was sealed with is gone
    with pytest.raises(SealError):
        unseal(sealed, [OLD], "another purpose")  # one key per purpose


def test_reseal_moves_values_under_the_current_key_once():
    old = seal("JBSWY3DPEHPK3PXP", [OLD], "totp secret")
    moved = reseal(old, [NEW, OLD], "totp secret")
    assert moved != old and is_current(moved, [NEW], "totp secret")
    assert reseal(moved, [NEW, OLD], "totp secret") == moved
    plain = reseal("JBSWY3DPEHPK3PXP", [NEW], "totp secret")  # stored before sealing
    assert unseal(plain, [NEW], "totp secret") == "JBSWY3DPEHPK3PXP"


def _sign_in_code(user: User, secret: str, clock) -> bool:
    clock.advance(seconds=30)
    return factors.use_totp(user, pyotp.TOTP(secret).at(clock()), clock())


def test_a_seed_survives_a_key_rotation_and_moves_under_the_new_key(app, clock):
    user = user_with_password()
    secret = pyotp.random_base32(32)
    code = pyotp.TOTP(secret).at(clock())
    factors.enable_totp(user, secret, code, clock())
    db.session.commit()
    sealed = user.totp_secret
    assert secret not in sealed
    key, fallbacks = app.config["SECRET_KEY"], app.config.get("SECRET_KEY_FALLBACKS")
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = NEW, [key]
    try:
        assert _sign_in_code(user, secret, clock)
        assert user.totp_secret != sealed and is_current(user.totp_secret, [NEW], "totp secret")
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert _sign_in_code(user, secret, clock)  # the old key can now be dropped
    finally:
        app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = key, fallbacks


def test_a_seed_stored_before_sealing_still_works_and_is_sealed_at_its_use(app, clock):
    user = user_with_password()
    secret = pyotp.random_base32(32)
    user.totp_secret = secret  # as the a35sec000001 revision stored it
    db.session.commit()
    assert _sign_in_code(user, secret, clock)
    db.session.commit()
    db.session.refresh(user)
    assert user.totp_secret.startswith("s1:") and secret not in user.totp_secret
    assert _sign_in_code(user, secret, clock)
