"""Admission and discharge through the service layer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.models import AuditEvent, Client, TreatmentEpisode
from registry.schemas import AdmissionSchema, DischargeSchema
from registry.services import ServiceError
from registry.services.access import AccessDenied
from registry.services.episodes import admit_client, discharge_episode, get_episode


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_admission_creates_client_and_episode_with_audit(db_session, actor, centre, admission_form):
    data = AdmissionSchema().load(admission_form())
    episode = admit_client(data, actor=actor("clinic-bishkek"), centre=centre("RNC"))
    db_session.commit()
    assert episode.age_at_admission == 23
    assert episode.client.birth_year == 1980 and episode.client.sex == "M"
    assert len(episode.client.code) == 64
    assert episode.secondary_drugs == ["7.1", "8"]
    actions = db_session.execute(select(AuditEvent.action, AuditEvent.entity)).all()
    assert set(actions) == {("create", "client"), ("create", "episode")}


def test_same_person_at_two_centres_is_one_client(db_session, actor, centre, admission_form):
    admit_client(
        AdmissionSchema().load(admission_form()),
        actor=actor("clinic-bishkek"),
        centre=centre("RNC"),
    )
    latin = admission_form(family_name="ASANOV", given_name="Bakyt", region_code="KG-GO")
    episode = admit_client(
        AdmissionSchema().load(latin), actor=actor("clinic-osh"), centre=centre("OSH")
    )
    db_session.commit()
    assert count(db_session, Client) == 1
    assert count(db_session, TreatmentEpisode) == 2
    reads = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "read", AuditEvent.entity == "client")
    ).all()
    assert [event.entity_id for event in reads] == [episode.client_id]


def test_second_open_episode_of_a_programme_is_refused_and_writes_nothing(
    db_session, actor, centre, admission_form
):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    admit_client(AdmissionSchema().load(admission_form()), actor=staff, centre=rnc)
    db_session.commit()
    before = (count(db_session, TreatmentEpisode), count(db_session, AuditEvent))
    with pytest.raises(ServiceError) as error:
        admit_client(AdmissionSchema().load(admission_form()), actor=staff, centre=rnc)
    assert error.value.field == "programme"
    db_session.rollback()
    assert (count(db_session, TreatmentEpisode), count(db_session, AuditEvent)) == before


def test_unknown_region_is_a_field_error_and_nothing_is_added(
    db_session, actor, centre, admission_form
):
    data = AdmissionSchema().load(admission_form(region_code="KG-XX"))
    with pytest.raises(ServiceError) as error:
        admit_client(data, actor=actor("clinic-bishkek"), centre=centre("RNC"))
    assert error.value.field == "region_code"
    assert error.value.messages == {"region_code": [error.value.message]}
    assert not db_session.new


@pytest.mark.parametrize("username", ["clinic-osh", "epi", "ministry"])
def test_admission_needs_access_to_the_centre(db_session, actor, centre, admission_form, username):
    data = AdmissionSchema().load(admission_form())
    with pytest.raises(AccessDenied):
        admit_client(data, actor=actor(username), centre=centre("RNC"))
    assert not db_session.new


def test_admin_may_admit_anywhere(db_session, actor, centre, admission_form):
    data = AdmissionSchema().load(admission_form())
    assert admit_client(data, actor=actor("admin"), centre=centre("OSH")).id


def test_discharge_closes_the_episode_and_audits_an_update(
    db_session, actor, centre, admission_form
):
    staff = actor("clinic-bishkek")
    episode = admit_client(
        AdmissionSchema().load(admission_form()), actor=staff, centre=centre("RNC")
    )
    data = DischargeSchema().load({"discharge_date": "2003-06-01", "discharge_reason": "completed"})
    discharge_episode(episode, data, actor=staff)
    db_session.commit()
    assert not episode.is_open and episode.discharge_reason == "completed"
    update = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert (update.entity, update.entity_id) == ("episode", episode.id)
    with pytest.raises(ServiceError):
        discharge_episode(episode, data, actor=staff)


def test_discharge_before_admission_is_refused(db_session, actor, centre, admission_form):
    staff = actor("clinic-bishkek")
    episode = admit_client(
        AdmissionSchema().load(admission_form()), actor=staff, centre=centre("RNC")
    )
    data = DischargeSchema().load({"discharge_date": "2003-05-01", "discharge_reason": "died"})
    with pytest.raises(ServiceError) as error:
        discharge_episode(episode, data, actor=staff)
    assert error.value.field == "discharge_date"
    assert episode.is_open


def test_get_episode_checks_the_centre_and_audits_the_read(
    db_session, actor, centre, admission_form
):
    episode = admit_client(
        AdmissionSchema().load(admission_form()),
        actor=actor("clinic-bishkek"),
        centre=centre("RNC"),
    )
    db_session.commit()
    assert get_episode(episode.id, actor=actor("clinic-bishkek")) is episode
    with pytest.raises(AccessDenied):
        get_episode(episode.id, actor=actor("clinic-osh"))
    assert get_episode(10_000, actor=actor("admin")) is None
    db_session.commit()
    reads = db_session.scalars(select(AuditEvent).where(AuditEvent.entity == "episode")).all()
    assert [event.action for event in reads] == ["create", "read"]


def test_admission_inside_an_earlier_episode_is_refused(db_session, actor, centre, admission_form):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    episode = admit_client(AdmissionSchema().load(admission_form()), actor=staff, centre=rnc)
    discharge = {"discharge_date": "2003-06-01", "discharge_reason": "completed"}
    discharge_episode(episode, DischargeSchema().load(discharge), actor=staff)
    inside = AdmissionSchema().load(admission_form(admission_date="2003-05-20"))
    with pytest.raises(ServiceError) as error:
        admit_client(inside, actor=staff, centre=rnc)
    assert error.value.field == "admission_date"
    later = AdmissionSchema().load(admission_form(admission_date="2003-06-01"))
    assert admit_client(later, actor=staff, centre=rnc).id
