"""A centre's Russian name set by ``flask centres rename`` is what Russian pages show."""

from __future__ import annotations


def test_the_russian_dashboard_shows_the_name_set_by_the_command(app, runner, auth, client):
    runner.invoke(args=["centres", "rename", "RNC", "--name-ru", "Республиканский центр"])
    auth.login("clinic-bishkek")
    page = client.get("/dashboard", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Республиканский центр" in page
    assert "Republican Narcological Center" not in page
    english = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Republican Narcological Center" in english
