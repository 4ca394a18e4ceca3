"""Placing calls: claim, commit, ask Twilio, record the SID; and recovering from a crash between.

This is the outer layer of the worker (and of the on-demand request, after its commit), so unlike
the services it commits, once per step, and never keeps a transaction open while Twilio answers:

1. claim a due attempt (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, then a compare-and-set
   `UPDATE … WHERE state = 'queued'` that is also sound on SQLite) and one of the current second's
   CALLS_PER_SECOND dial lanes; commit `dialing`;
2. ask Twilio for the call (`CallPlacer.place`);
3. record the SID; commit `placed`.

A worker killed between 1 and 3 leaves a `dialing` attempt without SID. Recovery (by the same
worker name on restart, or by any worker once the claim is older than REACH_CLAIM_TIMEOUT_S) lists
the calls Twilio made to that number since the claim (`CallPlacer.find_calls`): it adopts the call
it finds, or queues the attempt again when there is none, so the callee is never rung twice.
Outcomes arrive later by webhook; the worker never waits for a call to finish.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from common.db import db, rowcount
from reachability import service
from reachability.models import Attempt, Campaign, Slot
from reachability.placer import (
    TERMINAL_STATUSES,
    CallPlacer,
    CallRequest,
    TelephonyError,
    call_placer_from_config,
)
from reachability.settings import calls_per_second, setting
from reachability.urls import status_url, voice_url

log = logging.getLogger(__name__)

#: find_calls looks this far before the claim: Twilio's clock and ours may differ a little.
RECOVERY_MARGIN = timedelta(seconds=60)


def default_worker_name() -> str:
    """host:pid — unique among running workers, so no one mistakes another's claims for its own."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TickReport:
    """What one pass did."""

    steps: int = 0  # campaign slot steps taken (calls queued or recorded as not tested)
    placed: list[int] = field(default_factory=list)  # attempt ids given a SID by this pass
    failed: int = 0  # refused by Twilio (e.g. 21211 invalid number)
    uncertain: int = 0  # Twilio did not say whether the call exists: left for recovery
    recovered: int = 0  # calls found at Twilio after a crash, and adopted
    requeued: int = 0  # claims of a dead worker that Twilio never saw: queued again
    polled: int = 0  # placed calls whose last callback never came, settled from Twilio
    not_tested: int = 0  # queued calls dropped because telephony is off
    campaigns_done: int = 0
    throttled: bool = False  # stopped because this second's dial lanes were taken

    @property
    def busy(self) -> bool:
        return bool(
            self.steps
            or self.placed
            or self.failed
            or self.uncertain
            or self.recovered
            or self.requeued
            or self.polled
            or self.not_tested
            or self.campaigns_done
        )

    def summary(self) -> str:
        return (
            f"steps {self.steps}, placed {len(self.placed)}, failed {self.failed}, "
            f"uncertain {self.uncertain}, recovered {self.recovered}, requeued {self.requeued}, "
            f"polled {self.polled}, not tested {self.not_tested}, "
            f"campaigns done {self.campaigns_done}" + (", throttled" if self.throttled else "")
        )


class Dialer:
    """Claims and places due calls, advances campaigns and recovers, for one named worker."""

    def __init__(
        self,
        config: Mapping[str, Any],
        placer: CallPlacer | None,
        name: str,
        now: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.placer = placer
        self.name = name
        self.now = now
        self._pruned_at: datetime | None = None

    @classmethod
    def for_app(
        cls, config: Mapping[str, Any], now: Callable[[], datetime], name: str | None = None
    ) -> Dialer:
        """A dialer with the configured placer (None when telephony is off)."""
        return cls(config, call_placer_from_config(config), name or default_worker_name(), now)

    # --- one pass ----------------------------------------------------------------------------

    def tick(
        self, *, startup: bool = False, should_stop: Callable[[], bool] = lambda: False
    ) -> TickReport:
        """One pass: recover, take due campaign steps, place due calls, settle stale calls.

        With `startup`, this worker's own claims are recovered at once (it just started, so none
        of them is in flight); otherwise only claims older than REACH_CLAIM_TIMEOUT_S.
        """
        report = TickReport()
        placer = self.placer
        if placer is not None:
            self.recover(placer, report, startup=startup)
        self.take_due_steps(report, should_stop)
        if placer is not None:
            self.place_due(placer, report, should_stop)
            self.poll_stale(placer, report)
        else:
            self.drop_queued(report)
        self.close_campaigns(report)
        return report

    # --- placing -----------------------------------------------------------------------------

    def dispatch(self, attempt_id: int) -> None:
        """Place this queued attempt now if this second has a free dial lane (on-demand calls);
        otherwise it stays queued for a worker. Call it after committing the attempt."""
        if self.placer is None:
            return
        db.session.rollback()  # a fresh transaction: nothing read before the claim (SQLite)
        _status, claimed = self.claim(self.now(), attempt_id)
        if claimed is not None:
            self._place(self.placer, claimed, TickReport())

    def place_due(
        self, placer: CallPlacer, report: TickReport, should_stop: Callable[[], bool]
    ) -> None:
        """Place due calls one after another until none is due or this second is full."""
        while not should_stop():
            status, claimed = self.claim(self.now())
            if status == "throttled":
                report.throttled = True
            if claimed is None:
                return
            self._place(placer, claimed, report)

    def claim(self, now: datetime, attempt_id: int | None = None) -> tuple[str, int | None]:
        """Claim the earliest due attempt (or this one) and commit it as dialing.

        Returns ("claimed", id), ("idle", None) when none is due or free, or ("throttled", None)
        when this second's dial lanes are taken. Rows other workers are claiming are skipped.
        """
        service.take_write_lock()
        query = sa.select(Attempt.id).where(
            Attempt.state == "queued",
            Attempt.due_at <= now,
            ~sa.exists().where(  # a cancelled campaign's calls are never placed
                Slot.id == Attempt.slot_id,
                Campaign.id == Slot.campaign_id,
                Campaign.cancelled_at.is_not(None),
            ),
        )
        if attempt_id is not None:
            query = query.where(Attempt.id == attempt_id)
        found = db.session.scalar(
            query.order_by(Attempt.due_at, Attempt.id).limit(1).with_for_update(skip_locked=True)
        )
        if found is None:
            db.session.rollback()
            return "idle", None
        if not service.take_dial_second(now, calls_per_second(self.config)):
            db.session.rollback()
            return "throttled", None
        claimed = db.session.execute(
            sa.update(Attempt)
            .where(Attempt.id == found, Attempt.state == "queued")
            .values(state="dialing", claimed_at=now, claimed_by=self.name)
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:  # taken meanwhile (SQLite has no row locks)
            db.session.rollback()
            return "idle", None
        db.session.commit()
        return "claimed", found

    def _place(self, placer: CallPlacer, attempt_id: int, report: TickReport) -> None:
        """Ask Twilio for the claimed call, then record its SID (or why it was refused)."""
        attempt = db.session.get(Attempt, attempt_id, populate_existing=True)
        if attempt is None or attempt.phone is None:
            db.session.rollback()
            return
        request = CallRequest(
            to=attempt.phone,
            from_=str(self.config["TWILIO_FROM_NUMBER"]),
            twiml_url=voice_url(self.config, attempt_id),
            status_callback=status_url(self.config, attempt_id),
            machine_detection=True,
            timeout_s=setting(self.config, "REACH_RING_TIMEOUT_S"),
        )
        asked_at = self.now()
        db.session.rollback()  # no transaction stays open while Twilio answers
        try:
            placed = placer.place(request)
        except TelephonyError as exc:
            if exc.ambiguous:
                # The call may exist: recovery will look for it rather than call again.
                log.warning("attempt %s: Twilio's answer was lost (%s)", attempt_id, exc)
                report.uncertain += 1
                return
            self._refused(attempt_id, exc)
            report.failed += 1
            return
        attempt = service.lock_attempt(attempt_id)
        if attempt is not None:
            if attempt.placed_at is None:
                attempt.placed_at = asked_at
            service.record_placed(attempt, placed.sid, self.now())
        db.session.commit()
        report.placed.append(attempt_id)
        log.info("attempt %s: placed %s to %s", attempt_id, placed.sid, request.to)

    def _refused(self, attempt_id: int, exc: TelephonyError) -> None:
        attempt = service.lock_attempt(attempt_id)
        if attempt is not None and attempt.state == "dialing":
            service.finish_attempt(
                attempt, "failed", self.now(), self.config, reason=exc.message, error_code=exc.code
            )
        db.session.commit()
        log.info("attempt %s: Twilio refused the call: %s", attempt_id, exc)

    def drop_queued(self, report: TickReport) -> None:
        """Telephony is off: due calls are recorded as not tested, with the reason."""
        now = self.now()
        service.take_write_lock()
        due = db.session.scalars(
            sa.select(Attempt)
            .where(Attempt.state == "queued", Attempt.due_at <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for attempt in due:
            service.finish_attempt(
                attempt, "not-tested", now, self.config, reason=service.TELEPHONY_OFF
            )
            report.not_tested += 1
        db.session.commit()

    # --- campaigns ---------------------------------------------------------------------------

    def take_due_steps(self, report: TickReport, should_stop: Callable[[], bool]) -> None:
        """Each campaign slot whose next step is due: queue its next call (or close it)."""
        while not should_stop():
            now = self.now()
            service.take_write_lock()
            due = service.due_slot_ids(now, limit=1)
            if not due:
                db.session.rollback()
                return
            slot = service.claim_slot(*due[0])
            if slot is None:
                db.session.rollback()
                continue
            service.advance_slot(slot, now, self.config, telephony_on=self.placer is not None)
            db.session.commit()
            report.steps += 1

    def close_campaigns(self, report: TickReport) -> None:
        """Mark finished campaigns done (a slot closing races with its siblings' last calls)."""
        now = self.now()
        service.take_write_lock()
        for campaign in db.session.scalars(
            sa.select(Campaign).where(Campaign.status == "running")
        ).all():
            if service.close_campaign_if_done(campaign, now):
                report.campaigns_done += 1
        if self._pruned_at is None or now - self._pruned_at > timedelta(minutes=10):
            service.forget_dial_seconds(now)
            self._pruned_at = now
        db.session.commit()

    # --- recovery ----------------------------------------------------------------------------

    def recover(self, placer: CallPlacer, report: TickReport, *, startup: bool = False) -> None:
        """Settle `dialing` claims of dead workers (see the module docstring)."""
        now = self.now()
        stale = Attempt.claimed_at < now - timedelta(
            seconds=setting(self.config, "REACH_CLAIM_TIMEOUT_S")
        )
        whose = sa.or_(stale, Attempt.claimed_by == self.name) if startup else stale
        rows = db.session.execute(
            sa.select(Attempt.id, Attempt.phone, Attempt.claimed_at, Attempt.claimed_by).where(
                Attempt.state == "dialing", Attempt.twilio_sid.is_(None), whose
            )
        ).all()
        db.session.rollback()
        for row in rows:
            self._recover_one(placer, row.id, row.phone, row.claimed_at, row.claimed_by, report)

    def _recover_one(
        self,
        placer: CallPlacer,
        attempt_id: int,
        phone: str,
        claimed_at: datetime,
        claimed_by: str | None,
        report: TickReport,
    ) -> None:
        try:
            found = placer.find_calls(phone, claimed_at - RECOVERY_MARGIN)
        except TelephonyError as exc:
            log.warning("attempt %s: cannot list Twilio's calls yet (%s)", attempt_id, exc)
            return
        now = self.now()
        attempt = service.lock_attempt(attempt_id)
        if attempt is None or not (
            attempt.state == "dialing"
            and attempt.twilio_sid is None
            and attempt.claimed_at == claimed_at
            and attempt.claimed_by == claimed_by
        ):
            db.session.rollback()  # settled meanwhile (a callback named the SID, another worker)
            return
        # Calls already recorded on other attempts (e.g. an earlier retry) are not this one.
        known = set(
            db.session.scalars(
                sa.select(Attempt.twilio_sid).where(Attempt.twilio_sid.in_([c.sid for c in found]))
            )
        )
        fresh = sorted(
            (call for call in found if call.sid not in known),
            key=lambda call: (call.date_created or claimed_at, call.sid),
        )
        if fresh:
            call = fresh[0]
            service.record_placed(attempt, call.sid, now)
            if call.status in TERMINAL_STATUSES:
                self._settle_from_remote(attempt, call.status, call.answered_by, call.duration_s)
            report.recovered += 1
            log.info("attempt %s: found call %s made before a crash", attempt_id, call.sid)
        else:
            attempt.state = "queued"
            attempt.due_at = now
            attempt.claimed_at = None
            attempt.claimed_by = None
            report.requeued += 1
            log.info("attempt %s: Twilio has no call for the dead claim: queued again", attempt_id)
        db.session.commit()

    def poll_stale(self, placer: CallPlacer, report: TickReport) -> None:
        """Placed calls whose final callback never came (the app was down?): ask Twilio."""
        now = self.now()
        cutoff = now - timedelta(seconds=setting(self.config, "REACH_STALE_CALL_S"))
        rows = db.session.execute(
            sa.select(Attempt.id, Attempt.twilio_sid)
            .where(Attempt.state == "placed", Attempt.placed_at < cutoff)
            .limit(50)
        ).all()
        db.session.rollback()
        for attempt_id, sid in rows:
            try:
                remote = placer.fetch(str(sid))
            except TelephonyError as exc:
                if exc.status != 404:
                    log.warning("attempt %s: cannot fetch %s (%s)", attempt_id, sid, exc)
                    continue
                status, answered_by, duration = "failed", None, None
            else:
                if remote.status not in TERMINAL_STATUSES:
                    continue
                status, answered_by, duration = remote.status, remote.answered_by, remote.duration_s
            attempt = service.lock_attempt(attempt_id)
            if attempt is not None and attempt.state == "placed":
                self._settle_from_remote(attempt, status, answered_by, duration)
                report.polled += 1
            db.session.commit()

    def _settle_from_remote(
        self, attempt: Attempt, status: str, answered_by: str | None, duration: int | None
    ) -> None:
        now = self.now()
        attempt.answered_by = attempt.answered_by or answered_by
        attempt.call_status = status
        attempt.duration_s = duration
        outcome, reason, code = service.outcome_of(status, attempt.answered_by, {})
        service.finish_attempt(attempt, outcome, now, self.config, reason=reason, error_code=code)
