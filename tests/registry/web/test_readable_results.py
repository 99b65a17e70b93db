"""Result pages people can read, in Russian (issue 14 item 8).

Model names explained with the lists' names, parameters as a labelled table (never JSON
with ``\\u0411`` escapes), the default study title, scenario and Cox names in Russian,
dates as dd.mm.yyyy, and plots for every method that estimates or projects a number.
Each method runs on real registry data (the fixture of ``test_studies_render``).
"""

from __future__ import annotations

import re

import pytest

from tests.registry.jobs.test_methods_services import ost_records  # noqa: F401 - fixture
from tests.registry.web.test_studies_render import every_method, study_records  # noqa: F401

ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
RUSSIAN_DATE = re.compile(r"\b\d\d\.\d\d\.20\d\d\b")


def russian_pages(auth, client, jobs: dict[str, int]) -> dict[str, str]:
    auth.login("epi")  # the default language is Russian
    return {name: client.get(f"/studies/jobs/{job}").get_data(as_text=True)
            for name, job in jobs.items()}  # fmt: skip


def test_russian_result_pages_are_readable(auth, client, every_method):  # noqa: F811
    pages = russian_pages(auth, client, every_method)
    search = pages["capture_recapture"]
    # the key of the model names, and [13,23] in the lists' names (police=1, ngo=2, hospital=3)
    assert "Списки в названиях моделей: 1 = police, 2 = ngo, 3 = hospital" in search
    assert re.search(r"\[13,23\]</span><br><span[^>]*>police × hospital, ngo × hospital<", search)
    assert "списки независимы" in search  # [1,2,3]
    for name, page in pages.items():
        assert "\\u04" not in page and "{&#34;" not in page, name  # no JSON parameters
        assert '<table class="compact parameters">' in page, name
        provenance = page[page.index("Происхождение результата") :]
        assert not ISO_DATE.search(provenance) and RUSSIAN_DATE.search(provenance), name
    # only the parameters an analysis used: replicates on the bootstrap's page alone
    assert "Бутстреп-повторы</th><td>50<" in pages["bootstrap"] and "Бутстреп" not in search
    assert re.search(r"Численность эталона[^<]*</th><td>1\s505<", pages["multiplier"])  # 1 505
    assert "Удержание на ОЗТ 2003" in pages["retention"]  # the default title, translated
    assert "Дата анализа</dt><dd>31.12.2004" in pages["retention"]
    assert ">Мужчины (по сравнению с женщинами)<" in pages["retention"]  # Cox terms
    assert "экстраполяция тренда" in pages["projection"] and ">trend<" not in pages["projection"]
    assert "Опросы</th><td>1: 100 из 400" in pages["multiplier"]


@pytest.mark.parametrize(
    ("method", "plot"),
    [("multiplier", "surveys"), ("coverage", "coverage"), ("projection", "projection")],
)
def test_multiplier_coverage_and_projection_have_plots(auth, client, every_method, method, plot):  # noqa: F811
    pages = russian_pages(auth, client, {method: every_method[method]})
    url = f"/studies/jobs/{every_method[method]}/plots/{plot}.png"
    assert url in pages[method]
    image = client.get(url)
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")


def test_english_result_pages_keep_english(auth, client, every_method):  # noqa: F811
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    page = client.get(f"/studies/jobs/{every_method['projection']}").get_data(as_text=True)
    assert "trend extrapolation" in page and "Projection 2003" in page
    assert re.search(r"Started</dt><dd>[A-Z][a-z]{2} \d{1,2}, 20\d\d \d\d:\d\d", page)
