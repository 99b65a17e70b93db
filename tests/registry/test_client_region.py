"""A client's region is the region of residence stated at their latest admission (item 8)."""

from __future__ import annotations

from sqlalchemy import select

from registry.models import AuditEvent, OrgUnit
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from tests.registry.conftest import build_admission_form


def admit(db_session, actor, centre, **form):
    data = AdmissionSchema().load(build_admission_form(**form))
    episode = admit_client(data, actor=actor, centre=centre)
    db_session.flush()
    return episode.client


def region_of(db_session, client) -> str:
    return db_session.get(OrgUnit, client.region_id).code


def test_a_later_admission_elsewhere_moves_the_client(db_session, actor, centre):
    first = admit(db_session, actor("clinic-bishkek"), centre("RNC"), region_code="KG-GB")
    later = admit(db_session, actor("clinic-osh"), centre("OSH"), region_code="KG-GO",
                  admission_date="2004-02-01")  # fmt: skip
    assert later.id == first.id
    assert region_of(db_session, later) == "KG-GO"
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity == "client")
    ).one()
    moved = "region=KG-GO from=KG-GB admitted=2004-02-01"
    assert (event.entity_id, event.detail) == (first.id, moved)


def test_a_back_dated_admission_leaves_the_region(db_session, actor, centre):
    admit(db_session, actor("clinic-bishkek"), centre("RNC"), region_code="KG-GB")
    moved = admit(db_session, actor("clinic-osh"), centre("OSH"), region_code="KG-GO",
                  admission_date="2004-02-01")  # fmt: skip
    client = admit(db_session, actor("clinic-bishkek"), centre("RNC"), region_code="KG-C",
                   programme="outpatient", admission_date="2003-09-01")  # fmt: skip
    assert client.id == moved.id
    assert region_of(db_session, client) == "KG-GO"
