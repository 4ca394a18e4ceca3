"""Records to the pure core's frozen dataclasses (the only bridge between the two)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
    rotation's full history.
    """
    ordered: Sequence[OverrideRecord] = sorted(overrides, key=lambda o: o.start_at)
    return r.Rota(
        id=rota.id,
        tz=zone(rota.timezone),
        rotations=tuple(
            rotation_spec(
                rot,
                member_changes=None if member_changes is None else member_changes.get(rot.id, ()),
            )
            for rot in rota.rotations
        ),
        overrides=tuple(override_spec(o) for o in ordered),
    )
