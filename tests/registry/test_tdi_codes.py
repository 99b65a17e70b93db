"""The TDI 3.0 codes the registry gained: schema, client code and database constraints.

EMCDDA TDI protocol 3.0 (2012) has codes the registry lacked (docs/tdi.md): injecting and
needle sharing ``2`` "ever" (last time not known), HIV and HCV testing ``2`` "ever
tested", the polydrug-use problem item, sex not known and centre type not known.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from registry import codes, create_app
from registry.models import Client, TreatmentCentre, TreatmentEpisode
from registry.schemas import AdmissionSchema, ClientLookupSchema
from registry.services.client_codes import ClientIdentifiers, client_code, code_from_slk, slk581
from registry.services.episodes import admit_client

KEY = "l" * 40


@pytest.fixture(scope="module")
def request_context():
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "s" * 40, "LINKAGE_KEY": KEY}
    )
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("item", "code"),
    [("injecting", "2"), ("needle_sharing", "2"), ("hiv_testing", "2"), ("hcv_testing", "2"),
     ("polydrug_use", "1"), ("polydrug_use", "2"), ("polydrug_use", "99")],
)  # fmt: skip
def test_the_new_tdi_codes_load(request_context, admission_form, item, code):
    assert AdmissionSchema().load(admission_form(**{item: code}))[item] == code


def test_polydrug_use_left_empty_is_not_known(request_context, admission_form):
    assert AdmissionSchema().load(admission_form(polydrug_use=""))["polydrug_use"] == "99"


@pytest.mark.parametrize("code", ["3", "0", "yes", "2.1"])
def test_a_polydrug_use_outside_the_list_is_refused(request_context, admission_form, code):
    with pytest.raises(ValidationError) as error:
        AdmissionSchema().load(admission_form(polydrug_use=code))
    assert list(error.value.messages) == ["polydrug_use"]


def test_never_injected_cannot_have_ever_shared(request_context, admission_form):
    form = admission_form(route="2", injecting="1", age_first_injection="", needle_sharing="2")
    with pytest.raises(ValidationError) as error:
        AdmissionSchema().load(form)
    assert [str(m) for m in error.value.messages["needle_sharing"]] == [
        gettext("A client who never injected cannot have shared needles.")
    ]


def test_sex_not_known_is_a_sex(request_context, identifiers_form):
    data = ClientLookupSchema().load(identifiers_form(sex="U"))
    assert data["identifiers"].sex == "U"


def test_a_sex_not_known_is_the_slk_digit_9_and_known_codes_are_unchanged():
    born = date(1980, 3, 14)
    ids = {sex: ClientIdentifiers("Асанов", "Бакыт", born, sex) for sex in "MFU"}
    assert slk581(ids["U"]) == "SAOAK140319809"
    # the codes of men and women are those of the SLK-581 keys ending 1 and 2, as before
    assert client_code(ids["M"], KEY) == code_from_slk("SAOAK140319801", KEY)
    assert client_code(ids["F"], KEY) == code_from_slk("SAOAK140319802", KEY)
    assert len({client_code(i, KEY) for i in ids.values()}) == 3


def test_an_admission_stores_the_new_codes(db_session, actor, centre, admission_form):
    form = admission_form(sex="U", injecting="2", needle_sharing="2", hiv_testing="2",
                          hcv_testing="2", polydrug_use="2")  # fmt: skip
    episode = admit_client(
        AdmissionSchema().load(form), actor=actor("clinic-bishkek"), centre=centre("RNC")
    )
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(TreatmentEpisode, episode.id)
    assert (stored.injecting, stored.needle_sharing, stored.hiv_testing, stored.hcv_testing,
            stored.polydrug_use, stored.client.sex) == ("2", "2", "2", "2", "2", "U")  # fmt: skip


@pytest.mark.parametrize(
    ("model", "column", "bad"),
    [(TreatmentEpisode, "polydrug_use", "3"), (TreatmentEpisode, "injecting", "2.4"),
     (TreatmentEpisode, "hiv_testing", "2.3"), (TreatmentEpisode, "primary_drug", "1"),
     (Client, "sex", "X"), (TreatmentCentre, "tdi_centre_type", "7")],
)  # fmt: skip
def test_the_database_refuses_a_code_outside_its_list(
    db_session, actor, centre, admission_form, model, column, bad
):
    admit_client(AdmissionSchema().load(admission_form()), actor=actor("clinic-bishkek"),
                 centre=centre("RNC"))  # fmt: skip
    db_session.commit()
    with pytest.raises(IntegrityError, match=f"{column}_code"):
        db_session.execute(update(model).values({column: bad}))
        db_session.flush()
    db_session.rollback()


def test_the_database_takes_the_not_known_centre_type(request_context, db_session, registry_data):
    assert str(codes.TDI_CENTRE_TYPES["99"]) == gettext("Not known")
    db_session.execute(update(TreatmentCentre).values(tdi_centre_type="99"))
    db_session.commit()
    assert {c.tdi_centre_type for c in db_session.query(TreatmentCentre)} == {"99"}
