"""/ministry/: the indicators dashboard shows the analytics service's figures, suppressed.

Uses the small registry of ``tests/registry/analytics/conftest.py`` (five people, an
approved KG 2003 estimate of 20 (15-30) and an unapproved one of 999); the figures below
are its hand-computed values (see ``test_analytics_indicators.py``): in 2003 KG has 2
registered clients, 1 on OST, 2 PWID tested for HIV of whom 1 positive (50.0%), an
estimate of 20 (15-30), so 10.00 estimated per registered and an OST coverage of 5.0%
(WHO band low).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from registry import plots
from registry.analytics import store
from registry.analytics.refresh import refresh_tables
from registry.ministry_web import charts
from registry.ministry_web.views import BAND_LABELS, STATUS_LABELS
from registry.models import AuditEvent
from tests.registry.analytics.conftest import add_estimate
from tests.registry.analytics.conftest import small_registry as small_registry  # fixture
from tests.registry.web.conftest import AuthActions


@pytest.fixture
def app_config() -> dict:
    """No suppression unless a test asks for it: the hand-computed values show."""
    return {"SUPPRESSION_THRESHOLD": 1}


@pytest.fixture
def signed_in(app, small_registry, db_session):
    """``signed_in(username) -> client`` signed in (Russian interface, the default)."""

    def sign_in(username: str):
        client = app.test_client()
        assert AuthActions(client, small_registry.password).login(username).status_code == 302
        return client

    return sign_in


#: What the Russian page shows for an estimate that did not record its population, and
#: beside coverage divided by it.
NOT_RECORDED = "не указана"
#: The method of the approved estimate, named beside it in the regions table.
CAPTURE_RECAPTURE = "Захват–повторный захват"
NOT_PWID = "⚠ не опиоидозависимые ЛУИН: это не индикатор охвата UNAIDS/WHO"


def label(status: str) -> str:
    """What the Russian page shows for a value with ``status``."""
    with force_locale("ru"):
        return str(STATUS_LABELS[status])


def cells(html: str) -> list[list[str]]:
    """The text of each table row's cells."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
            for r in rows]  # fmt: skip


def test_ministry_users_start_on_the_dashboard_with_hand_computed_figures(signed_in):
    client = signed_in("ministry")
    assert client.get("/").headers["Location"] == "/ministry/"
    page = client.get("/ministry/?year=2003")
    assert page.status_code == 200
    rows = cells(page.get_data(as_text=True))
    # the estimate's population: the fixture's result did not record one
    assert [
        "Кыргызская Республика",
        "2",
        "20",
        "15 – 30",
        "10,00",
        NOT_RECORDED,
        CAPTURE_RECAPTURE,
    ] in rows
    assert ["2003", "2", "1", "50,0"] in rows
    assert ["2002", "0", "0", label("no_denominator")] in rows  # five years up to 2003
    assert ["1999", "0", "0", label("no_denominator")] in rows
    with force_locale("ru"):
        low = str(BAND_LABELS["low"])
    # coverage of an estimate not recorded as of opioid-dependent PWID is flagged
    flagged = f"{NOT_RECORDED}  {NOT_PWID}"  # two spaces: one each side of the <strong> tag
    assert ["Кыргызская Республика", "1", "20", "5,0", low, flagged] in rows
    # regions have no approved estimate of their own
    none = label("no_estimate")
    assert ["г. Бишкек", "1", none, "", none, "", ""] in rows
    html = page.get_data(as_text=True)
    assert ">999<" not in html and "900" not in html and "1100" not in html  # not approved


def test_the_default_year_is_the_latest_and_unknown_years_are_404(signed_in):
    client = signed_in("epi")
    html = client.get("/ministry/").get_data(as_text=True)
    assert '<option value="2004" selected>' in html and '<option value="2002">' in html
    assert client.get("/ministry/?year=1990").status_code == 404
    assert client.get("/ministry/?year=soon").status_code == 404


def test_the_page_says_how_current_its_figures_are_and_where_estimates_are(signed_in):
    client = signed_in("ministry")
    html = client.get("/ministry/?year=2004").get_data(as_text=True)
    assert "Показатели подсчитаны в момент этого запроса." in html
    # 2004 has no approved estimate: the page points to the year that has one
    assert "Оценка за 2004 ещё не утверждена." in html
    assert 'href="/ministry/?year=2003">2003</a>' in html
    generation = refresh_tables()
    html = client.get("/ministry/?year=2003").get_data(as_text=True)
    moment = store.as_utc(generation.finished_at).strftime("%d.%m.%Y %H:%M")  # dd.mm.yyyy
    assert f"Данные на {moment} UTC" in html
    assert "ещё не утверждена" not in html
    rows = cells(html)
    assert [
        "Кыргызская Республика",
        "2",
        "20",
        "15 – 30",
        "10,00",
        NOT_RECORDED,
        CAPTURE_RECAPTURE,
    ] in rows


def test_with_the_default_threshold_small_counts_are_suppressed(app, signed_in):
    app.config["SUPPRESSION_THRESHOLD"] = 10
    client = signed_in("ministry")
    rows = cells(client.get("/ministry/?year=2003").get_data(as_text=True))
    hidden = label("suppressed")
    assert ["2003", hidden, hidden, hidden] in rows
    assert [
        "Кыргызская Республика",
        hidden,
        "20",
        "15 – 30",
        hidden,
        NOT_RECORDED,
        CAPTURE_RECAPTURE,
    ] in rows
    assert ["Кыргызская Республика", hidden, "20", hidden, "", NOT_RECORDED] in rows


def test_plots_are_pngs_and_unknown_charts_404(signed_in):
    client = signed_in("ministry")
    for chart in ("regions", "hiv", "coverage"):
        response = client.get(f"/ministry/plot.png?chart={chart}&year=2003")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG") and len(response.data) > 5000
    assert client.get("/ministry/plot.png?chart=clients&year=2003").status_code == 404


def test_a_plot_is_drawn_once_for_the_same_figures_and_again_when_they_change(
    signed_in, small_registry, db_session, monkeypatch
):
    drawn = []
    draw = charts.CHARTS["regions"]
    monkeypatch.setitem(charts.CHARTS, "regions", lambda panel: drawn.append(1) or draw(panel))
    plots._cache.clear()
    client = signed_in("ministry")
    first = client.get("/ministry/plot.png?chart=regions&year=2003").data
    again = client.get("/ministry/plot.png?chart=regions&year=2003").data
    assert again == first and len(drawn) == 1
    newer = add_estimate(small_registry, "KG-GB", "2003", 40, 30, 50, approved=True)
    newer.approved_at = datetime.now(UTC) + timedelta(minutes=1)
    db_session.commit()
    changed = client.get("/ministry/plot.png?chart=regions&year=2003").data
    assert len(drawn) == 2 and changed != first


def test_csv_links_give_the_same_figures_from_the_analytics_api(signed_in):
    client = signed_in("ministry")
    html = client.get("/ministry/?year=2003").get_data(as_text=True)
    links = re.findall(r'href="(/api/v1/analytics\.csv\?[^"]+)"', html)
    assert len(links) == 3
    response = client.get(links[0].replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    kg = {row["dx"]: row["value"] for row in rows if row["ou"] == "KG"}
    assert kg["REG_CLIENTS"] == "2" and kg["EST_USERS"] == "20"


def test_excel_links_give_the_same_figures_as_number_cells(signed_in):
    client = signed_in("ministry")
    html = client.get("/ministry/?year=2003").get_data(as_text=True)
    links = re.findall(r'href="(/api/v1/analytics\.xlsx\?[^"]+)"', html)
    assert len(links) == 3
    response = client.get(links[0].replace("&amp;", "&"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    kg = {row[0]: row[-2] for row in sheet.iter_rows(min_row=2, values_only=True)
          if row[2] == "KG"}  # fmt: skip
    assert kg["REG_CLIENTS"] == 2 and kg["EST_USERS"] == 20


def test_every_dashboard_query_is_audited(signed_in, db_session):
    client = signed_in("ministry")
    client.get("/ministry/?year=2003")
    query = select(AuditEvent.detail).where(
        AuditEvent.action == "read", AuditEvent.entity == "analytics"
    )
    reads = db_session.scalars(query).all()
    assert len(reads) == 3 and all("REG_CLIENTS" in r or "HIV_PWID" in r or "OST" in r
                                   for r in reads)  # fmt: skip


def test_clinic_staff_are_refused(app, registry_data):
    client = app.test_client()
    assert AuthActions(client, registry_data.password).login("clinic-bishkek").status_code == 302
    assert client.get("/ministry/").status_code == 403
    assert client.get("/ministry/plot.png?chart=hiv&year=2003").status_code == 403
