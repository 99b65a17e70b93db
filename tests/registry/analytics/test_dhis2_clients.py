"""The real DHIS2 client libraries from PyPI, unchanged, against a live registry server.

``dhis2-client`` (httpx; ``Authorization: ApiToken`` or Basic) and ``dhis2-fetch``
(requests; Basic only) read ``/api/me`` and ``/api/analytics`` of the registry served over
real HTTP on 127.0.0.1 (the small registry of ``conftest.py``, on SQLite and PostgreSQL).
What they get must be exactly what the native ``/api/v1/analytics`` publishes for the same
cells: the same values, split by sex with one row per sex (no duplicates), and the
withheld cells left out. Each test runs with the suppression threshold at 1 (every count
published: the values are the hand-counted ones of ``conftest.py``) and at 2 (in a
registry this small, every non-zero count is then withheld, and must be left out).
"""

from __future__ import annotations

import sqlite3

import pytest
from dhis2_client import DHIS2Client
from dhis2_fetch import Dhis2Client as FetchClient
from dhis2_fetch.analytics import download_data_analytics

from registry.analytics.dhis2_ids import CATEGORIES, uid
from registry.auth.tokens import create_token
from tests.browser.conftest import serving

CODES = ("TDI_ENTRANTS", "REG_CLIENTS", "OST_CLIENTS", "HIV_TESTED")
SEX = CATEGORIES["sex"]


#: Treatment entrants of 2003 by sex, counted by hand (conftest.py): A and C are men,
#: B and D women; A and B in Bishkek, C and D in Osh.
HAND_COUNTED = {("KG-GB", "M"): "1", ("KG-GB", "F"): "1", ("KG-GO", "M"): "1", ("KG-GO", "F"): "1"}


@pytest.fixture(params=[1, 2], ids=["threshold1", "threshold2"])
def threshold(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture
def app_config(threshold: int) -> dict:
    return {"SUPPRESSION_THRESHOLD": threshold}


def check_published(native: dict, rows: dict, threshold: int) -> None:
    """``rows`` (by UID key) are exactly the native published cells, and what that means."""
    assert rows == expected_by_uid(native)
    entrants = {
        (ou, sex): rows.get((uid("dx", "TDI_ENTRANTS"), "2003", uid("ou", ou), SEX.option_uid(sex)))
        for ou, sex in HAND_COUNTED
    }
    if threshold == 1:
        assert entrants == HAND_COUNTED
    else:
        assert set(entrants.values()) == {None}  # withheld: left out, as DHIS2 leaves empties
        assert any(value is None for value in native.values())


@pytest.fixture
def server(app, small_registry, tmp_path):
    """The small registry served over real HTTP on 127.0.0.1."""
    with serving(app, tmp_path / "registry.sqlite3") as live:
        yield live


@pytest.fixture
def secret(small_registry, actor, db_session) -> str:
    _token, secret = create_token(actor("ministry"), "dhis2 client")
    db_session.commit()
    return secret


def native_by_sex(client, secret: str) -> dict[tuple[str, str, str, str], object]:
    """``{(code, period, org unit code, sex): value or None}`` from the native API."""
    # the two sexes the DHIS2 clients ask for (sex "not known", U, is a third option)
    query = f"dx={';'.join(CODES)}&pe=2003;2004&ou=KG;LEVEL-2&dimension=SEX:M;F"
    body = client.get(f"/api/v1/analytics?{query}", headers={"Authorization": f"Bearer {secret}"})
    assert body.status_code == 200
    rows = body.get_json()["rows"]
    return {tuple(row[:4]): (row[4] if row[5] == "ok" else None) for row in rows}


def expected_by_uid(native: dict) -> dict[tuple[str, str, str, str], str]:
    """The published native cells under DHIS2 UIDs, values as DHIS2 writes them."""
    return {
        (uid("dx", code), pe, uid("ou", ou), SEX.option_uid(sex)): str(value)
        for (code, pe, ou, sex), value in native.items()
        if value is not None
    }


def grid_by_key(grid: dict) -> dict[tuple[str, ...], str]:
    names = [header["name"] for header in grid["headers"]]
    assert names == ["dx", "pe", "ou", SEX.uid, "value"]
    keys = [tuple(row[:4]) for row in grid["rows"]]
    assert len(keys) == len(set(keys)), "duplicate rows"
    return {tuple(row[:4]): row[4] for row in grid["rows"]}


def analytics_with(client: DHIS2Client) -> dict:
    return client.get_analytics_data(
        dx=[uid("dx", code) for code in CODES],
        pe=["2003", "2004"],
        ou=["LEVEL-2", uid("ou", "KG")],
        dimension=[f"{SEX.uid}:{SEX.option_uid('M')};{SEX.option_uid('F')}"],
        displayProperty="NAME",
        skipMeta=False,
        paging=False,
        ignoreLimit=True,
    )


def test_dhis2_client_with_an_api_token_reads_what_the_native_api_publishes(
    server, client, secret, threshold
):
    native = native_by_sex(client, secret)
    dhis2 = DHIS2Client(base_url=server.url, token=secret, retries=0)
    try:
        assert dhis2.get_current_user(fields="id,username")["username"] == "ministry"
        grid = analytics_with(dhis2)
    finally:
        dhis2.close()
    check_published(native, grid_by_key(grid), threshold)
    assert set(grid["metaData"]["dimensions"]) >= {"dx", "pe", "ou", "co"}
    assert grid["metaData"]["items"][uid("ou", "KG-GB")]["name"] == "Bishkek city"


def test_dhis2_client_with_basic_auth_reads_the_same(
    server, client, secret, small_registry, threshold
):
    native = native_by_sex(client, secret)
    dhis2 = DHIS2Client(
        base_url=server.url, username="epi", password=small_registry.password, retries=0
    )
    try:
        assert dhis2.get_current_user()["username"] == "epi"
        grid = analytics_with(dhis2)
    finally:
        dhis2.close()
    check_published(native, grid_by_key(grid), threshold)


def test_dhis2_fetch_with_basic_auth_downloads_one_row_per_sex(
    server, client, secret, small_registry, tmp_path, threshold
):
    native = native_by_sex(client, secret)
    password = small_registry.password
    FetchClient(server.url, "ministry", password, max_attempts=1, quiet=True)  # reads /api/me
    database = tmp_path / "download.db"
    indicators = [uid("dx", code) for code in CODES]
    by_sex = [(SEX.uid, SEX.option_uid(sex)) for sex in ("M", "F")]
    outcome = download_data_analytics(
        server.url,
        "ministry",
        password,
        str(database),
        indicators,
        ["2003", "2004"],
        f"ou:LEVEL-2;{uid('ou', 'KG')}",
        extra_dims={indicator: by_sex for indicator in indicators},
    )
    assert outcome["Failed"] == [] and outcome["Skipped"] == []
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT dx, pe, ou, co, value FROM data").fetchall()
    keys = [row[:4] for row in rows]
    assert len(keys) == len(set(keys)), "duplicate rows"
    check_published(native, {row[:4]: row[4] for row in rows}, threshold)
    men = {row[:3] for row in rows if row[3] == SEX.option_uid("M")}
    women = {row[:3] for row in rows if row[3] == SEX.option_uid("F")}
    assert men and women  # the split by sex survived: men and women are told apart


def test_a_wrong_password_is_an_authentication_error_for_dhis2_fetch(server, small_registry):
    from dhis2_fetch import AuthenticationError

    with pytest.raises(AuthenticationError):
        FetchClient(server.url, "ministry", "not the password", max_attempts=1, quiet=True)
