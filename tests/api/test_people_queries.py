"""The directory's lists of people cost a fixed number of SQL statements, whatever their size.

`GET /api/v1/people` answers every person of the network (400 with the demo data): its cost must
not grow with the people, nor with their phones and languages, and the answer must stay the one
`present_person` gives for each person (the same bytes, hence the same ETag).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from common.api import etag_of
from common.clock import now as clock_now
from common.db import db
from directory import service
from directory.models import Party, Person, PersonLanguage, Phone
from directory.present import present_person
from tests.conftest import _commit_unaudited, make_party, make_person, make_user
from tests.sql_statements import sql_statements

ROLES = ("member", "party_admin", "secretariat")


def add_people(party: Party, count: int, start: int = 0) -> None:
    """`count` people with two phones (the primary one second) and two languages each."""
    for i in range(start, start + count):
        db.session.add(
            Person(
                party=party,
                full_name=f"Person {party.iso2} {i}",
                title=None if i % 3 else "Duty officer",
                email=f"p{i}@{party.iso2.lower()}.example",
                timezone="Europe/Paris" if i % 2 else None,
                active=i % 4 != 0,
                updated_at=clock_now(),
                phones=[
                    Phone(e164=f"+3361234{i:04d}", kind="mobile", label="duty", position=0),
                    Phone(e164=f"+3312345{i:04d}", kind="fixed_line", primary=True, position=1),
                ],
                languages=[
                    PersonLanguage(tag="fr-CA" if i % 2 else "fr", level="native", position=0),
                    PersonLanguage(tag="en", level="working", position=1),
                ],
            )
        )
    _commit_unaudited()


@pytest.fixture
def network(client) -> dict[str, dict[str, str]]:
    """France and Germany with 5 people between them, and a token of each role, used once."""
    france = make_party("FR", "France")
    germany = make_party("DE", "Germany")
    add_people(france, 3)
    add_people(germany, 2, start=100)
    tokens = {
        "member": make_user("member")[1],
        "party_admin": make_user("party_admin", france)[1],
        "secretariat": make_user("secretariat")[1],
    }
    for headers in tokens.values():
        # A token's first use records it (a write): later requests of the test only read.
        assert client.get("/api/v1/parties", headers=headers).status_code == 200
    return tokens


def cost(client, url: str, headers: dict[str, str]) -> list[str]:
    """The statements one GET of `url` sends (answered 200)."""
    with sql_statements() as sent:
        resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return sent


URLS = (
    "/api/v1/people",
    "/api/v1/people?language=fr&active=true",
    "/api/v1/parties/FR/people",
    "/api/v1/parties",
    "/api/v1/parties/FR",
)


@pytest.mark.parametrize("role", ROLES)
def test_listing_people_costs_the_same_statements_for_5_and_50_people(client, network, role):
    headers = network[role]
    small = {url: cost(client, url, headers) for url in URLS}
    france, germany = (service.get_party(iso2) for iso2 in ("FR", "DE"))
    add_people(france, 25, start=200)
    add_people(germany, 20, start=300)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 50
    for url in URLS:
        large = cost(client, url, headers)
        assert len(large) == len(small[url]), (url, len(small[url]), large)


def test_every_person_is_read_in_three_statements_besides_the_token_check(client, network):
    """People with their Party's code, then their phones, then their languages."""
    sent = cost(client, "/api/v1/people", network["member"])
    reads = [s for s in sent if "api_token" not in s]
    assert len(reads) == 3, reads


@pytest.mark.parametrize(
    ("url", "party", "filters"),
    [
        ("/api/v1/people", None, {}),
        ("/api/v1/people?language=fr", None, {"language": "fr"}),
        ("/api/v1/people?language=fr-CA", None, {"language": "fr-CA"}),
        ("/api/v1/people?language=fr&active=false", None, {"language": "fr", "active": False}),
        ("/api/v1/parties/FR/people", "FR", {}),
        ("/api/v1/parties/de/people?active=true", "DE", {"active": True}),
    ],
)
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_list_is_what_present_person_shows_of_each_person(
    client, network, url, party, filters, locale
):
    """The same items, fields and bytes as one record each (the ETag the old listing gave)."""
    make_person(service.get_party("FR"), "Sans Téléphone", languages=())
    resp = client.get(url, headers={**network["member"], "Accept-Language": locale})
    assert resp.status_code == 200
    db.session.expire_all()
    people = service.list_people(service.get_party(party) if party else None, **filters)
    expected = {"items": [present_person(p, locale) for p in people]}
    assert people, "the case lists nobody"
    assert resp.json == expected
    assert resp.headers["ETag"] == etag_of(expected)
    one = client.get(
        f"/api/v1/people/{people[-1].id}", headers={**network["member"], "Accept-Language": locale}
    )
    assert resp.json["items"][-1] == one.json


def test_a_party_shows_its_people_as_its_people_list_does(client, network):
    party = client.get("/api/v1/parties/FR", headers=network["member"]).json
    people = client.get("/api/v1/parties/FR/people", headers=network["member"]).json["items"]
    assert party["people"] == people
    assert [p["phones"][0]["primary"] for p in people] == [True] * 3


def test_the_list_of_parties_reads_parties_only(client, network):
    """It shows no designation: loading them all cost more than the list itself."""
    sent = cost(client, "/api/v1/parties", network["member"])
    assert [s for s in sent if "api_token" not in s and "contact_point" in s] == []
    assert len(sent) == 2, sent
