"""The admission form's TDI 3.0 items, and forms refusing fields they do not have.

A posted ``polydrug_use`` used to be dropped silently, like every input a form does not
have; now the item is on the form, and an unknown input refuses the whole submission
with a message naming it (the CSRF token, which every post here carries, is a control).
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from registry.extensions import db
from registry.models import Client, TreatmentEpisode

REFUSED = "The form was sent with fields it does not have"


@pytest.fixture
def staff(auth):
    auth.login("clinic-bishkek")
    return auth


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_the_form_offers_the_new_codes(staff, client):
    html = client.get("/admissions/new").get_data(as_text=True)
    assert 'name="polydrug_use"' in html and 'for="f-polydrug_use"' in html
    for name in ("injecting", "needle_sharing", "hiv_testing", "hcv_testing"):
        select = re.search(rf'<select id="f-{name}".*?</select>', html, re.S).group(0)
        assert '<option value="2">' in select, name
    assert 'name="sex" value="U"' in html


def test_an_admission_with_the_new_codes_is_stored(staff, app, admission_form):
    form = admission_form(sex="U", injecting="2", needle_sharing="2", hiv_testing="2",
                          hcv_testing="2", polydrug_use="2")  # fmt: skip
    response = staff.post("/admissions/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        (episode,) = db.session.scalars(db.select(TreatmentEpisode)).all()
        assert episode.polydrug_use == "2"
        assert (episode.injecting, episode.needle_sharing) == ("2", "2")
        assert (episode.hiv_testing, episode.hcv_testing) == ("2", "2")
        assert episode.client.sex == "U"


def test_the_client_page_shows_the_polydrug_item(staff, client, admission_form):
    response = staff.post("/admissions/new", admission_form(polydrug_use="1"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Polydrug use problem" in page or "Проблемное употребление" in page


def test_an_unknown_field_refuses_the_admission_and_names_it(staff, app, admission_form):
    response = staff.post("/admissions/new", {**admission_form(), "polydrug_usee": "1"})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "polydrug_usee" in html
    assert REFUSED in html or "Форма отправлена с полями, которых в ней нет" in html
    with app.app_context():
        assert count(TreatmentEpisode) == 0 and count(Client) == 0


def test_an_unknown_field_is_reported_with_the_fields_own_errors(staff, admission_form):
    form = {**admission_form(polydrug_use="7"), "note_to_self": "x"}
    html = unescape(staff.post("/admissions/new", form).get_data(as_text=True))
    assert "note_to_self" in html
    assert 'id="e-polydrug_use"' in html


def test_an_unknown_field_refuses_a_discharge(staff, client, app, admission_form):
    location = staff.post("/admissions/new", admission_form()).headers["Location"]
    with app.app_context():
        episode_id = db.session.scalar(db.select(TreatmentEpisode.id))
    path = f"/episodes/{episode_id}/discharge"
    form = {"discharge_date": "2003-06-01", "discharge_reason": "completed", "reason": "x"}
    response = staff.post(path, form)
    assert response.status_code == 422
    assert "reason" in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(TreatmentEpisode, episode_id).discharge_date is None
    del form["reason"]
    assert staff.post(path, form).headers["Location"] == location


def test_an_unknown_field_refuses_a_correction(staff, app, admission_form):
    staff.post("/admissions/new", admission_form())
    with app.app_context():
        episode_id = db.session.scalar(db.select(TreatmentEpisode.id))
    path = f"/records/episode/{episode_id}/correct"
    form = {**admission_form(polydrug_use="2"), "amendment_reason": "typing_error"}
    for fixed in ("family_name", "given_name", "birth_date", "sex", "region_code",
                  "programme", "admission_date", "near_match"):  # fmt: skip
        form.pop(fixed, None)
    assert staff.post(path, {**form, "sex": "F"}).status_code == 422
    assert staff.post(path, form).status_code == 302
    with app.app_context():
        assert db.session.get(TreatmentEpisode, episode_id).polydrug_use == "2"
