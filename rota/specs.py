"""Records to the pure core's frozen dataclasses (the only bridge between the two)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from rota import integrity
from rota import resolution as r
from rota.models import OverrideRecord, RotaRecord, RotationRecord


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def window_spec(raw: dict[str, Any]) -> r.Window:
    return r.Window(
        weekdays=r.parse_weekdays(raw.get("weekdays") or r.WEEKDAYS),
        from_local=time.fromisoformat(raw["from_local"]),
        to_local=time.fromisoformat(raw["to_local"]),
    )


def rotation_spec(
    rotation: RotationRecord | Any,
    rotation_id: int | None = None,
    member_changes: Iterable[Any] | None = None,
) -> r.Rotation:
    """Works for stored rotations and for unsaved previews (any object with the same fields).

    `member_changes` replaces the rotation's own list (lookups pass those near their window).
    """
    changes = (
        member_changes
        if member_changes is not None
        else getattr(rotation, "member_changes", None) or ()
    )
    return r.Rotation(
        id=rotation_id if rotation_id is not None else rotation.id,
        start_local=rotation.start_local,
        shift_length=r.parse_duration(rotation.shift_length),
        members=tuple(rotation.members),
        member_changes=tuple(
            r.MemberChange(effective_at=c.effective_at, members=tuple(c.members)) for c in changes
        ),
        windows=tuple(window_spec(w) for w in rotation.restrictions or ()),
    )


def override_spec(override: OverrideRecord) -> r.Override:
    return r.Override(
        id=override.id,
        person_id=override.person_id,
        start=override.start_at,
        end=override.end_at,
    )


def rota_spec(
    rota: RotaRecord,
    overrides: Iterable[OverrideRecord] = (),
    member_changes: Mapping[int, Sequence[Any]] | None = None,
) -> r.Rota:
    """The rota with the overrides given (the caller picks those near the asked window).

    `member_changes` maps rotation ids to their changes near the window; None reads each
    rotation's full history. Stored data the core refuses is left out and reported
    (see `checked_rota_spec`).
    """
    return checked_rota_spec(rota, overrides, member_changes)[0]


def checked_rota_spec(
    rota: RotaRecord,
    overrides: Iterable[OverrideRecord] = (),
    member_changes: Mapping[int, Sequence[Any]] | None = None,
) -> tuple[r.Rota, str | None]:
    """The rota as the core takes it, and what had to be left out of it (None when nothing).

    The database refuses overlapping overrides and the schemas refuse bad rotations, but rows
    written behind their back must break only this rota's answer, never another Party's: an
    override overlapping an older one (lower id: the one the constraint would have kept) and a
    rotation the core refuses are left out, and the rota is reported (rota.integrity).
    """
    problems: list[str] = []
    try:
        tz = zone(rota.timezone)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        problems.append(f"time zone {rota.timezone!r} unknown ({exc.__class__.__name__})")
        tz = zone("UTC")
    rotations = []
    for rot in rota.rotations:
        changes = None if member_changes is None else member_changes.get(rot.id, ())
        try:
            rotations.append(rotation_spec(rot, member_changes=changes))
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(f"rotation {rot.id}: {exc}")
    kept: list[r.Override] = []
    for override in sorted(overrides, key=lambda o: o.id):
        clash = next(
            (k for k in kept if k.start < override.end_at and override.start_at < k.end), None
        )
        if clash is not None:
            problems.append(f"override {override.id} overlaps override {clash.id}")
            continue
        try:
            kept.append(override_spec(override))
        except (ValueError, TypeError) as exc:
            problems.append(f"override {override.id}: {exc}")
    kept.sort(key=lambda o: o.start)
    try:
        spec = r.Rota(id=rota.id, tz=tz, rotations=tuple(rotations), overrides=tuple(kept))
    except (ValueError, TypeError) as exc:
        problems.append(str(exc))
        spec = r.Rota(id=rota.id, tz=tz, rotations=())
    if not problems:
        return spec, None
    problem = "; ".join(problems[:3]) + (
        f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    )
    integrity.report(rota.id, problem, rota.version)
    return spec, problem
