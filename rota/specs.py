"""Records to the pure core's frozen dataclasses (the only bridge between the two)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

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


def rotation_spec(rotation: RotationRecord | Any, rotation_id: int | None = None) -> r.Rotation:
    """Works for stored rotations and for unsaved previews (any object with the same fields)."""
    changes = getattr(rotation, "member_changes", None) or ()
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


def rota_spec(rota: RotaRecord, overrides: Iterable[OverrideRecord] = ()) -> r.Rota:
    """The rota with the overrides given (the caller picks those near the asked window)."""
    ordered: Sequence[OverrideRecord] = sorted(overrides, key=lambda o: o.start_at)
    return r.Rota(
        id=rota.id,
        tz=zone(rota.timezone),
        rotations=tuple(rotation_spec(rot) for rot in rota.rotations),
        overrides=tuple(override_spec(o) for o in ordered),
    )
