"""Signing in and out through the forms, the session cookie, and where users land."""

from __future__ import annotations

from registry.extensions import db
from registry.models import AuditEvent


def test_login_page_has_the_two_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'for="f-username"' in html and 'for="f-password"' in html


def test_clinic_staff_land_on_their_dashboard(auth, client):
    response = auth.login("clinic-bishkek")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/dashboard"
    assert "Republican Narcological Center" in page.get_data(as_text=True)


def test_wrong_password_is_refused_with_one_message(auth, client, app):
    response = auth.login("clinic-bishkek", "not-the-password")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Неверное имя пользователя или пароль" in html or "Wrong username or password" in html
    assert "not-the-password" not in html
    assert client.get("/dashboard").status_code == 302
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert actions == ["login_failed"]


def test_empty_login_form_shows_the_message_beside_each_field(auth):
    response = auth.post("/login", {"username": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="e-username"' in html and 'id="e-password"' in html


def test_login_without_csrf_token_is_rejected(auth, client):
    response = auth.post(
        "/login", {"username": "clinic-bishkek", "password": auth.password}, token=False
    )
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_logout_needs_a_post_with_the_token(auth, client):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_next_goes_back_to_the_page_asked_for_but_never_off_site(auth, client):
    response = client.get("/clients/find")
    assert response.status_code == 302
    assert "/login?next=/clients/find" in response.headers["Location"]
    data = {"username": "clinic-bishkek", "password": auth.password, "next": "/clients/find"}
    assert auth.post("/login", data).headers["Location"] == "/clients/find"
    auth.logout()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        data["next"] = target
        assert auth.post("/login", data).headers["Location"] == "/"
        auth.logout()


def test_session_cookie_is_http_only_and_same_site(auth):
    cookie = auth.login().headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # ends with the browser session


def test_idle_session_ends(auth, client, app):
    auth.login()
    app.config["SESSION_IDLE_MINUTES"] = 0
    with client.session_transaction() as session:
        session["seen"] -= 5
    assert client.get("/dashboard").status_code == 302


def test_the_session_is_sent_again_only_when_its_time_is_a_minute_old(auth, client):
    # an unchanged session is not signed and sent on every answer (issue 12 §5)
    auth.login()
    client.get("/dashboard")
    assert "Set-Cookie" not in client.get("/dashboard").headers
    with client.session_transaction() as session:
        session["seen"] -= 55  # within the minute, with 5 s for a second boundary or a slow machine
    assert "Set-Cookie" not in client.get("/dashboard").headers
    with client.session_transaction() as session:
        session["seen"] -= 5  # 60 s or more since it was last written
        written = session["seen"]
    assert "Set-Cookie" in client.get("/dashboard").headers
    with client.session_transaction() as session:
        assert session["seen"] >= written + 60


def test_a_session_idle_for_the_limit_ends_though_its_time_is_kept_to_the_minute(auth, client, app):
    auth.login()
    app.config["SESSION_IDLE_MINUTES"] = 1
    with client.session_transaction() as session:
        session["seen"] -= 55  # within the minute (with 5 s for a slow machine): not written
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= 6  # 61 s or more since it was last written
    assert client.get("/dashboard").status_code == 302


def test_deactivated_user_is_signed_out(auth, client, app, registry_data):
    from registry.models import User

    auth.login()
    with app.app_context():
        db.session.get(User, registry_data.users["clinic-bishkek"]).active = False
        db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_other_roles_land_on_a_home_page(auth, client):
    for username in ("epi", "admin"):
        auth.login(username)
        page = client.get("/")
        assert page.status_code == 200
        assert "New admission" not in page.get_data(as_text=True)
        assert "Новое поступление" not in page.get_data(as_text=True)
        auth.logout()


def test_ministry_users_land_on_the_indicators_dashboard(auth, client):
    auth.login("ministry")
    assert client.get("/").headers["Location"] == "/ministry/"


def test_repeated_failures_lock_the_account_for_a_while(auth, client, app):
    app.config["LOGIN_MAX_FAILURES"] = 3
    for _attempt in range(3):
        assert auth.login("clinic-bishkek", "wrong-guess").status_code == 422
    response = auth.login("clinic-bishkek")  # even the right password
    assert response.status_code == 429
    assert client.get("/dashboard").status_code == 302
    assert auth.login("clinic-osh").status_code == 302  # other accounts are not affected
    app.config["LOGIN_LOCK_MINUTES"] = 0
    auth.logout()
    assert auth.login("clinic-bishkek").status_code == 302
