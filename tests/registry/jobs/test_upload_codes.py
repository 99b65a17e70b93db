"""The upload's fast paths give exactly what the slow, obvious code gives.

An identifier upload codes each row with memoised name letters and a precomputed HMAC
state, and searches registry clients with a smaller alphabet: the codes must equal
``client_code`` and the registry pairs those of the search as it was before.
"""

from __future__ import annotations

import hmac
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from registry.extensions import db
from registry.models import Client, DuplicateCandidate, SourceListCode
from registry.services.client_codes import ClientIdentifiers, client_code, keyed_hasher, slk581
from tests.conftest import TEST_SECRETS

KEY = TEST_SECRETS["LINKAGE_KEY"]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=100), st.binary(max_size=200))
def test_the_keyed_hasher_is_hmac_sha256(key, message):
    assert keyed_hasher(key)(message) == hmac.digest(key.encode(), message, "sha256")


PEOPLE = [
    # family, given, birth date as typed, sex as typed -> identifiers
    ("Щукин", "Ёлкин", "01.02.1970", "м", ("Щукин", "Ёлкин", date(1970, 2, 1), "M")),
    ("Li", "Oo", "1999-12-31", "f", ("Li", "Oo", date(1999, 12, 31), "F")),
    (" O'Neil ", "Yusupov", "1.2.1980", "2", ("O'Neil", "Yusupov", date(1980, 2, 1), "F")),
    ("Жапаров", "Айгүл", "1980-2-3", "Ж", ("Жапаров", "Айгүл", date(1980, 2, 3), "F")),
    ("Müller", "Şükrü", "29.02.1984", "1", ("Müller", "Şükrü", date(1984, 2, 29), "M")),
]  # fmt: skip


def test_uploaded_codes_are_the_registrys_codes(app, api):
    content = "family_name;given_name;birth_date;sex\n" + "".join(
        f"{f};{g};{born};{sex}\n" for f, g, born, sex, _ in PEOPLE
    )
    body = api.upload(content.encode()).json
    assert body["rejected_rows"] == []
    with app.app_context():
        codes = set(db.session.scalars(select(SourceListCode.code)))
    assert codes == {client_code(ClientIdentifiers(*ids), KEY) for *_, ids in PEOPLE}


def reference_registry_pairs(slks: list[str], registry: set[str]) -> set[tuple[str, str]]:
    """The search against registry clients as it was: 26 letters at every letter position."""
    pairs = set()
    for slk in slks:
        code = hmac.new(KEY.encode(), slk.encode(), "sha256").hexdigest()
        for position in range(5):
            if not slk[position].isalpha():
                continue
            for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
                variant = slk[:position] + letter + slk[position + 1 :]
                other = hmac.new(KEY.encode(), variant.encode(), "sha256").hexdigest()
                if other in registry and other != code:
                    pairs.add(tuple(sorted((code, other))))
    return pairs


def test_registry_pairs_are_those_of_the_search_as_it_was(app, api):
    one, two = date(1980, 3, 14), date(1981, 5, 2)
    registry_people = [
        ClientIdentifiers("Asanov", "Timur", one, "M"),
        ClientIdentifiers("Bakieva", "Ali", two, "F"),
        ClientIdentifiers("Usenov", "Temir", one, "M"),
        ClientIdentifiers("Li", "Oo", two, "M"),
    ]
    listed = [
        ClientIdentifiers("Asenov", "Timur", one, "M"),  # family name, one letter
        ClientIdentifiers("Bakieva", "Ale", two, "F"),  # given name, one letter
        ClientIdentifiers("Usenov", "Timur", one, "M"),  # given name; and Asenov's in the list
        ClientIdentifiers("Lu", "Oo", two, "M"),  # a short name: the filler stays
        ClientIdentifiers("Asanov", "Timur", one, "F"),  # another sex: no pair
        ClientIdentifiers("Asanov", "Timur", two, "M"),  # another birth date: no pair
    ]
    with app.app_context():
        db.session.execute(insert(Client), [
            {"code": client_code(p, KEY), "sex": p.sex, "birth_year": p.birth_date.year}
            for p in {client_code(p, KEY): p for p in registry_people}.values()
        ])  # fmt: skip
        db.session.commit()
    content = "family_name,given_name,birth_date,sex\n" + "".join(
        f"{p.family_name},{p.given_name},{p.birth_date},{p.sex}\n" for p in listed
    )
    list_id = api.upload(content.encode()).json["id"]
    registry = {client_code(p, KEY) for p in registry_people}
    expected = reference_registry_pairs(sorted({slk581(p) for p in listed}), registry)
    with app.app_context():
        query = select(DuplicateCandidate.code_a, DuplicateCandidate.code_b).where(
            DuplicateCandidate.list_id == list_id, DuplicateCandidate.scope == "registry"
        )
        found = {(a, b) for a, b in db.session.execute(query)}
    assert len(expected) == 4 and found == expected
