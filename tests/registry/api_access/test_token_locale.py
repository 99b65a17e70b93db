"""The language of problem details: a token request follows Accept-Language, else English.

A browser session keeps the signed-in user's choice (Russian by default); a machine with
an API token gets English unless it asks for Russian, whatever its user chose.
"""

from __future__ import annotations

from registry.extensions import db
from registry.models import User
from tests.registry.api_access.conftest import bearer
from tests.registry.web.conftest import AuthActions

#: An unknown indicator code: a 422 whose detail is translated (registry/analytics/request.py).
BAD_QUERY = "/api/v1/analytics?dx=NOPE&pe=2003&ou=KG"
ENGLISH = "Unknown indicator code: NOPE (see docs/indicators.md)."
RUSSIAN = "Неизвестный код показателя: NOPE (см. docs/indicators.md)."


def choose_language(app, auth: AuthActions, user_id: int, locale: str) -> None:
    """Sign the user in through the login form and pick ``locale`` with the switch."""
    with app.app_context():
        username = db.session.get(User, user_id).username
    assert auth.login(username).status_code == 302
    response = auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).locale == locale


def detail(response) -> str:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    (error,) = response.get_json()["errors"]
    assert error["field"] == "dx"
    return error["detail"]


def test_a_token_request_without_accept_language_gets_english(app, client, make_token):
    secret = make_token("ministry")
    assert detail(client.get(BAD_QUERY, headers=bearer(secret))) == ENGLISH


def test_a_token_request_can_ask_for_russian(app, client, make_token):
    secret = make_token("ministry")
    for accept in ("ru", "ru-RU,ru;q=0.9,en;q=0.5", "kk, ru;q=0.8"):
        headers = {**bearer(secret), "Accept-Language": accept}
        assert detail(client.get(BAD_QUERY, headers=headers)) == RUSSIAN, accept
    headers = {**bearer(secret), "Accept-Language": "en-US,en;q=0.9,ru;q=0.5"}
    assert detail(client.get(BAD_QUERY, headers=headers)) == ENGLISH
    headers = {**bearer(secret), "Accept-Language": "de"}  # nothing supported: English
    assert detail(client.get(BAD_QUERY, headers=headers)) == ENGLISH


def test_the_token_user_s_browser_choice_does_not_decide(app, make_token, registry_data):
    browser = AuthActions(app.test_client(), registry_data.password)
    choose_language(app, browser, registry_data.users["ministry"], "ru")
    assert detail(browser.client.get(BAD_QUERY)) == RUSSIAN

    machine = app.test_client()
    secret = make_token("ministry")
    assert detail(machine.get(BAD_QUERY, headers=bearer(secret))) == ENGLISH
    # ... and the machine's request changed nothing for the browser
    assert detail(browser.client.get(BAD_QUERY)) == RUSSIAN


def test_a_browser_session_keeps_its_user_s_language(app, registry_data):
    english = AuthActions(app.test_client(), registry_data.password)
    choose_language(app, english, registry_data.users["epi"], "en")
    assert detail(english.client.get(BAD_QUERY, headers={"Accept-Language": "ru"})) == ENGLISH

    default = AuthActions(app.test_client(), registry_data.password)
    assert default.login("ministry").status_code == 302
    assert detail(default.client.get(BAD_QUERY)) == RUSSIAN  # no choice: Russian


def test_a_refused_token_is_told_so_in_english_unless_it_asks(client, registry_data):
    headers = bearer("nrt_not-a-token")
    problem = client.get(BAD_QUERY, headers=headers)
    assert problem.status_code == 401
    assert problem.get_json()["detail"] == "Please sign in to continue."
    russian = client.get(BAD_QUERY, headers={**headers, "Accept-Language": "ru"})
    assert russian.get_json()["detail"] == "Чтобы продолжить, войдите в систему."


def test_a_bearer_header_outside_the_api_changes_no_page_language(client, make_token):
    secret = make_token("ministry")
    html = client.get("/login", headers=bearer(secret)).get_data(as_text=True)
    assert '<html lang="ru">' in html
