"""Templates keep their translations, labels, dates and doses per language (registry.i18n,
registry.web): the caches must follow the language switch and never mix languages."""

from __future__ import annotations

import re

from flask import render_template_string

from tests.registry.web.test_i18n import switch

#: The signed CSRF token carries the time of the page, so it changes every second.
CSRF_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def dashboard(staff) -> str:
    return CSRF_TOKEN.sub("", staff.client.get("/dashboard").get_data(as_text=True))


def test_the_dashboard_follows_the_language_switch_both_ways(rnc_staff, rnc_records):
    russian = dashboard(rnc_staff)  # fills the caches in Russian first
    assert "Последние поступления" in russian and "Метадон" in russian
    assert "06.05.2003" in russian  # dates in the Russian form

    switch(rnc_staff, "en")
    english = dashboard(rnc_staff)
    assert "Recent admissions" in english and "Methadone" in english
    assert "May 6, 2003" in english
    assert "Последние поступления" not in english and "Метадон" not in english
    assert "06.05.2003" not in english

    switch(rnc_staff, "ru")
    assert dashboard(rnc_staff) == russian


def test_a_new_record_shows_up_on_the_next_page(rnc_staff, rnc_records, admission_form):
    before = dashboard(rnc_staff)
    form = admission_form(family_name="Токтогулов", given_name="Нурлан", primary_drug="3.1")
    location = rnc_staff.post("/admissions/new", form).headers["Location"]
    client_id = int(location.rsplit("/", 1)[1])
    after = dashboard(rnc_staff)
    assert f"/clients/{client_id}" not in before
    assert f"/clients/{client_id}" in after


def test_template_gettext_keeps_jinja_formatting_and_escaping(app):
    template = '{{ _("%(level)s%% interval", level=level) }}|{{ _("Prevalence (%%)") }}'
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = render_template_string(template, level="<b>95</b>")
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        russian = render_template_string(template, level="95")
    assert english == "&lt;b&gt;95&lt;/b&gt;% interval|Prevalence (%)"
    assert russian == "95% интервал|Распространённость (%)"


def test_a_page_without_its_language_in_the_context_asks_the_request(app):
    # a template rendered without the context processors (no ``current_locale``)
    template = app.jinja_env.from_string('{{ _("Recent admissions") }}')
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert template.render() == "Recent admissions"
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert template.render() == "Последние поступления"


def test_texts_with_variables_keep_their_language_and_values(app):
    # the translation is kept per language; the values are put in on every call
    template = '{{ _("%(level)s%% interval", level=level) }}'
    rendered = []
    for language, level in (("ru", "90"), ("en", "<i>95</i>"), ("ru", "99"), ("en", "80")):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            rendered.append(render_template_string(template, level=level))
    assert rendered == ["90% интервал", "&lt;i&gt;95&lt;/i&gt;% interval", "99% интервал",
                        "80% interval"]  # fmt: skip
    plain = app.jinja_env.overlay(autoescape=False).from_string(template)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert plain.render(level="<i>95</i>", current_locale="en") == "<i>95</i>% interval"


def test_numbers_follow_the_page_language_both_ways(app):
    from registry.studies_web.common import page_number_format

    shown = []
    for language in ("ru", "en", "ru"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            number = page_number_format()
            shown.append((number(12345.678, 2), number(-0.001), number(7)))
    assert shown[0] == ("12\xa0345,68", "0", "7") == shown[2]
    assert shown[1] == ("12,345.68", "0", "7")
