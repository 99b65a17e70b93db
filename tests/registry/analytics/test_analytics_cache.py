"""The counts cache: a repeated answer is reused, a new record is seen at once."""

from __future__ import annotations

import pytest

from registry.analytics import cache, parse_request, run_query
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from tests.registry.analytics.conftest import PEOPLE


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 1, "ANALYTICS_CACHE_SECONDS": 300}


def entrants(actor) -> int:
    request = parse_request({"dx": "TDI_ENTRANTS", "pe": "2003", "ou": "KG"})
    return run_query(request, actor=actor("ministry")).rows[0][-2]


def test_a_new_admission_is_counted_at_once(small_registry, actor, centre, admission_form,
                                            db_session):  # fmt: skip
    cache._ENTRIES.clear()
    assert entrants(actor) == 4
    assert len(cache._ENTRIES) == 1
    assert entrants(actor) == 4  # reused: still one entry
    assert len(cache._ENTRIES) == 1
    form = admission_form(**{**PEOPLE["E"], "family_name": "Жумабеков"}, region_code="KG-GB",
                          admission_date="2003-08-01")  # fmt: skip
    admit_client(AdmissionSchema().load(form), actor=actor("clinic-bishkek"), centre=centre("RNC"))
    db_session.commit()
    assert entrants(actor) == 5  # the newest episode id changed the key
