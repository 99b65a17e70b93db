"""The epidemiologist's start page and the way to it."""

from __future__ import annotations


def test_epidemiologists_and_admins_reach_the_studies_from_the_menu(auth, client):
    for username in ("epi", "admin"):
        auth.login(username)
        home = client.get("/").get_data(as_text=True)
        assert 'href="/studies/"' in home
        page = client.get("/studies/")
        assert page.status_code == 200
        assert "Upload external lists" in page.get_data(as_text=True) or "Загрузить" in (
            page.get_data(as_text=True)
        )
        auth.logout()


def test_clinic_staff_and_ministries_see_no_link_and_are_refused(auth, client):
    for username in ("clinic-bishkek", "ministry"):
        auth.login(username)
        assert "/studies/" not in client.get("/", follow_redirects=True).get_data(as_text=True)
        assert client.get("/studies/").status_code == 403
        auth.logout()
