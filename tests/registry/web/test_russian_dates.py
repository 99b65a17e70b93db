"""Dates in validation messages are written as the interface writes dates (issue 13, item 7)."""

from __future__ import annotations


def test_earliest_date_message_is_dd_mm_yyyy_in_russian(auth, admission_form):
    auth.login("clinic-bishkek")
    response = auth.post("/admissions/new", admission_form(admission_date="1989-12-31"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Введите дату не ранее 01.01.1990." in html
    assert "1990-01-01" not in html


def test_earliest_date_message_in_english(auth, admission_form, client):
    auth.login("clinic-bishkek")
    client.post("/language", data={"locale": "en", "csrf_token": auth.token("/login")})
    response = auth.post("/admissions/new", admission_form(admission_date="1989-12-31"))
    assert "Enter a date from Jan 1, 1990 on." in response.get_data(as_text=True)
