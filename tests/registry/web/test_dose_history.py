"""The client page lists an enrolment's latest doses; its dose history pages through all.

A year of daily doses made a 266 KB client page (issue 12 §5): every dose with its
correct and void links.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from registry.extensions import db
from registry.models import DosingEvent
from registry.services.listings import DOSES_PER_PAGE

EXTRA = 5
FIRST = date(2003, 5, 8)


@pytest.fixture
def many_doses(app, rnc_records) -> list[int]:
    """A page and ``EXTRA`` doses of the RNC enrolment, one a day; their ids by day."""
    with app.app_context():
        doses = [
            DosingEvent(enrolment_id=rnc_records.enrolment_id, dose_date=FIRST + timedelta(days=i),
                        dose_mg=Decimal("40"), kind="observed")
            for i in range(DOSES_PER_PAGE + EXTRA)
        ]  # fmt: skip
        db.session.add_all(doses)
        db.session.commit()
        return [dose.id for dose in doses]


def dose_ids(html: str) -> list[int]:
    """The doses a page offers to correct, in page order."""
    return [int(i) for i in re.findall(r'href="/records/dosing_event/(\d+)/correct"', html)]


def test_the_client_page_lists_the_latest_doses_and_links_to_all(
    rnc_staff, rnc_records, many_doses
):
    html = rnc_staff.client.get(f"/clients/{rnc_records.client_id}").get_data(as_text=True)
    assert dose_ids(html) == many_doses[::-1][:DOSES_PER_PAGE]
    assert f'<td class="num">{DOSES_PER_PAGE + EXTRA}</td>' in html  # doses recorded
    assert f'href="/ost/{rnc_records.enrolment_id}/doses"' in html


def test_the_dose_history_pages_through_every_dose(rnc_staff, rnc_records, many_doses):
    path = f"/ost/{rnc_records.enrolment_id}/doses"
    first = rnc_staff.client.get(path)
    second = rnc_staff.client.get(f"{path}?page=2")
    assert first.status_code == second.status_code == 200
    pages = [dose_ids(r.get_data(as_text=True)) for r in (first, second)]
    assert pages == [many_doses[::-1][:DOSES_PER_PAGE], many_doses[::-1][DOSES_PER_PAGE:]]
    assert f'href="{path}?page=2"' in first.get_data(as_text=True)
    assert f'href="{path}?page=1"' in second.get_data(as_text=True)
    for past in ("?page=3", "?page=0", "?page=-1"):
        assert rnc_staff.client.get(path + past).status_code == 404


def test_another_centre_gets_no_dose_history(auth, rnc_records, many_doses):
    auth.login("clinic-osh")
    assert auth.client.get(f"/ost/{rnc_records.enrolment_id}/doses").status_code == 404
