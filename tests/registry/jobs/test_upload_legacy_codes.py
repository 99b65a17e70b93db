"""Identifier uploads count a person under the version-1 code a registry client holds
(a client coded before doubled letters were folded keeps that code: issue 13 item 5)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from registry.extensions import db
from registry.models import Client, SourceListCode
from registry.services.client_codes import (
    ClientIdentifiers,
    client_code,
    code_from_slk,
    legacy_normalise_name,
    slk581,
)
from tests.conftest import TEST_SECRETS

KEY = TEST_SECRETS["LINKAGE_KEY"]
ALLA = ClientIdentifiers("Ассанова", "Алла", date(1980, 2, 1), "F")
NEW = ClientIdentifiers("Муллаев", "Анна", date(1981, 3, 4), "F")


def legacy_code(ids: ClientIdentifiers) -> str:
    return code_from_slk(slk581(ids, normalise=legacy_normalise_name), KEY)


def test_a_client_coded_before_the_fold_is_linked_by_their_code(app, api):
    registered = legacy_code(ALLA)
    assert registered != client_code(ALLA, KEY)
    with app.app_context():
        db.session.execute(insert(Client).values(code=registered, sex="F", birth_year=1980))
        db.session.commit()
    rows = ["Ассанова;Алла;01.02.1980;Ж", "Асанова;Ала;01.02.1980;Ж", "Муллаев;Анна;1981-03-04;F"]
    content = "family_name;given_name;birth_date;sex\n" + "\n".join(rows) + "\n"
    body = api.upload(content.encode()).json
    assert body["rejected_rows"] == []
    with app.app_context():
        query = select(SourceListCode.code, SourceListCode.occurrences)
        counted = {code: n for code, n in db.session.execute(query)}
    # both spellings of the registered client are hers; a new name gets the current code
    assert counted == {registered: 2, client_code(NEW, KEY): 1}
