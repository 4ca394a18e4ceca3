"""The demo puts Parties in every freshness state (and shows number and e-mail states)."""

from __future__ import annotations

from common.db import db
from mail.demo import load_freshness_demo
from tests.conftest import make_party, make_person, make_user


def test_the_demo_has_a_party_in_every_state(client, clock, secretariat):
    user = make_user("secretariat")[0]
    for iso2, name in [("FR", "France"), ("DE", "Germany"), ("IT", "Italy"), ("ES", "Spain"),
                       ("NO", "Norway")]:  # fmt: skip
        make_person(make_party(iso2, name), f"Officer {iso2}", email=f"duty@{iso2.lower()}.example")
    report = load_freshness_demo(user, clock())
    db.session.commit()
    states = {
        iso2: client.get(f"/api/v1/parties/{iso2}", headers=secretariat).get_json()["freshness"]
        for iso2 in ("FR", "DE", "IT", "ES", "NO")
    }
    assert {k: v["state"] for k, v in states.items()} == {
        "FR": "due_soon",
        "DE": "current",
        "IT": "overdue",
        "ES": "expired",
        "NO": "expired",
    }
    assert states["NO"]["confirmed_at"] is None and states["ES"]["confirmed_at"] is not None
    assert report.states == {"current": 1, "due_soon": 1, "overdue": 1, "expired": 1, "never": 1}
