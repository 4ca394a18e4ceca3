"""Sessions over for more than 30 days are deleted by the worker, a batch per pass; each user's
latest ones stay, so the recent sign-ins lists read the same before and after."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from common.db import db
from directory import sessions
from directory.models import UserSession
from directory.sessions import KEEP_LATEST, PURGE_AFTER, Limits, purge_sessions
from mail.worker import Worker
from tests.auth.conftest import login, user_with_password
from tests.conftest import make_user

LIMITS = Limits(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
CONFIG = {
    "PUBLIC_BASE_URL": "http://art35.test",
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
}


def _sessions(user, count: int, at, *, ended_after: timedelta | None = None) -> list[int]:
    """`count` sessions of `user` started at `at`; ended `ended_after` later, unless None."""
    ids = []
    for i in range(count):
        sessions.start_session(user, at, address=f"198.51.100.{i + 1}", browser="test")
        ids.append(db.session.scalar(sa.select(sa.func.max(UserSession.id))))
        if ended_after is not None:
            sessions.end_session(ids[-1], at + ended_after, "signed out", user)
    db.session.flush()
    return ids


def _left(user) -> list[int]:
    query = sa.select(UserSession.id).where(UserSession.user_id == user.id)
    return sorted(db.session.scalars(query.order_by(UserSession.id)))


def test_an_ended_session_goes_30_days_after_its_end_not_before(clock):
    user = make_user("member")[0]
    start = clock()
    ids = _sessions(user, KEEP_LATEST + 2, start, ended_after=timedelta(minutes=5))
    ended = start + timedelta(minutes=5)
    assert purge_sessions(ended + PURGE_AFTER, LIMITS) == 0
    assert purge_sessions(ended + PURGE_AFTER + timedelta(seconds=1), LIMITS) == 2
    assert _left(user) == ids[2:]  # the oldest went; the latest KEEP_LATEST stay


def test_an_unended_session_goes_30_days_after_its_idle_or_absolute_limit(clock):
    idle_user, busy_user = make_user("member")[0], make_user("member")[0]
    start = clock()
    idle = _sessions(idle_user, KEEP_LATEST + 1, start)  # never seen again, never marked ended
    busy = _sessions(busy_user, KEEP_LATEST + 1, start)
    db.session.execute(  # seen until the absolute limit
        sa.update(UserSession)
        .where(UserSession.id.in_(busy))
        .values(last_seen_at=start + timedelta(hours=11, minutes=59))
    )
    over_idle = start + LIMITS.idle + PURGE_AFTER
    assert purge_sessions(over_idle, LIMITS) == 0
    assert purge_sessions(over_idle + timedelta(seconds=1), LIMITS) == 1
    assert _left(idle_user) == idle[1:] and _left(busy_user) == busy
    over_absolute = start + LIMITS.absolute + PURGE_AFTER
    assert purge_sessions(over_absolute, LIMITS) == 0
    assert purge_sessions(over_absolute + timedelta(seconds=1), LIMITS) == 1
    assert _left(busy_user) == busy[1:]


def test_each_pass_deletes_one_batch(clock):
    user = make_user("member")[0]
    ids = _sessions(user, KEEP_LATEST + 25, clock(), ended_after=timedelta(minutes=1))
    later = clock() + PURGE_AFTER + timedelta(days=1)
    assert [purge_sessions(later, LIMITS, batch=10) for _ in range(4)] == [10, 10, 5, 0]
    assert _left(user) == ids[25:]


def test_the_worker_purges_once_a_minute_with_the_limits_of_the_settings(clock):
    user = make_user("member")[0]
    ids = _sessions(user, KEEP_LATEST + 3, clock() - timedelta(days=60))
    db.session.commit()
    worker = Worker(CONFIG, "w-1", clock)
    _busy, lines = worker.tick()
    assert "sessions: 3 deleted, over for 30 days" in lines
    assert _left(user) == ids[3:]
    _sessions(user, 1, clock() - timedelta(days=60))
    db.session.commit()
    clock.advance(seconds=59)
    worker.tick()
    assert len(_left(user)) == KEEP_LATEST + 1  # not again within the minute
    clock.advance(seconds=1)
    worker.tick()
    assert len(_left(user)) == KEEP_LATEST


def test_the_recent_sign_ins_page_reads_the_same_after_the_purge(app, client, now, real_limits):
    user = user_with_password()
    _sessions(user, KEEP_LATEST + 2, now - timedelta(days=90), ended_after=timedelta(hours=1))
    db.session.commit()
    assert login(client, user.email).status_code == 302

    def sign_ins() -> list[str]:
        page = client.get("/account/security")
        assert page.status_code == 200
        table = page.text.split('id="sign-ins"', 1)[1].split("</table>", 1)[0]
        return re.findall(r"<tr>.*?</tr>", table, flags=re.S)

    before = sign_ins()
    assert len(before) == 1 + KEEP_LATEST  # the header row and the latest sign-ins
    assert sessions.run_session_purge(now, app.config) is not None
    db.session.commit()
    assert len(_left(user)) == KEEP_LATEST
    assert sign_ins() == before
