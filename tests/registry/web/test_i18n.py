"""English and Russian: the switch, remembered per user, and a complete catalogue."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "registry" / "translations" / "ru" / "LC_MESSAGES"
UPDATE_HINT = "update the catalogue: see registry/translations/README.md"


def switch(auth, locale: str):
    return auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")


def test_russian_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "Имя пользователя" in html


def test_the_browser_language_is_used_before_a_choice(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html and "Username" in html


def test_anonymous_switch_is_kept_in_the_session(auth, client):
    assert switch(auth, "en").status_code == 302
    assert "Username" in client.get("/login").get_data(as_text=True)


def test_the_choice_is_remembered_per_user(app, auth, registry_data):
    auth.login("clinic-bishkek")
    switch(auth, "en")
    auth.logout()

    other_browser = app.test_client()
    from tests.registry.web.conftest import AuthActions

    again = AuthActions(other_browser, registry_data.password)
    again.login("clinic-bishkek")
    page = other_browser.get("/dashboard", headers={"Accept-Language": "ru"})
    assert "Recent admissions" in page.get_data(as_text=True)

    colleague = AuthActions(app.test_client(), registry_data.password)
    colleague.login("clinic-osh")
    page = colleague.client.get("/dashboard", headers={"Accept-Language": "ru"})
    assert "Последние поступления" in page.get_data(as_text=True)


def test_unknown_language_is_ignored(auth, client):
    switch(auth, "xx")
    assert '<html lang="ru">' in client.get("/login").get_data(as_text=True)


def test_code_labels_and_schema_messages_are_translated(auth, admission_form):
    auth.login()
    html = auth.post("/admissions/new", admission_form(primary_drug="", sex="Q")).get_data(
        as_text=True
    )
    assert "Героин" in html and "Синтетические катиноны (эфедрон)" in html
    assert "Это поле обязательно." in html
    assert "Выберите значение из списка." in html
    assert "Missing data" not in html and "required field" not in html

    switch(auth, "en")
    html = auth.post("/admissions/new", admission_form(primary_drug="")).get_data(as_text=True)
    assert "Heroin" in html and "This field is required." in html


def extracted_messages() -> set[str]:
    """Every translatable message of the registry (as ``pybabel extract -F babel.cfg``)."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = extract_from_dir(ROOT / "registry", method_map=method_map, keywords=keywords)
    return {message if isinstance(message, str) else message[0] for _, _, message, *_ in found}


def test_every_message_has_a_russian_translation():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale="ru")
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(extracted_messages() - translated)
    assert missing == [], UPDATE_HINT


def test_the_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale="ru")
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    assert compiled.getvalue() == (CATALOGUE / "messages.mo").read_bytes(), UPDATE_HINT
