"""Item 5 of issue 13: doubled letters fold into one code (existing codes stay valid),
and an admission one spelling edit away from a client of the centre asks staff first."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from registry.models import AuditEvent, Client, TreatmentEpisode
from registry.schemas import AdmissionSchema
from registry.services.client_codes import (
    ClientIdentifiers,
    client_code,
    client_codes,
    code_from_slk,
    legacy_normalise_name,
    normalise_name,
    slk581,
)
from registry.services.episodes import admit_client
from registry.services.errors import NearClientsError
from registry.services.near_clients import MAX_NEAR_CODES, near_codes
from tests.registry.conftest import build_admission_form

KEY = "k" * 40
BORN = date(1980, 3, 14)


def ids(family: str, given: str = "Бакыт") -> ClientIdentifiers:
    return ClientIdentifiers(family, given, BORN, "M")


@pytest.mark.parametrize(
    ("doubled", "single"),
    [("Ассанов", "Асанов"), ("Алла", "Ала"), ("Muhammad", "Мухаммад"), ("Жанна", "Zhana")],
)
def test_a_doubled_letter_gives_the_same_code(doubled, single):
    assert normalise_name(doubled) == normalise_name(single)
    assert client_code(ids(doubled), KEY) == client_code(ids(single), KEY)


def test_version_one_codes_kept_doubled_letters():
    assert legacy_normalise_name("Ассанов") == "ASSANOV"
    legacy = code_from_slk(slk581(ids("Ассанов"), normalise=legacy_normalise_name), KEY)
    assert client_codes(ids("Ассанов"), KEY) == (client_code(ids("Ассанов"), KEY), legacy)
    assert client_codes(ids("Асанов"), KEY) == (client_code(ids("Асанов"), KEY),)


def admit(db_session, actor, centre, **form):
    data = AdmissionSchema().load(build_admission_form(**{"near_match": "", **form}))
    episode = admit_client(data, actor=actor, centre=centre)
    db_session.flush()
    return episode


def test_a_client_coded_before_the_fold_keeps_their_code(db_session, actor, centre, app):
    legacy = code_from_slk(slk581(ids("Ассанов"), normalise=legacy_normalise_name),
                           app.config["LINKAGE_KEY"])  # fmt: skip
    db_session.add(Client(code=legacy, sex="M", birth_year=1980))
    db_session.flush()
    episode = admit(db_session, actor("clinic-bishkek"), centre("RNC"), family_name="Ассанов")
    assert episode.client.code == legacy
    assert db_session.scalar(select(func.count()).select_from(Client)) == 1


def test_a_near_spelling_is_not_created_silently(db_session, actor, centre):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    first = admit(db_session, staff, rnc)  # Асанов Бакыт
    for typed in ({"family_name": "Асонов"}, {"family_name": "Асанв"},
                  {"family_name": "Асманов"}, {"given_name": "Бкыт"}):  # fmt: skip
        with pytest.raises(NearClientsError) as warned:
            admit(db_session, staff, rnc, programme="outpatient", **typed)
        assert [client.id for client in warned.value.clients] == [first.client_id], typed
    assert db_session.scalar(select(func.count()).select_from(Client)) == 1


def test_a_doubled_letter_finds_the_client_itself(db_session, actor, centre):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    first = admit(db_session, staff, rnc)  # Асанов Бакыт
    again = admit(db_session, staff, rnc, family_name="Ассанов", programme="outpatient")
    assert again.client_id == first.client_id


def test_staff_choose_the_existing_client_and_the_decision_is_audited(db_session, actor, centre):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    first = admit(db_session, staff, rnc)
    again = admit(db_session, staff, rnc, family_name="Асонов", programme="outpatient",
                  near_match=str(first.client_id))  # fmt: skip
    assert again.client_id == first.client_id
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "near_match_decision")
    ).one()
    assert event.entity_id == first.client_id
    assert event.detail == f"decision=existing candidates={first.client_id}"


def test_staff_register_a_new_person(db_session, actor, centre):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    first = admit(db_session, staff, rnc)
    other = admit(db_session, staff, rnc, family_name="Асонов", near_match="new")
    assert other.client_id != first.client_id
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "near_match_decision")
    ).one()
    assert (event.entity_id, event.detail) == (
        other.client_id,
        f"decision=new candidates={first.client_id}",
    )


def test_a_chosen_client_must_be_one_of_the_near_ones(db_session, actor, centre):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    admit(db_session, staff, rnc)
    stranger = admit(db_session, staff, rnc, family_name="Исмаилов")
    with pytest.raises(NearClientsError) as refused:
        admit(db_session, staff, rnc, family_name="Асонов", near_match=str(stranger.client_id))
    assert refused.value.field == "near_match"
    assert db_session.scalar(select(func.count()).select_from(TreatmentEpisode)) == 2


def test_clients_of_another_centre_are_not_offered(db_session, actor, centre):
    admit(db_session, actor("clinic-osh"), centre("OSH"))
    episode = admit(db_session, actor("clinic-bishkek"), centre("RNC"), family_name="Асонов")
    assert episode.client.code != ""  # created without a question
    assert db_session.scalar(select(func.count()).select_from(Client)) == 2


def test_the_work_per_admission_is_bounded():
    sizes = [len(near_codes(ids(family, given), KEY))
             for family in ("Ли", "Асанов", "Ассанов", "Джумабеков", "Щукин")
             for given in ("Ян", "Бакыт", "Алла")]  # fmt: skip
    assert 0 < max(sizes) <= MAX_NEAR_CODES


@pytest.mark.parametrize(
    ("registered", "typed", "two_slips"),
    [
        ("1980-03-14", "1980-03-15", "1980-05-17"),  # a digit of the day
        ("1980-03-14", "1980-08-14", "1980-08-15"),  # of the month
        ("1980-03-14", "1981-03-14", "1982-03-15"),  # of the year
        ("1983-03-12", "1983-03-21", "1983-03-23"),  # two digits side by side swapped
        ("1980-03-04", "1980-04-03", "1980-04-05"),  # day and month swapped
    ],
)
def test_a_birth_date_one_slip_away_is_asked_about(
    db_session, actor, centre, registered, typed, two_slips
):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    first = admit(db_session, staff, rnc, birth_date=registered)
    with pytest.raises(NearClientsError) as warned:
        admit(db_session, staff, rnc, programme="outpatient", birth_date=typed)
    assert [client.id for client in warned.value.clients] == [first.client_id]
    assert db_session.scalar(select(func.count()).select_from(Client)) == 1
    admit(db_session, staff, rnc, birth_date=two_slips)  # a new person, no question
    assert db_session.scalar(select(func.count()).select_from(Client)) == 2


def as_version_one(app, episode, family: str, given: str, sex: str) -> None:
    """Give the episode's client the version-1 code of the name (registered before
    doubled letters were folded)."""
    ids = ClientIdentifiers(family, given, BORN, sex)
    legacy = slk581(ids, normalise=legacy_normalise_name)
    episode.client.code = code_from_slk(legacy, app.config["LINKAGE_KEY"])


def test_a_version_one_client_two_edits_away_is_not_asked_about(db_session, actor, centre, app):
    # "Баанов" is two edits from "Ассанов" even with doubles folded (ASANOV, BANOV); its
    # version-1 letters (A, A, O) are those of no one-edit spelling of ASSANOV
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    first = admit(db_session, staff, rnc, family_name="Баанов")
    as_version_one(app, first, "Баанов", "Бакыт", "M")
    db_session.flush()
    admit(db_session, staff, rnc, family_name="Ассанов")  # no question
    assert db_session.scalar(select(func.count()).select_from(Client)) == 2


def test_a_version_one_client_with_a_doubled_given_name_is_found(db_session, actor, centre, app):
    # registered as "Асонов Алла" under version 1 (L, L), typed "Асанов Алла": one edit
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    first = admit(db_session, staff, rnc, family_name="Асонов", given_name="Алла", sex="F")
    as_version_one(app, first, "Асонов", "Алла", "F")
    db_session.flush()
    with pytest.raises(NearClientsError) as warned:
        admit(db_session, staff, rnc, family_name="Асанов", given_name="Алла", sex="F",
              programme="outpatient")  # fmt: skip
    assert [client.id for client in warned.value.clients] == [first.client_id]
