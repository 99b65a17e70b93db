"""The default demo (``make run``): the simulated Kyrgyz registry has the shape issue 2 asks.

Loaded through ``flask demo load`` at a small scale to stay fast; the simulator's own
tests (tests/registry/simulation) check calibration, reproducibility and privacy.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (
    Client,
    DosingEvent,
    LabTest,
    OrgUnit,
    OstEnrolment,
    Population,
    TreatmentCentre,
    TreatmentEpisode,
)

KYRGYZ_REGIONS = {"KG-GB", "KG-GO", "KG-C", "KG-O", "KG-J", "KG-B", "KG-Y", "KG-N", "KG-T"}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_has_the_kyrgyz_registry_shape(app, runner, tmp_path):
    result = runner.invoke(
        args=["demo", "load", "--scale", "0.2", "--workers", "1", "--lists-out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        regions = set(db.session.scalars(select(OrgUnit.code).where(OrgUnit.level == 2)))
        assert regions == KYRGYZ_REGIONS
        assert {"RNC", "OSH"} <= set(db.session.scalars(select(TreatmentCentre.code)))
        total_2003 = db.session.scalar(
            select(func.sum(Population.population)).where(Population.year == 2003)
        )
        assert abs(total_2003 - 4_867_481) <= 200  # DOMAIN §1, up to rounding per cell
        assert count(Client) > 1_000 and count(TreatmentEpisode) > count(Client)
        ost_sites = set(
            db.session.scalars(
                select(TreatmentCentre.code)
                .join(OstEnrolment, OstEnrolment.centre_id == TreatmentCentre.id)
                .distinct()
            )
        )
        assert ost_sites == {"RNC", "OSH"} and count(DosingEvent) > 1_000
        # treatment admissions (the register also holds people registered years ago, when
        # opium, not heroin, was the main drug)
        drugs = dict(
            db.session.execute(
                select(TreatmentEpisode.primary_drug, func.count())
                .where(TreatmentEpisode.programme != "dispensary_observation")
                .group_by(TreatmentEpisode.primary_drug)
            ).all()
        )
        assert max(drugs, key=drugs.get) == "1.1"

        def hiv_tests(year: int) -> int:
            return count(
                LabTest,
                LabTest.test == "HIV",
                LabTest.sample_date >= date(year, 1, 1),
                LabTest.sample_date < date(year + 1, 1, 1),
            )

        hiv_2000, hiv_2004 = hiv_tests(2000), hiv_tests(2004)
        assert hiv_2004 > hiv_2000
